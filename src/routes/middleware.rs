//! App-wide request handling: the request-target length limit (414), the optional rate limit
//! per client address (429), and the request context: a request id, one log line and the HTTP
//! metrics per request.

use crate::config::Config;
use crate::error::{ApiError, AppError, GatewayError};
use crate::http_server::Refusal;
use crate::request_id;
use crate::routes::responses::add_document_defaults;
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{guard, web, HttpMessage, HttpRequest, HttpResponse, ResponseError, Route};
use futures_util::FutureExt as _;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

/// The two error bodies a path can get: the API's JSON under `/api/`, and Kroki's everywhere
/// else (chosen by `Accept`: text by default, the app's HTML error page for browsers, JSON, SVG
/// or PNG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    Api,
    Kroki,
}

impl ErrorShape {
    /// The one place that decides which error body a request path gets.
    pub fn of(path: &str) -> ErrorShape {
        if path == "/api" || path.starts_with("/api/") {
            ErrorShape::Api
        } else {
            ErrorShape::Kroki
        }
    }
}

/// `error` as the response `path` gets, in its shape (`headers` choose among Kroki's bodies).
/// Every error made outside a handler (414, 429, a caught panic, the answers made below the
/// app) goes through here.
pub fn error_response(path: &str, headers: &HeaderMap, error: AppError) -> HttpResponse {
    match ErrorShape::of(path) {
        ErrorShape::Api => ApiError(error).error_response(),
        ErrorShape::Kroki => GatewayError::with_headers(error, headers).error_response(),
    }
}

/// The answer for a request refused below the app (`http_server`), in the documented shape of
/// its path, with the headers every answer carries: a new request id, `nosniff` and the CSP.
/// A request line longer than `MAX_URI_LENGTH` that actix-http could not parse (a target of
/// 65,534 characters or more: 400; or longer than its buffer: 431) gets the 414 a shorter one
/// gets.
pub fn answer_below_app(refusal: &Refusal, config: &Config) -> HttpResponse {
    let error = match refusal.status {
        400 | 431 if refusal.request_line_len > config.max_uri_length => AppError::UriTooLong {
            limit: config.max_uri_length,
        },
        400 => AppError::Connection {
            status: 400,
            code: "bad_request",
            message: "The request could not be read: its head or its chunked body is malformed."
                .to_owned(),
        },
        408 => AppError::Connection {
            status: 408,
            code: "request_timeout",
            message: format!(
                "The request head did not arrive within {} (CLIENT_REQUEST_TIMEOUT).",
                humantime::format_duration(config.client_request_timeout)
            ),
        },
        431 => AppError::Connection {
            status: 431,
            code: "request_header_fields_too_large",
            message: "The request's header block is larger than the server reads.".to_owned(),
        },
        status => AppError::Connection {
            status,
            code: "connection_error",
            message: actix_web::http::StatusCode::from_u16(status)
                .ok()
                .and_then(|status| status.canonical_reason())
                .unwrap_or("Error")
                .to_owned(),
        },
    };
    let id = request_id::from_headers(&HeaderMap::new());
    tracing::info!(status = refusal.status, request_id = %id, "request refused below the app");
    let mut response = error_response(&refusal.path, &HeaderMap::new(), error);
    add_document_defaults(response.headers_mut());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    response
}

/// The route of a path read with GET: HEAD too, answered as GET is (actix-http sends the
/// status and headers and drops the body). actix-web's `web::get()` matches GET alone.
pub fn get_or_head() -> Route {
    web::route().guard(is_get_or_head())
}

/// GET or HEAD, for a resource that answers those alone and lets other methods fall through to
/// a later resource of the same path.
pub fn is_get_or_head() -> guard::AnyGuard {
    guard::Any(guard::Get()).or(guard::Head())
}

/// The default service of a resource: any other method than those in `allow` gets 405 with
/// `Allow`, in the path's error shape.
pub fn wrong_method(allow: &'static str) -> Route {
    web::to(move |request: HttpRequest| async move { method_not_allowed(&request, allow) })
}

