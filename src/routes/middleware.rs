//! App-wide request handling: the request-target length limit (414), the optional rate limit
//! per client address (429), and the request context: a request id, one log line and the HTTP
//! metrics per request.

use crate::error::{ApiError, AppError, GatewayError};
use crate::request_id;
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use actix_web::{web, ResponseError};
use futures_util::FutureExt as _;
use std::panic::AssertUnwindSafe;
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

/// Answers a panic of the handler with a 500 in the audience's own body (API JSON under
/// `/api/`, Kroki's by `Accept` elsewhere, the app's error page for browsers) instead of a
/// dropped connection, and logs it with the request id. The diagram is never logged.
pub async fn catch_panic(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // What the error body depends on, kept aside: the request itself cannot be cloned before
    // routing, which needs it unshared.
    let is_api = request.path().starts_with("/api/");
    let accept = request.headers().get(header::ACCEPT).cloned();
    let method = request.method().clone();
    // Unwind safety: after a panic nothing of this request's state is used again; shared
    // state (cache, metrics) is behind atomics and locks that stay consistent.
    let outcome = AssertUnwindSafe(async move { next.call(request).await })
        .catch_unwind()
        .await;
    if let Ok(result) = outcome {
        return result;
    }
    let request_id = request_id::current().unwrap_or_default();
    tracing::error!(%method, request_id = %request_id, "the handler panicked");
    let error = AppError::Internal { request_id };
    let response = if is_api {
        ApiError(error).error_response()
    } else {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, accept);
        }
        GatewayError::with_headers(error, &headers).error_response()
    };
    Err(InternalError::from_response("the handler panicked", response).into())
}

/// Paths never rate limited: probes, metrics scrapes and the editor's static files.
fn is_exempt_from_rate_limit(path: &str) -> bool {
    matches!(path, "/health" | "/healthz" | "/metrics") || path.starts_with("/static/")
}

/// With `RATE_LIMIT` set, answers 429 with `Retry-After` to a client address over its rate, in
/// the body its audience reads: the API's JSON under `/api/`, Kroki's (by `Accept`, HTML for
/// browsers) elsewhere. The 429s are counted in the HTTP metrics like any status.
pub async fn rate_limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limited = request
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.rate_limiter.as_ref())
        .filter(|_| !is_exempt_from_rate_limit(request.path()))
        .and_then(|limiter| {
            let forwarded_for = request
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|value| value.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            let forwarded_for = (!forwarded_for.is_empty()).then_some(forwarded_for.as_str());
            let client = limiter.client(request.peer_addr().map(|a| a.ip()), forwarded_for)?;
            limiter.check(client).err()
        });
    if let Some(wait) = limited {
        // Whole seconds, rounded up: a client that waits that long is let through.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let error = AppError::RateLimited {
            retry_after_secs: seconds.max(1),
        };
        let response: HttpResponse = if request.path().starts_with("/api/") {
            ApiError(error).error_response()
        } else {
            GatewayError::with_headers(error, request.headers()).error_response()
        };
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
    let result = request_id::scope(id.clone(), next.call(request)).await;
    // An `Err` here is a response actix renders itself (a caught panic): logged all the same.
    let (route, status) = match &result {
        Ok(response) => (
            response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "(unmatched)".to_owned()),
            response.status().as_u16(),
        ),
        Err(error) => (
            "(failed)".to_owned(),
            error.as_response_error().status_code().as_u16(),
        ),
    };
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
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{test, App};

    async fn panics() -> HttpResponse {
        panic!("a bug in a handler")
    }

    #[actix_web::test]
    async fn a_panic_is_a_500_in_the_audiences_body_and_the_app_keeps_serving() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(catch_panic))
                .route("/api/boom", web::get().to(panics))
                .route("/boom", web::get().to(panics))
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                ),
        )
        .await;

        // A caught panic is an error that actix renders with `error_response`, as the server does.
        let api =
            test::try_call_service(&app, test::TestRequest::get().uri("/api/boom").to_request())
                .await
                .err()
                .map(|error| error.error_response())
                .expect("the panic became an error");
        assert_eq!(api.status(), 500);
        let body = actix_web::body::to_bytes(api.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");

        let page = test::try_call_service(
            &app,
            test::TestRequest::get()
                .uri("/boom")
                .insert_header((header::ACCEPT, "text/html"))
                .to_request(),
        )
        .await
        .err()
        .map(|error| error.error_response())
        .expect("the panic became an error");
        assert_eq!(page.status(), 500);
        let content_type = page.headers().get(header::CONTENT_TYPE).cloned();
        assert!(content_type.is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")));

        let fine =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(fine.status(), 200);
    }
}
