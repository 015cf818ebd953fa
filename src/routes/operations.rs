//! Routes for operators: `/health` (Kroki and its companions probed, a verdict) and `/healthz`
//! (the process alone, cheap enough for a container health check every few seconds), and
//! `/metrics` (Prometheus).

use crate::health::Status;
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/healthz", web::get().to(liveness))
        .route("/metrics", web::get().to(metrics));
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    let report = state.health.report().await;
    let mut response = match report.status {
        Status::Healthy => HttpResponse::Ok(),
        Status::Degraded | Status::Unhealthy => HttpResponse::ServiceUnavailable(),
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(&*report)
}

async fn liveness() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
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
