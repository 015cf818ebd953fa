//! `/health` (Kroki and companions probed, a verdict) and `/healthz` (the process alone).

use crate::helpers::{api_error, content_type, header, spawn_app, spawn_app_with, TestApp};
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
    assert_eq!(checks["kroki"]["status"], "healthy");
    // Kroki itself was probed by a render too, not only by its static /health.
    assert!(
        app.renders().iter().any(|r| r.path == "/graphviz/svg"),
        "{:?}",
        app.renders()
    );
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
    let app = spawn_app_with(&[
        ("HEALTH_SLOW_THRESHOLD", "200ms"),
        ("HEALTH_PROBE_TIMEOUT", "400ms"),
    ])
    .await;
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
    assert!(
        body["checks"]["kroki"]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within"),
        "{body}"
    );
}

#[tokio::test]
async fn a_flood_of_health_requests_shares_one_round_of_probes() {
    let app = spawn_app().await;
    let requests = (0..50).map(|_| app.get("/health"));
    let responses = futures::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    // One round: Kroki's /health, its Graphviz render, and one render per expected companion.
    assert_eq!(app.kroki.request_count(), 5);
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

async fn health_accepting(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

/// Kroki's own /health is static: with every render failing it still says "pass". The app's
/// Kroki check renders, so it sees the failure.
#[tokio::test]
async fn a_kroki_that_cannot_render_is_unhealthy() {
    let app = spawn_app().await;
    app.kroki.set_fault(Fault::RenderStatus(500));
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unhealthy");
    let kroki = &body["checks"]["kroki"];
    assert_eq!(kroki["status"], "unhealthy");
    let message = kroki["message"].as_str().unwrap();
    assert!(message.contains("cannot render"), "{message}");
    assert!(message.contains("Internal Server Error"), "{message}");
    // Kroki still answered its /health: its version is known.
    assert_eq!(kroki["version"], "0.32.1");
    let tooling = health_accepting(&app, "/health", "application/health+json").await;
    assert_eq!(tooling.status(), 503);
    let tooling: Value = tooling.json().await.unwrap();
    assert_eq!(tooling["status"], "fail");
    assert!(tooling["output"]
        .as_str()
        .unwrap()
        .contains("cannot render"));
}

/// A probe slower than the threshold but within HEALTH_PROBE_TIMEOUT is degraded, even past
/// twice the threshold (where it used to time out and read unhealthy).
#[tokio::test]
async fn degraded_up_to_the_probe_timeout_then_unhealthy() {
    let app = spawn_app_with(&[
        ("HEALTH_SLOW_THRESHOLD", "100ms"),
        ("HEALTH_PROBE_TIMEOUT", "2s"),
        ("HEALTH_CACHE_TTL", "10ms"),
        ("KROKI_COMPANIONS", "none"),
    ])
    .await;
    app.kroki.set_fault(Fault::Slow(Duration::from_millis(350)));
    let (status, body) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["kroki"]["status"], "degraded", "{body}");
    assert_eq!(body["status"], "degraded");
    app.kroki
        .set_fault(Fault::Slow(Duration::from_millis(2500)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, body) = health(&app).await;
    assert_eq!(body["checks"]["kroki"]["status"], "unhealthy", "{body}");
}

/// Every check carries status, response_time_ms (null when nothing was timed) and message.
#[tokio::test]
async fn every_check_has_the_same_three_fields() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "10ms")]).await;
    for kroki_up in [true, false] {
        if !kroki_up {
            app.kroki.stop().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (_, body) = health(&app).await;
        for (name, check) in body["checks"].as_object().unwrap() {
            let check = check.as_object().unwrap();
            for field in ["status", "response_time_ms", "message"] {
                assert!(check.contains_key(field), "{name} lacks {field}: {body}");
            }
            assert!(check["status"].is_string() && check["message"].is_string());
            assert!(
                check["response_time_ms"].is_u64() || check["response_time_ms"].is_null(),
                "{body}"
            );
        }
        assert!(body["checks"]["service"]["response_time_ms"].is_null());
        assert!(body["checks"]["kroki"]["response_time_ms"].is_u64());
        assert_eq!(
            body["checks"]["mermaid"]["response_time_ms"].is_null(),
            !kroki_up,
            "{body}"
        );
    }
}

