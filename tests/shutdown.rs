//! The real binary, stopped with SIGTERM: requests in flight finish, then it exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

use kroki_standin::{Fault, StandIn};
use kroki_test_support::binary;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[tokio::test]
async fn sigterm_drains_requests_in_flight_then_exits_zero() {
    let kroki = StandIn::start().await.unwrap();
    kroki.set_fault(Fault::Slow(Duration::from_millis(1500)));
    let app = binary::start(
        &kroki.url(),
        &[("SHUTDOWN_TIMEOUT", "10s"), ("LOG_LEVEL", "warn")],
        Stdio::null(),
    )
    .await;
    let mut process = app.process;
    let base = app.base.clone();
    let client = reqwest::Client::new();
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
    binary::terminate(process.id());
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().starts_with(b"<?xml"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = process.try_wait().unwrap() {
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
