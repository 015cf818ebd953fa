//! One error type for everything a request can fail on, with its status and a stable code.
//! Each audience renders it its own way: the API as one JSON shape (`api.rs`), the
//! Kroki-compatible gateway as Kroki does, by `Accept` (`kroki_style.rs`; browsers get the
//! error page of `views`). Errors depend on the domain and `views`, never on `routes`.

mod api;
mod image;
mod kroki_style;

pub use api::ApiError;
pub use image::text_png;
pub use kroki_style::GatewayError;

use crate::domain::encoding::DecodeError;
use crate::domain::options::OptionsError;
use crate::domain::{SourceError, ValidationError};
use crate::kroki::KrokiError;
use actix_web::http::StatusCode;
use serde_json::{json, Map, Value};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error(transparent)]
    Kroki(#[from] KrokiError),
    /// Required fields absent or empty, in the order the request documents them.
    #[error("Missing required fields: {}", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    /// A JSON body that does not parse or is not an object (`detail` says which).
    #[error("Invalid JSON data")]
    InvalidJson { detail: String },
    /// A theme the diagram type does not have.
    #[error("Invalid diagram theme: {theme}. Must be one of {} for {kind}.", .valid.join(", "))]
    InvalidTheme {
        theme: String,
        kind: &'static str,
        valid: Vec<&'static str>,
    },
    /// A request that is malformed in a way with no variant of its own.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("The request body is larger than the limit of {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("The request body did not arrive within {} (CLIENT_REQUEST_TIMEOUT).", humantime::format_duration(*timeout))]
    BodyTimeout { timeout: std::time::Duration },
    #[error("Method not allowed. Please use a POST request.")]
    MethodNotAllowed,
    /// A wrong method on a path that answers others than POST alone (sent with `Allow`).
    #[error("Method not allowed. This path answers {allow}.")]
    WrongMethod { allow: &'static str },
    #[error("Not Found")]
    NotFound,
    #[error("The request URI's length exceeds {limit}. Send long diagrams by POST, or raise MAX_URI_LENGTH.")]
    UriTooLong { limit: usize },
    #[error("Too many renders are waiting for Kroki; try again shortly.")]
    Overloaded { retry_after_secs: u64 },
    #[error("Too many requests from this address; try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    /// A connection-level failure answered below the app (a head that cannot be parsed, a
    /// header block too large, a late head), with its own status.
    #[error("{message}")]
    Connection {
        status: u16,
        code: &'static str,
        message: String,
    },
    /// A bug: the handler panicked. The details are in the log, under the request id.
    #[error("The server failed while answering this request (request id {request_id}).")]
    Internal { request_id: String },
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = match self {
            AppError::Validation(_)
            | AppError::Options(_)
            | AppError::BadRequest { .. }
            | AppError::MissingFields(_)
            | AppError::InvalidJson { .. }
            | AppError::InvalidTheme { .. }
            | AppError::Source(SourceError::Empty) => 400,
            AppError::Decode(DecodeError::TooLarge { .. })
            | AppError::Source(SourceError::TooLarge { .. })
            | AppError::PayloadTooLarge { .. } => 413,
            AppError::Decode(_) => 400,
            AppError::Kroki(error) => error.status(),
            AppError::UnsupportedMediaType(_) => 415,
            AppError::MethodNotAllowed | AppError::WrongMethod { .. } => 405,
            AppError::BodyTimeout { .. } => 408,
            AppError::NotFound => 404,
            AppError::UriTooLong { .. } => 414,
            AppError::Overloaded { .. } => 503,
            AppError::RateLimited { .. } => 429,
            AppError::Internal { .. } => 500,
            AppError::Connection { status, .. } => *status,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY)
    }

    /// A stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(ValidationError::UnknownType(_)) => "unknown_diagram_type",
            AppError::Validation(ValidationError::UnsupportedFormat { .. }) => "unsupported_format",
            AppError::Source(SourceError::Empty) => "empty_source",
            AppError::Source(SourceError::TooLarge { .. })
            | AppError::Decode(DecodeError::TooLarge { .. }) => "source_too_large",
            AppError::Decode(_) => "invalid_encoding",
            AppError::Options(_) => "invalid_options",
            AppError::Kroki(error) => error.code(),
            AppError::BadRequest { code, .. } => code,
            AppError::MissingFields(_) => "missing_field",
            AppError::InvalidJson { .. } => "invalid_json",
            AppError::InvalidTheme { .. } => "invalid_theme",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::MethodNotAllowed | AppError::WrongMethod { .. } => "method_not_allowed",
            AppError::BodyTimeout { .. } => "request_timeout",
            AppError::NotFound => "not_found",
            AppError::UriTooLong { .. } => "uri_too_long",
            AppError::Overloaded { .. } => "overloaded",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Internal { .. } => "internal_error",
            AppError::Connection { code, .. } => code,
        }
    }

    /// Extra machine-readable fields: the accepted values, the companion and its types.
    pub fn details(&self) -> Map<String, Value> {
        let mut details = Map::new();
        match self {
            AppError::Validation(error) => {
                details.insert("valid_values".into(), json!(error.valid_values()));
            }
            AppError::MissingFields(fields) => {
                details.insert("missing_fields".into(), json!(fields));
            }
            AppError::InvalidJson { detail } => {
                details.insert("detail".into(), json!(detail));
            }
            AppError::InvalidTheme { valid, .. } => {
                details.insert("valid_values".into(), json!(valid));
            }
            AppError::Kroki(KrokiError::CompanionUnavailable { companion, .. }) => {
                details.insert("companion".into(), json!(companion.name()));
                let types: Vec<_> = companion.diagram_types().map(|kind| kind.name).collect();
                details.insert("diagram_types".into(), json!(types));
            }
            AppError::Kroki(
                KrokiError::Rejected { status, .. } | KrokiError::Upstream { status, .. },
            ) => {
                details.insert("kroki_status".into(), json!(status));
            }
            _ => {}
        }
        details
    }

    /// Seconds to send in `Retry-After`, for the statuses that invite a retry.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Overloaded { retry_after_secs }
            | AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::Kroki(KrokiError::CompanionUnavailable { .. }) => Some(10),
            _ => None,
        }
    }

    /// Whether the failure lies upstream (worth logging at warn) rather than in the request.
    pub fn is_upstream(&self) -> bool {
        self.status().is_server_error()
    }
}
