//! App-wide request handling: the request-target length limit (414), and the request context:
//! a request id, one log line and the HTTP metrics per request.

use crate::error::{AppError, GatewayError};
use crate::request_id;
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use std::time::Instant;

/// Refuses request targets longer than `MAX_URI_LENGTH` with 414 before any routing or decoding.
pub async fn limit_uri_length(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<AppState>>()
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

/// Gives the request its id, then logs one line (method, route pattern — never the raw path,
/// which holds the diagram —, status, duration, id) and counts it in the metrics.
pub async fn request_context(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id::from_headers(request.headers());
    let method = request.method().clone();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let mut response = request_id::scope(id.clone(), next.call(request)).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state
            .metrics
            .observe_http(method.as_str(), &route, status, elapsed);
    }
    let duration_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, duration_ms, request_id = %id, "request");
    } else {
        tracing::info!(%method, %route, status, duration_ms, request_id = %id, "request");
    }
    Ok(response)
}
