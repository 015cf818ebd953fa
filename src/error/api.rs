//! The API's error body, one shape for every failure, readable the way kroki-flask-generator's
//! clients read it (`body["error"]` is the message, a string) with the machine-readable parts
//! beside it:
//! `{"error": "Missing required fields: diagram_type", "code": "missing_field", "status": 400,
//! ...details}`. Where the Flask service had a message for the same case, its wording is used.

use super::AppError;
use crate::domain::catalog;
use crate::domain::request::join_or;
use crate::domain::{SourceError, ValidationError};
use crate::kroki::KrokiError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};
use std::fmt;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ApiError {
    pub fn body(&self) -> Value {
        let mut body = json!({
            "error": self.message(),
            "code": self.0.code(),
            "status": self.0.status().as_u16(),
        });
        if let Value::Object(fields) = &mut body {
            fields.extend(self.0.details());
        }
        body
    }

    /// The human message: the Flask service's wording where it had one for this case, else the
    /// app's (the gateway keeps Kroki's words for the same failures).
    pub fn message(&self) -> String {
        match &self.0 {
            AppError::Validation(ValidationError::UnknownType(name)) => format!(
                "Invalid diagram type: {name}. Must be one of {}.",
                catalog::url_names().collect::<Vec<_>>().join(", ")
            ),
            AppError::Validation(error @ ValidationError::UnsupportedFormat { format, kind }) => {
                format!(
                    "Invalid output format: {format}. Must be one of {} for {kind}.",
                    join_or(error.valid_values())
                )
            }
            AppError::Source(SourceError::Empty) => "Diagram source cannot be empty".to_owned(),
            AppError::Kroki(KrokiError::Rejected { message, .. }) => {
                format!("Invalid diagram syntax: {message}")
            }
            AppError::Kroki(KrokiError::Timeout { seconds, .. }) => format!(
                "Request timeout - Kroki service is taking too long (no answer within {seconds:.1} s)"
            ),
            // Kroki's address and the OS error stay in the log (client.rs): clients get the
            // request id to find them.
            AppError::Kroki(KrokiError::Unreachable { .. }) => format!(
                "Connection error - Cannot reach Kroki service{}",
                crate::kroki::logged_under()
            ),
            AppError::Kroki(KrokiError::Upstream { status, message }) => format!(
                "Kroki service error - Please try again later (Kroki answered {status}: {message})"
            ),
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(seconds) = self.0.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response
            .content_type("application/json")
            .body(self.body().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_error_string_with_the_codes_beside_it() {
        let body = ApiError(AppError::MissingFields(vec![
            "diagram_type",
            "diagram_source",
        ]))
        .body();
        assert_eq!(
            body,
            json!({
                "error": "Missing required fields: diagram_type, diagram_source",
                "code": "missing_field",
                "status": 400,
                "missing_fields": ["diagram_type", "diagram_source"],
            })
        );
        let body = ApiError(ValidationError::UnknownType("visio".into()).into()).body();
        assert!(body["error"].as_str().is_some_and(
            |m| m.starts_with("Invalid diagram type: visio. Must be one of plantuml, ")
        ));
        assert_eq!(body["code"], "unknown_diagram_type");
        assert!(body["valid_values"]
            .as_array()
            .is_some_and(|v| v.len() > 20));
    }

    #[test]
    fn krokis_failures_keep_their_status_with_the_seeds_words() {
        let timeout = ApiError(AppError::Kroki(KrokiError::Timeout {
            url: "http://kroki".into(),
            seconds: 20.0,
        }));
        assert_eq!(timeout.body()["status"], 504);
        assert_eq!(
            timeout.body()["error"],
            "Request timeout - Kroki service is taking too long (no answer within 20.0 s)"
        );
        let rejected = ApiError(AppError::Kroki(KrokiError::Rejected {
            status: 400,
            message: "Syntax error in line 2".into(),
        }));
        assert_eq!(
            rejected.body()["error"],
            "Invalid diagram syntax: Syntax error in line 2"
        );
    }
}
