//! `/health` (Kroki and companions probed, a verdict) and `/healthz` (the process alone).

use crate::helpers::{spawn_app, spawn_app_with};
use kroki_standin::Fault;
use serde_json::Value;
use std::time::Duration;

async fn health(app: &crate::helpers::TestApp) -> (u16, Value) {
    let response = app.get("/health").await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn healthy_when_kroki_and_every_expected_companion_render() {
    let app = spawn_app().await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "kroki-web");
    assert!(body["version"].is_string() && body["timestamp"].as_str().unwrap().ends_with('Z'));
    let checks = body["checks"].as_object().unwrap();
    let names: Vec<&str> = checks.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec!["bpmn", "excalidraw", "kroki", "mermaid", "service"]
    );
    assert_eq!(checks["kroki"]["url"], app.kroki.url());
    assert_eq!(checks["kroki"]["version"], "0.32.1");
    assert!(checks["kroki"]["response_time_ms"].is_u64());
    assert_eq!(
        checks["mermaid"]["diagram_types"],
        serde_json::json!(["mermaid"])
    );
    // Each companion was probed by a real render of its type through Kroki.
    let probed: Vec<String> = app.renders().iter().map(|r| r.path.clone()).collect();
    for path in ["/mermaid/svg", "/bpmn/svg", "/excalidraw/svg"] {
        assert!(probed.iter().any(|p| p == path), "{path} in {probed:?}");
    }
}

#[tokio::test]
async fn a_companion_down_degrades_and_recovers_on_the_next_probe() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "200ms")]).await;
    app.kroki.set_companion_down("bpmn", true);
    let (status, body) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["bpmn"]["status"], "unhealthy");
    assert!(body["checks"]["bpmn"]["message"]
        .as_str()
        .unwrap()
        .contains("bpmn companion is unavailable"));
    assert_eq!(body["checks"]["mermaid"]["status"], "healthy");
    app.kroki.set_companion_down("bpmn", false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = health(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("healthy")));
}

#[tokio::test]
async fn kroki_down_is_unhealthy_and_liveness_stays_up() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "200ms")]).await;
    app.kroki.stop().await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["checks"]["kroki"]["status"], "unhealthy");
    assert_eq!(
        body["checks"]["mermaid"]["message"],
        "not probed: Kroki is unreachable"
    );
    let liveness = app.get("/healthz").await;
    assert_eq!(liveness.status(), 200);
    app.kroki.restart().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(health(&app).await.0, 200);
}

#[tokio::test]
async fn slow_kroki_is_degraded() {
    let app = spawn_app_with(&[("HEALTH_SLOW_THRESHOLD", "100ms")]).await;
    app.kroki.set_fault(Fault::Slow(Duration::from_millis(150)));
    let (status, body) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["kroki"]["status"], "degraded");
    assert!(
        body["checks"]["kroki"]["response_time_ms"]
            .as_u64()
            .unwrap()
            >= 150
    );
}

#[tokio::test]
async fn a_hanging_kroki_gives_an_answer_within_the_probe_timeout() {
    let app = spawn_app_with(&[("HEALTH_SLOW_THRESHOLD", "200ms")]).await;
    app.kroki.set_fault(Fault::Hang);
    let started = std::time::Instant::now();
    let (status, body) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_flood_of_health_requests_shares_one_round_of_probes() {
    let app = spawn_app().await;
    let requests = (0..50).map(|_| app.get("/health"));
    let responses = futures::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    // One round: Kroki's /health plus one render per expected companion.
    assert_eq!(app.kroki.request_count(), 4);
}

#[tokio::test]
async fn only_the_configured_companions_are_probed() {
    let app = spawn_app_with(&[("KROKI_COMPANIONS", "none")]).await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"].as_object().unwrap().len(), 2);
    let app = spawn_app_with(&[("KROKI_COMPANIONS", "diagramsnet")]).await;
    let (_, body) = health(&app).await;
    assert_eq!(body["checks"]["diagramsnet"]["status"], "healthy");
}
