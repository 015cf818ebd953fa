//! The answer to a path no route knows (outside `/api/`, whose scope has its own 404).

use super::extract::wants_html;
use crate::error::{AppError, GatewayError};
use crate::views::error_page;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// Unknown paths: an HTML page for browsers, Kroki's error body for everything else.
pub async fn not_found(request: HttpRequest) -> HttpResponse {
    if wants_html(request.headers()) {
        error_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address.",
        )
    } else {
        GatewayError::new(AppError::NotFound, &request).error_response()
    }
}