/// 405 with `Allow: {allow}`, in the path's error shape (Kroki's own message for POST-only paths).
pub fn method_not_allowed(request: &HttpRequest, allow: &'static str) -> HttpResponse {
    let error = if allow == "POST" {
        AppError::MethodNotAllowed
    } else {
        AppError::WrongMethod { allow }
    };
    let mut response = error_response(request.path(), request.headers(), error);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

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
        let response = error_response(
            request.path(),
            request.headers(),
            AppError::UriTooLong { limit },
        );
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Answers a panic of the handler with a 500 in the audience's own body (API JSON under
/// `/api/`, Kroki's by `Accept` elsewhere, the app's error page for browsers) instead of a
/// dropped connection, logs it with the request id and counts it. The diagram is never logged
/// (the panic's message and place are logged by the binary's panic hook, `panic_hook`).
///
/// Panics while the response body streams, after the handler returned, are not caught here.
pub async fn catch_panic(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // What the error body depends on, kept aside: the request itself cannot be cloned before
    // routing, which needs it unshared.
    let uri = request.uri().clone();
    let mut accept = HeaderMap::new();
    for value in request.headers().get_all(header::ACCEPT) {
        accept.append(header::ACCEPT, value.clone());
    }
    let method = crate::metrics::method_label(request.method().as_str());
    let metrics = request
        .app_data::<web::Data<AppState>>()
        .map(|state| Arc::clone(&state.metrics));
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
    if let Some(metrics) = metrics {
        metrics.count_handler_panic();
    }
    let id_header = HeaderValue::from_str(&request_id).ok();
    let error = AppError::Internal {
        request_id: request_id.to_string(),
    };
    let mut response = error_response(uri.path(), &accept, error);
    // `request_context` cannot add these to an error, which has no response yet.
    add_document_defaults(response.headers_mut());
    if let Some(value) = id_header.filter(|value| !value.is_empty()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Err(InternalError::from_response("the handler panicked", response).into())
}

/// Paths never rate limited: probes, metrics scrapes and the editor's static files.
fn is_exempt_from_rate_limit(path: &str) -> bool {
    matches!(path, "/health" | "/v1/health" | "/healthz" | "/metrics")
        || path.starts_with("/static/")
}

/// With `RATE_LIMIT` set, answers 429 with `Retry-After` to a client address over its rate, in
/// the body its audience reads: the API's JSON under `/api/`, Kroki's (by `Accept`, HTML for
/// browsers) elsewhere. The 429s are counted in the HTTP metrics like any status, and in
/// `rate_limited_requests`.
pub async fn rate_limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>();
    let limited = state
        .and_then(|state| state.rate_limiter.as_ref())
        .filter(|_| !is_exempt_from_rate_limit(request.path()))
        .and_then(|limiter| {
            let peer = request.peer_addr().map(|address| address.ip());
            // Read only from a trusted proxy: anyone else's header is not looked at.
            let forwarded_for = peer
                .filter(|peer| limiter.is_trusted(*peer))
                .map(|_| {
                    request
                        .headers()
                        .get_all("x-forwarded-for")
                        .filter_map(|value| value.to_str().ok())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|forwarded_for| !forwarded_for.is_empty());
            let client = limiter.client(peer, forwarded_for.as_deref())?;
            limiter.check(client).err()
        });
    if let Some(wait) = limited {
        if let Some(state) = state {
            state.metrics.count_rate_limited();
        }
        // Whole seconds, rounded up: a client that waits that long is let through.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let error = AppError::RateLimited {
            retry_after_secs: seconds.max(1),
        };
        let response = error_response(request.path(), request.headers(), error);
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The route pattern of a request answered before the router, which knows it: its metrics
/// label, without matching the path against every route again.
pub struct RouteLabel(pub &'static str);

/// The metrics label of a request: its route's pattern, `(unmatched)` if no route took it.
fn route_label(request: &HttpRequest) -> Cow<'static, str> {
    if let Some(RouteLabel(pattern)) = request.extensions().get::<RouteLabel>() {
        return Cow::Borrowed(pattern);
    }
    request
        .match_pattern()
        .map_or(Cow::Borrowed("(unmatched)"), Cow::Owned)
}

/// Gives the request its id, then logs one line (method, route pattern — never the raw path,
/// which holds the diagram —, status, duration, id) and counts it in the metrics.
pub async fn request_context(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id::from_headers(request.headers());
    // Folded: an invented method may be 100 KB long, and would be logged and labelled as is.
    let method = crate::metrics::method_label(request.method().as_str());
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let result = request_id::scope(id.clone(), next.call(request)).await;
    // An `Err` here is a response actix renders itself (a caught panic): logged all the same.
    let (route, status) = match &result {
        Ok(response) => (route_label(response.request()), response.status().as_u16()),
        Err(error) => (
            Cow::Borrowed("(failed)"),
            error.as_response_error().status_code().as_u16(),
        ),
    };
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state
            .metrics
            .observe_http(method, route.clone(), status, elapsed);
    }
    let duration_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, duration_ms, request_id = %id, "request");
    } else {
        tracing::info!(%method, %route, status, duration_ms, request_id = %id, "request");
    }
    let mut response = result?;
    add_document_defaults(response.headers_mut());
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
    use crate::config::Config;
    use actix_web::middleware::from_fn;
    use actix_web::{test, App};

    const SECRET: &str = "digraph { secret_source }";

    #[actix_web::test]
    async fn the_api_paths_get_the_apis_shape_and_all_others_kroki_s() {
        for path in ["/api", "/api/", "/api/generate", "/api/no/such"] {
            assert_eq!(ErrorShape::of(path), ErrorShape::Api, "{path}");
        }
        for path in [
            "/",
            "/apis",
            "/graphviz/svg/x",
            "/healthz",
            "/static/a.css",
            "",
        ] {
            assert_eq!(ErrorShape::of(path), ErrorShape::Kroki, "{path}");
        }
    }

    #[actix_web::test]
    async fn answers_below_the_app_carry_the_headers_and_the_414_for_long_lines() {
        let config = Config::from_lookup(|_| None).expect("defaults");
        let refusal = |status, path: &str, request_line_len| Refusal {
            status,
            path: path.to_owned(),
            request_line_len,
        };
        let long = config.max_uri_length + 1;
        for (refusal, status, content_type) in [
            (refusal(400, "/api/x", long), 414, "application/json"),
            (refusal(431, "/graphviz/svg/x", long), 414, "text/plain"),
            (refusal(431, "/graphviz/svg/x", 40), 431, "text/plain"),
            (refusal(400, "", 0), 400, "text/plain"),
            (refusal(408, "/api/generate", 30), 408, "application/json"),
        ] {
            let response = answer_below_app(&refusal, &config);
            assert_eq!(response.status().as_u16(), status, "{refusal:?}");
            let headers = response.headers();
            assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), content_type);
            assert_eq!(headers.get(request_id::HEADER).unwrap().len(), 32);
            assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
            assert_eq!(
                headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
                "nosniff"
            );
        }
    }

    /// A handler with a bug: it panics with request data in its message.
    async fn panics(body: String) -> HttpResponse {
        panic!("a bug in a handler, holding {body}")
    }

    /// The caught panic is an error that actix renders with `error_response`, as the server
    /// does; `error_response` hands the prepared response over once.
    async fn panic_response<R, B>(
        app: &impl actix_web::dev::Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
        request: R,
    ) -> (HttpResponse<()>, String) {
        let error = test::try_call_service(app, request)
            .await
            .err()
            .expect("the panic became an error");
        let response = error.error_response();
        let (response, body) = response.into_parts();
        let body = actix_web::body::to_bytes(body).await.unwrap_or_default();
        (response, String::from_utf8_lossy(&body).into_owned())
    }

    #[actix_web::test]
    async fn a_panic_is_a_500_in_the_audiences_body_counted_and_the_app_keeps_serving() {
        let config = Config::from_lookup(|_| None).expect("defaults");
        let state = web::Data::new(AppState::new(&config).expect("state"));
        // As in `startup`: the catcher innermost, the request context outermost.
        let app = test::init_service(
            App::new()
                .app_data(state.clone())
                .route("/api/boom", web::post().to(panics))
                .route("/boom", web::post().to(panics))
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                )
                .wrap(from_fn(catch_panic))
                .wrap(from_fn(request_context)),
        )
        .await;

        let (api, body) = panic_response(
            &app,
            test::TestRequest::post()
                .uri("/api/boom")
                .insert_header((request_id::HEADER, "req-42"))
                .set_payload(SECRET)
                .to_request(),
        )
        .await;
        assert_eq!(api.status(), 500);
        assert_eq!(api.headers().get(request_id::HEADER).unwrap(), "req-42");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["code"], "internal_error");
        assert_eq!(
            json["error"],
            "The server failed while answering this request (request id req-42)."
        );

        // The gateway answers as Kroki does: plain text by default, the error page to browsers.
        let (plain, text) = panic_response(
            &app,
            test::TestRequest::post()
                .uri("/boom")
                .set_payload(SECRET)
                .to_request(),
        )
        .await;
        assert_eq!(plain.status(), 500);
        assert!(text.starts_with("Error 500: The server failed"), "{text}");
        assert!(plain.headers().contains_key(request_id::HEADER));
        let (page, html) = panic_response(
            &app,
            test::TestRequest::post()
                .uri("/boom")
                .insert_header((header::ACCEPT, "text/html"))
                .set_payload(SECRET)
                .to_request(),
        )
        .await;
        assert_eq!(page.status(), 500);
        let content_type = page.headers().get(header::CONTENT_TYPE).cloned();
        assert!(content_type.is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")));
        for body in [&body, &text, &html] {
            assert!(
                !body.contains("secret_source") && !body.contains("a bug"),
                "{body}"
            );
        }

        let fine =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(fine.status(), 200);
        let metrics = state.metrics.render(&state.renderer, None).await;
        assert!(
            metrics.contains("kroki_web_handler_panics_total 3"),
            "{metrics}"
        );
        assert!(
            metrics.contains(r#"route="(failed)",status="500"} 3"#),
            "the HTTP metrics count them as 500s"
        );
    }
}
