//! App-wide request handling: the request-target length limit (414) and one log line per request.

use crate::error::{AppError, GatewayError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use std::time::Instant;

/// Refuses request targets longer than `MAX_URI_LENGTH` with 414 before any routing or decoding.
pub async fn limit_uri_length(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<crate::startup::AppState>>()
        .map_or(usize::MAX, |state| state.config.max_uri_length);
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if length > limit {
        let response =
            GatewayError::with_headers(AppError::UriTooLong { limit }, request.headers())
                .error_response();
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// One line per request: method, route pattern (never the raw path, which holds the diagram),
/// status and duration.
pub async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let status = response.status().as_u16();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, duration_ms = millis, "request");
    } else {
        tracing::info!(%method, %route, status, duration_ms = millis, "request");
    }
    Ok(response)
}
