//! Connection-level abuse, on raw TCP: clients too slow to send their request head (slowloris)
//! are dropped within `CLIENT_REQUEST_TIMEOUT`, header floods get 431 and a closed
//! connection, and the app serves normal requests all along.

use crate::helpers::{spawn_app_with, TestApp};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes; returns what it sent (an error counts as closed).
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let outcome = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "the server kept the connection open for {within:?}"
    );
    received
}

fn status_of(response: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(response);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn slow_clients_are_dropped_within_the_request_timeout_while_others_are_served() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    // One header line every 300 ms: never a complete head.
    let mut trickling = connect(&app).await;
    trickling
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        let opened = Instant::now();
        for n in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let line = format!("X-Slow-{n}: still here\r\n");
            if trickling.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
        let response = read_until_closed(&mut trickling, Duration::from_secs(5)).await;
        (opened.elapsed(), response)
    });

    // Meanwhile a normal client is served at once.
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));

    for stream in &mut slow {
        let response = read_until_closed(stream, Duration::from_secs(5)).await;
        let status = status_of(&response);
        assert!(response.is_empty() || status == 408, "{status}");
    }
    let (lasted, response) = trickle.await.unwrap();
    assert!(
        lasted < Duration::from_secs(4),
        "a trickling client was kept {lasted:?}"
    );
    assert!(response.is_empty() || status_of(&response) == 408);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn header_floods_get_431_and_the_connection_closed() {
    let app = spawn_app_with(&[]).await;
    let many: String = (0..200).map(|n| format!("X-Flood-{n}: {n}\r\n")).collect();
    let huge = format!("X-Huge: {}\r\n", "a".repeat(256 * 1024));
    for headers in [many, huge] {
        let mut stream = connect(&app).await;
        let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        // The server may close before reading it all: a failed write is an answer too.
        let _ = stream.write_all(request.as_bytes()).await;
        let response = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        let status = status_of(&response);
        assert!(
            status == 431 || response.is_empty(),
            "got {status}: {}",
            String::from_utf8_lossy(&response[..response.len().min(200)])
        );
    }
    // A large but sane header (64 KiB: long cookies, tokens) is still served.
    let mut stream = connect(&app).await;
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Large: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let response = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(status_of(&response), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
}
