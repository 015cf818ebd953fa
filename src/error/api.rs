//! The API's error body, one shape for every failure:
//! `{"error": {"status": 400, "code": "unsupported_format", "message": "...", ...details}}`.

use super::AppError;
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
        let mut error = json!({
            "status": self.0.status().as_u16(),
            "code": self.0.code(),
            "message": self.0.to_string(),
        });
        if let Value::Object(fields) = &mut error {
            fields.extend(self.0.details());
        }
        json!({ "error": error })
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
