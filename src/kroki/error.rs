//! What can go wrong talking to Kroki, each case mapped on purpose to the status a caller sees.

use crate::domain::{Companion, DiagramKind};
use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum KrokiError {
    /// Kroki refused the diagram (syntax errors and the like): its message is kept word for word,
    /// because it carries the line numbers the editor marks.
    #[error("{message}")]
    Rejected { status: u16, message: String },
    /// The companion that renders this type is not running.
    #[error("The {companion} companion is unavailable, so {types} diagrams cannot be rendered right now. Kroki said: {message}",
        companion = companion.name(), types = affected_types(*companion))]
    CompanionUnavailable {
        companion: Companion,
        message: String,
    },
    /// The messages of the transport failures name neither Kroki's address nor the OS error:
    /// they reach browsers. The details are logged where the error is made (`client.rs`), under
    /// the request id the message gives.
    #[error(
        "Kroki is not answering, so diagrams cannot be rendered right now{}.",
        logged_under()
    )]
    Unreachable { url: String, detail: String },
    #[error("Kroki did not answer within {seconds:.1} s{}.", logged_under())]
    Timeout { url: String, seconds: f64 },
    #[error("Kroki failed with status {status}: {message}")]
    Upstream { status: u16, message: String },
    #[error("Kroki's answer is larger than the limit of {limit} bytes.")]
    ResponseTooLarge { limit: usize },
    #[error("Kroki's answer was broken off or empty{}.", logged_under())]
    BrokenResponse { detail: String },
}

impl KrokiError {
    /// The HTTP status this app answers with.
    pub fn status(&self) -> u16 {
        match self {
            KrokiError::Rejected { status, .. } => *status,
            KrokiError::CompanionUnavailable { .. } => 503,
            KrokiError::Unreachable { .. }
            | KrokiError::Upstream { .. }
            | KrokiError::ResponseTooLarge { .. }
            | KrokiError::BrokenResponse { .. } => 502,
            KrokiError::Timeout { .. } => 504,
        }
    }

    /// A stable machine-readable name for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            KrokiError::Rejected { .. } => "diagram_error",
            KrokiError::CompanionUnavailable { .. } => "companion_unavailable",
            KrokiError::Unreachable { .. } => "kroki_unreachable",
            KrokiError::Timeout { .. } => "kroki_timeout",
            KrokiError::Upstream { .. } => "kroki_error",
            KrokiError::ResponseTooLarge { .. } => "kroki_response_too_large",
            KrokiError::BrokenResponse { .. } => "kroki_broken_response",
        }
    }
}

/// ` (request id …; the details are in the server's log)` within a request, else nothing.
pub fn logged_under() -> String {
    crate::request_id::current()
        .filter(|id| !id.is_empty())
        .map(|id| format!(" (request id {id}; the details are in the server's log)"))
        .unwrap_or_default()
}

pub fn affected_types(companion: Companion) -> String {
    companion
        .diagram_types()
        .map(|kind: &DiagramKind| kind.name)
        .collect::<Vec<_>>()
        .join(", ")
}
