//! Kroki misbehaving: each fault mode of the stand-in, through the API and the gateway.

use crate::helpers::{api_error, encode, spawn_app, spawn_app_with};
use kroki_standin::Fault;
use serde_json::json;
use std::time::{Duration, Instant};

fn graphviz() -> serde_json::Value {
    json!({"diagram_type": "graphviz", "diagram_source": "digraph { a -> b }"})
}

#[tokio::test]
async fn unreachable_kroki_is_a_502_hiding_the_url_and_recovers_without_restart() {
    let app = spawn_app().await;
    app.kroki.stop().await;
    let error = api_error(
        app.post_json("/api/generate", &graphviz()).await,
        502,
        "kroki_unreachable",
    )
    .await;
    // Browsers read this message: no internal address, no OS error, but the request id.
    let message = error["error"].as_str().unwrap();
    assert!(!message.contains(&app.kroki.url()), "{message}");
    assert!(
        !message.contains("127.0.0.1") && !message.contains("os error"),
        "{message}"
    );
    assert!(message.contains("request id "), "{message}");
    let gateway = app
        .get(&format!("/graphviz/svg/{}", encode("digraph { a }")))
        .await;
    assert_eq!(gateway.status(), 502);
    assert!(gateway
        .text()
        .await
        .unwrap()
        .starts_with("Error 502: Kroki is not answering"));

    app.kroki.restart().await.unwrap();
    assert_eq!(
        app.post_json("/api/generate", &graphviz()).await.status(),
        200
    );
}

#[tokio::test]
async fn hanging_kroki_is_a_504_within_the_configured_timeout() {
    let app = spawn_app_with(&[("KROKI_TIMEOUT", "800ms")]).await;
    app.kroki.set_fault(Fault::Hang);
    let started = Instant::now();
    let error = api_error(
        app.post_json("/api/generate", &graphviz()).await,
        504,
        "kroki_timeout",
    )
    .await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(750) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(error["error"].as_str().unwrap().starts_with(
        "Request timeout - Kroki service is taking too long (no answer within 0.8 s)"
    ));
    let gateway = app
        .get(&format!("/graphviz/svg/{}", encode("digraph { a }")))
        .await;
    assert_eq!(gateway.status(), 504);
}

#[tokio::test]
async fn slow_kroki_within_the_timeout_still_renders() {
    let app = spawn_app_with(&[("KROKI_TIMEOUT", "3s")]).await;
    app.kroki.set_fault(Fault::Slow(Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(
        app.post_json("/api/generate", &graphviz()).await.status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn kroki_server_errors_are_502_with_kroki_message() {
    let app = spawn_app().await;
    for status in [500, 502, 503] {
        app.kroki.set_fault(Fault::Status(status));
        let error = api_error(
            app.post_json("/api/generate", &graphviz()).await,
            502,
            "kroki_error",
        )
        .await;
        assert_eq!(error["kroki_status"], status);
        assert!(error["error"].as_str().unwrap().starts_with(&format!(
            "Kroki service error - Please try again later (Kroki answered {status}"
        )));
    }
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_502() {
    let app = spawn_app().await;
    app.kroki.set_fault(Fault::ResetMidBody);
    api_error(
        app.post_json("/api/generate", &graphviz()).await,
        502,
        "kroki_broken_response",
    )
    .await;
    let gateway = app
        .get(&format!("/graphviz/png/{}", encode("digraph { a }")))
        .await;
    assert_eq!(gateway.status(), 502);
    app.kroki.clear_fault();
    assert_eq!(
        app.post_json("/api/generate", &graphviz()).await.status(),
        200
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused_not_buffered() {
    let app = spawn_app_with(&[("MAX_RESPONSE_SIZE", "100KiB")]).await;
    app.kroki.set_fault(Fault::OversizedBody(5 * 1024 * 1024));
    let error = api_error(
        app.post_json("/api/generate", &graphviz()).await,
        502,
        "kroki_response_too_large",
    )
    .await;
    assert!(error["error"].as_str().unwrap().contains("102400"));
    app.kroki.set_fault(Fault::OversizedBody(50 * 1024));
    assert_eq!(
        app.post_json("/api/generate", &graphviz()).await.status(),
        200,
        "under the cap is fine"
    );
}

/// An answer that arrives in several pieces (the stand-in streams 64 KiB chunks, with and
/// without `Content-Length`) reaches the client whole: every piece, in order, byte for byte, the
/// same as a second request for it. (The Kroki client passes a one-piece body on as it is and
/// joins only bodies in several pieces.)
#[tokio::test]
async fn an_answer_in_several_pieces_reaches_the_client_whole() {
    let app = spawn_app_with(&[("CACHE_MAX_SIZE", "0")]).await;
    let path = format!("/graphviz/svg/{}", encode("digraph { a -> b }"));
    let size = 200 * 1024 + 17;
    for fault in [Fault::OversizedBody(size), Fault::OversizedChunked(size)] {
        app.kroki.set_fault(fault.clone());
        let first = app.get(&path).await;
        assert_eq!(first.status(), 200, "{fault:?}");
        let first = first.bytes().await.unwrap();
        assert_eq!(first.len(), size, "{fault:?}");
        assert!(
            first.starts_with(b"<svg") || first.starts_with(b"<?xml"),
            "{fault:?}"
        );
        let again = app.get(&path).await.bytes().await.unwrap();
        assert_eq!(first, again, "{fault:?}");
    }
}
