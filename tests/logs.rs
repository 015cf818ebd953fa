//! The real binary's logs: one JSON line per request with its fields, and never a diagram source.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

use kroki_standin::StandIn;
use kroki_test_support::binary;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// Stops the binary with SIGTERM and returns every line it wrote to stdout.
fn stop_and_read_lines(mut process: std::process::Child) -> Vec<String> {
    binary::terminate(process.id());
    let lines = BufReader::new(process.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    process.wait().unwrap();
    lines
}

#[tokio::test]
async fn json_logs_have_one_line_per_request_and_no_sources() {
    let kroki = StandIn::start().await.unwrap();
    let app = binary::start(
        &kroki.url(),
        &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "info")],
        Stdio::piped(),
    )
    .await;
    let process = app.process;
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
    let lines = stop_and_read_lines(process);

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

/// Sends what actix-http refuses at the connection level: a head that is not HTTP, and a
/// header flood (431).
async fn send_malformed_heads(base: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let flood: String = (0..200).map(|n| format!("X-Flood-{n}: {n}\r\n")).collect();
    for request in [
        "NOT HTTP AT ALL\r\n\r\n".to_owned(),
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{flood}\r\n"),
    ] {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_end(&mut answer),
        )
        .await;
        assert!(answer.starts_with(b"HTTP/1.1 4"), "{answer:?}");
    }
}

/// The JSON log lines at ERROR of a run of the binary with `log_level` that gets malformed heads.
async fn error_lines_for_malformed_heads(log_level: &str) -> Vec<String> {
    let kroki = StandIn::start().await.unwrap();
    let app = binary::start(
        &kroki.url(),
        &[("LOG_FORMAT", "json"), ("LOG_LEVEL", log_level)],
        Stdio::piped(),
    )
    .await;
    let process = app.process;
    send_malformed_heads(&app.base).await;
    let lines = stop_and_read_lines(process);
    lines
        .into_iter()
        .filter(|line| line.contains(r#""level":"ERROR""#))
        .collect()
}

/// Any client can send broken heads; at the default level they must not fill the log with
/// actix-http's ERROR lines. Asked for with `LOG_LEVEL`, they are there.
#[tokio::test]
async fn malformed_connections_log_nothing_at_error_unless_asked_for() {
    let quiet = error_lines_for_malformed_heads("info").await;
    assert!(quiet.is_empty(), "{quiet:#?}");
    let asked = error_lines_for_malformed_heads("info,actix_http=debug").await;
    assert!(
        asked.iter().any(|line| line.contains("stream error")),
        "with actix_http asked for, its lines appear: {asked:#?}"
    );
}