/// Kroki's tooling asks for application/health+json and gets Kroki's own shape, with Kroki's
/// version map relayed key for key.
#[tokio::test]
async fn krokis_health_shape_on_every_health_route_when_asked() {
    let app = spawn_app().await;
    let krokis: Value = reqwest::get(format!("{}/health", app.kroki.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.kroki.clear_requests();
    for path in ["/health", "/v1/health", "/healthz"] {
        let response = health_accepting(&app, path, "application/health+json").await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(content_type(&response), "application/health+json", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "pass", "{path}");
        assert_eq!(body["version"], krokis["version"], "{path}");
        assert_eq!(body.as_object().unwrap().len(), 2, "{path}: {body}");
    }
    // /v1/health is Kroki's route: Kroki's shape whatever the Accept.
    let response = app.get("/v1/health").await;
    assert_eq!(content_type(&response), "application/health+json");
    // Without that Accept, /health keeps its own report.
    let (_, body) = health(&app).await;
    assert_eq!(body["service"], "kroki-web");
}

#[tokio::test]
async fn krokis_health_shape_fails_with_503_when_kroki_is_down() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "10ms")]).await;
    // A first round while Kroki is up, so its version map is known.
    assert_eq!(health(&app).await.0, 200);
    app.kroki.stop().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    for path in ["/health", "/v1/health", "/healthz"] {
        let response = health_accepting(&app, path, "application/health+json").await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(content_type(&response), "application/health+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "fail", "{path}");
        assert!(
            body["output"].as_str().unwrap().contains("not answering"),
            "{body}"
        );
        // The last version map Kroki sent.
        assert_eq!(body["version"]["kroki"]["number"], "0.32.1", "{body}");
    }
}

/// /healthz without Kroki's media type is the cheap liveness answer: Kroki is never asked.
#[tokio::test]
async fn plain_liveness_never_calls_kroki() {
    let app = spawn_app().await;
    for accept in ["*/*", "application/json", "text/html"] {
        let response = health_accepting(&app, "/healthz", accept).await;
        assert_eq!(response.status(), 200);
        assert_eq!(content_type(&response), "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }
    assert_eq!(app.kroki.request_count(), 0);
}

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A browser gets a status page; tools keep the JSON.
#[tokio::test]
async fn a_browser_gets_a_status_page() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "10ms")]).await;
    let response = health_accepting(&app, "/health", BROWSER_ACCEPT).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/html; charset=utf-8");
    assert!(header(&response, "content-security-policy").contains("script-src 'self'"));
    // The page varies by Accept (and, being compressible, by Accept-Encoding).
    let vary: Vec<String> = response
        .headers()
        .get_all("vary")
        .iter()
        .map(|value| value.to_str().unwrap().to_ascii_lowercase())
        .collect();
    assert!(vary.iter().any(|value| value == "accept"), "{vary:?}");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("Overall: healthy"), "{page}");
    for check in ["service", "kroki", "mermaid", "bpmn", "excalidraw"] {
        assert!(page.contains(&format!("data-check=\"{check}\"")), "{check}");
    }
    assert!(page.contains(" ms</td>"), "response times shown");
    assert!(
        page.contains("href=\"/health\""),
        "the header's Health link"
    );

    app.kroki.set_companion_down("bpmn", true);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let response = health_accepting(&app, "/health", BROWSER_ACCEPT).await;
    assert_eq!(response.status(), 503);
    let page = response.text().await.unwrap();
    assert!(page.contains("Overall: degraded"), "{page}");
    assert!(page.contains("Affected: bpmn."), "{page}");

    app.kroki.stop().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let page = health_accepting(&app, "/health", BROWSER_ACCEPT)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Overall: unhealthy"), "{page}");
    assert!(page.contains("Affected: every diagram type."), "{page}");
    // People get no internal address; the JSON report keeps it for operators.
    assert!(!page.contains(&app.kroki.url()), "{page}");
    let (_, body) = health(&app).await;
    assert_eq!(body["checks"]["kroki"]["url"], app.kroki.url());
}

/// A connection to Kroki that never completes (a listener whose accept queue is full) is
/// "unreachable", 502, as the README says, not a 504 timeout.
#[tokio::test]
async fn a_connect_that_never_completes_is_unreachable_502() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    // Fill the accept queue (never accepted) until a connect no longer completes.
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(address),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            _ => {
                full = true;
                break;
            }
        }
    }
    assert!(
        full,
        "the accept queue never filled ({} connects)",
        held.len()
    );
    let kroki_url = format!("http://{address}");
    let app = spawn_app_with(&[
        ("KROKI_URL", kroki_url.as_str()),
        ("KROKI_CONNECT_TIMEOUT", "300ms"),
        ("KROKI_COMPANIONS", "none"),
    ])
    .await;
    let started = std::time::Instant::now();
    let response = app
        .post_json(
            "/api/generate",
            &serde_json::json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": "digraph { a }"}),
        )
        .await;
    let error = api_error(response, 502, "kroki_unreachable").await;
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("Connection error - Cannot reach Kroki service"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop((listener, held));
}
