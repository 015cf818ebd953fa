//! The real binary's logs: one JSON line per request with its fields, and never a diagram source.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

#[path = "common/binary.rs"]
mod binary;

use kroki_standin::StandIn;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[tokio::test]
async fn json_logs_have_one_line_per_request_and_no_sources() {
    let kroki = StandIn::start().await.unwrap();
    let app = binary::start(
        &kroki.url(),
        &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "info")],
        Stdio::piped(),
    )
    .await;
    let mut process = app.process;
    let base = app.base.clone();
    let client = reqwest::Client::new();
    let secret = "digraph { top_secret_node }";
    let encoded = kroki_web::domain::encoding::encode(secret);
    let response = client
        .get(format!("{base}/graphviz/svg/{encoded}"))
        .header("x-request-id", "log-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .post(format!("{base}/api/generate"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"diagram_type": "graphviz", "diagram_source": "{secret} SYNTAX_ERROR"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    binary::terminate(process.id());
    let lines: Vec<String> = BufReader::new(process.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    process.wait().unwrap();

    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let requests: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["message"] == "request")
        .collect();
    let get = requests
        .iter()
        .find(|r| r["request_id"] == "log-test-1")
        .expect("a line for the GET");
    assert_eq!(get["method"], "GET");
    assert_eq!(get["route"], "/{type}/{format}/{encoded}");
    assert_eq!(get["status"], 200);
    assert!(get["duration_ms"].is_number());
    assert!(requests
        .iter()
        .any(|r| r["route"] == "/api/generate" && r["status"] == 400));
    for line in &lines {
        assert!(
            !line.contains("top_secret_node") && !line.contains(&encoded),
            "a source was logged: {line}"
        );
    }
}
