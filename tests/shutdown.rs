//! The real binary, stopped with SIGTERM: requests in flight finish, then it exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

use kroki_standin::{Fault, StandIn};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_drains_requests_in_flight_then_exits_zero() {
    let kroki = StandIn::start().await.unwrap();
    kroki.set_fault(Fault::Slow(Duration::from_millis(1500)));
    let port = free_port();
    let mut app = Command::new(env!("CARGO_BIN_EXE_kroki-web"))
        .env_clear()
        .env("KROKI_URL", kroki.url())
        .env("LISTEN_HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("WORKERS", "1")
        .env("SHUTDOWN_TIMEOUT", "10s")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the app did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let in_flight = tokio::spawn(
        client
            .post(format!("{base}/api/generate"))
            .header("content-type", "application/json")
            .body(r#"{"diagram_type": "graphviz", "diagram_source": "digraph { draining }"}"#)
            .send(),
    );
    // Let the request reach Kroki, then ask the app to stop.
    while kroki.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &app.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().starts_with(b"<?xml"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = app.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
    // New connections are refused once it has stopped.
    assert!(client.get(format!("{base}/healthz")).send().await.is_err());
}
