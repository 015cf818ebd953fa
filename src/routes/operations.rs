//! Routes for operators: `/health` (Kroki and its companions probed, a verdict) and `/healthz`
//! (the process alone, cheap enough for a container health check every few seconds), and
//! `/metrics` (Prometheus).

use super::middleware::{get_or_head, wrong_method};
use crate::health::{HealthReport, Status};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, route) in [
        ("/health", get_or_head().to(health)),
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

/// Kroki and each expected companion probed; 200 only when healthy.
#[utoipa::path(
    get,
    path = "/health",
    tag = "Operations",
    responses(
        (status = 200, description = "Healthy", body = HealthReport),
        (status = 503, description = "Degraded (a companion down, or slow) or unhealthy (Kroki down)", body = HealthReport),
    )
)]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let report = state.health.report().await;
    let mut response = match report.status {
        Status::Healthy => HttpResponse::Ok(),
        Status::Degraded | Status::Unhealthy => HttpResponse::ServiceUnavailable(),
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(&*report)
}

/// Liveness of the process alone.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "Operations",
    responses((status = 200, description = "The process serves requests", body = Liveness))
)]
pub async fn liveness() -> HttpResponse {
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
