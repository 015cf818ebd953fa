//! Routes for operators: `/health` (Kroki and its companions probed, a verdict) and `/healthz`
//! (the process alone, cheap enough for a container health check every few seconds), and
//! `/metrics` (Prometheus).
//!
//! `/health` speaks to three audiences, chosen by `Accept`: Kroki's own tooling
//! (`application/health+json`: Kroki's shape, relaying Kroki's version map), people in a browser
//! (`text/html`: a status page) and everything else (this app's JSON report). `/v1/health` is
//! Kroki's route and always answers Kroki's shape; `/healthz` answers it too when asked, and is
//! otherwise the cheap liveness answer that never calls Kroki.

use super::middleware::{get_or_head, wrong_method};
use crate::domain::accept::by_preference;
use crate::health::{HealthReport, Status};
use crate::startup::AppState;
use crate::views;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, route) in [
        ("/health", get_or_head().to(health)),
        ("/v1/health", get_or_head().to(kroki_health)),
        ("/healthz", get_or_head().to(liveness)),
        ("/metrics", get_or_head().to(metrics)),
    ] {
        cfg.service(
            web::resource(path)
                .route(route)
                .default_service(wrong_method("GET, HEAD")),
        );
    }
}

/// Kroki's health media type (draft-inadarei-api-health-check).
pub const HEALTH_JSON: &str = "application/health+json";

/// What a health request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// `application/health+json`, named explicitly (a wildcard never selects it).
    KrokiShape,
    /// `text/html`, named explicitly: a browser.
    Page,
    /// Anything else, or no `Accept`: this app's JSON.
    Json,
}

/// The first media range of `Accept`, by preference, that this route can serve.
fn wanted(request: &HttpRequest) -> Wanted {
    let accept = request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    by_preference(&accept)
        .into_iter()
        .find_map(|media| {
            let media = media.to_ascii_lowercase();
            match media.as_str() {
                HEALTH_JSON => Some(Wanted::KrokiShape),
                "text/html" | "application/xhtml+xml" => Some(Wanted::Page),
                "application/json" | "*/*" | "application/*" => Some(Wanted::Json),
                _ => None,
            }
        })
        .unwrap_or(Wanted::Json)
}

/// Kroki and each expected companion probed; 200 only when healthy. By `Accept`: this JSON
/// report; Kroki's `application/health+json` shape (see `/v1/health`); or, for `text/html`, a
/// status page for people.
#[utoipa::path(
    get,
    path = "/health",
    tag = "Operations",
    responses(
        (status = 200, description = "Healthy", content(
            (HealthReport = "application/json"),
            (KrokiHealth = "application/health+json"),
            (String = "text/html"),
        )),
        (status = 503, description = "Degraded (a companion down, or slow) or unhealthy (Kroki down or failing to render); with `application/health+json`, only Kroki down or failing to render (`fail`)", content(
            (HealthReport = "application/json"),
            (KrokiHealth = "application/health+json"),
            (String = "text/html"),
        )),
    )
)]
pub async fn health(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let report = state.health.report().await;
    let response = match wanted(&request) {
        Wanted::KrokiShape => return kroki_shape(&report),
        Wanted::Page => views::health::page(&report, report_status(&report)),
        Wanted::Json => {
            let mut response = HttpResponse::build(report_status(&report));
            response
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(&*report)
        }
    };
    vary_on_accept(response)
}

fn report_status(report: &HealthReport) -> StatusCode {
    match report.status {
        Status::Healthy => StatusCode::OK,
        Status::Degraded | Status::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn vary_on_accept(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Kroki's own health answer: `status` `pass` or `fail`, and Kroki's version map with its keys
/// exactly as Kroki sent them.
#[derive(Debug, Serialize, ToSchema)]
pub struct KrokiHealth {
    /// `pass` while Kroki answers and renders (companions are not counted, as in Kroki);
    /// `fail` (503) otherwise.
    #[schema(example = "pass")]
    pub status: &'static str,
    /// Kroki's `version` object, relayed: one key per diagram type, and `kroki` with `number`
    /// and `build_hash`. When Kroki does not answer, the last map it sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub version: Option<serde_json::Map<String, serde_json::Value>>,
    /// Why the status is `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

fn kroki_shape(report: &HealthReport) -> HttpResponse {
    let pass = report.kroki_passes();
    let body = KrokiHealth {
        status: if pass { "pass" } else { "fail" },
        version: report.kroki_versions.as_deref().cloned(),
        output: (!pass).then(|| {
            report
                .checks
                .get("kroki")
                .map_or_else(|| "Kroki was not probed".to_owned(), |c| c.message.clone())
        }),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    vary_on_accept(
        HttpResponse::build(if pass {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        })
        .content_type(HEALTH_JSON)
        .body(json),
    )
}

/// Kroki's own health route, for Kroki's tooling: always Kroki's `application/health+json`
/// shape, from the same shared round of probes as `/health`.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "Operations",
    responses(
        (status = 200, description = "Kroki answers and renders (`pass`)", body = KrokiHealth, content_type = "application/health+json"),
        (status = 503, description = "Kroki unreachable or failing to render (`fail`)", body = KrokiHealth, content_type = "application/health+json"),
    )
)]
pub async fn kroki_health(state: web::Data<AppState>) -> HttpResponse {
    kroki_shape(&*state.health.report().await)
}

/// Liveness of the process alone; it never calls Kroki, unless `Accept` asks for
/// `application/health+json` (Kroki's tooling), which gets Kroki's shape as on `/v1/health`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "Operations",
    responses(
        (status = 200, description = "The process serves requests (or, with `Accept: application/health+json`, Kroki passes)", content(
            (Liveness = "application/json"),
            (KrokiHealth = "application/health+json"),
        )),
        (status = 503, description = "Only with `Accept: application/health+json`: Kroki unreachable or failing to render", body = KrokiHealth, content_type = "application/health+json"),
    )
)]
pub async fn liveness(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if wanted(&request) == Wanted::KrokiShape {
        return kroki_shape(&*state.health.report().await);
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Liveness {
            status: "ok".to_owned(),
        })
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "Operations",
    responses((status = 200, description = "The metrics", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let health = state.health.latest();
    let text = state
        .metrics
        .render(&state.renderer, health.as_deref())
        .await;
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "ok")]
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn wanted_for(accept: Option<&str>) -> Wanted {
        let mut request = TestRequest::get().uri("/health");
        if let Some(accept) = accept {
            request = request.insert_header((header::ACCEPT, accept));
        }
        wanted(&request.to_http_request())
    }

    #[test]
    fn accept_chooses_the_shape() {
        assert_eq!(wanted_for(None), Wanted::Json);
        assert_eq!(wanted_for(Some("*/*")), Wanted::Json);
        assert_eq!(wanted_for(Some("application/json")), Wanted::Json);
        assert_eq!(wanted_for(Some(HEALTH_JSON)), Wanted::KrokiShape);
        assert_eq!(
            wanted_for(Some("application/health+json, application/json;q=0.5")),
            Wanted::KrokiShape
        );
        assert_eq!(
            wanted_for(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )),
            Wanted::Page
        );
        assert_eq!(
            wanted_for(Some("application/json, text/html;q=0.5")),
            Wanted::Json
        );
        assert_eq!(
            wanted_for(Some("application/health+json;q=0")),
            Wanted::Json
        );
    }
}
