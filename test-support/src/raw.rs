//! Raw TCP, for the tests that speak HTTP/1.1 by hand (slow clients, pipelining, answers made
//! below the app).

use crate::app::TestApp;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A raw TCP connection to the app.
pub async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("the app accepts a connection")
}

/// Reads until the server closes (an error counts as closed) or `within` passes: what it sent,
/// and when it closed (`None` if it was still open at the deadline).
pub async fn read_until_closed(
    stream: &mut TcpStream,
    within: Duration,
) -> (Vec<u8>, Option<Instant>) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let outcome = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    (received, outcome.ok().map(|()| Instant::now()))
}

/// One whole request on `stream`, answered 200 (the connection is kept alive).
pub async fn served_once(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("the request is sent");
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).await.expect("an answer");
    assert!(
        buffer[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buffer[..n])
    );
}

/// The status of the raw response that starts `response` (0 if there is none).
pub fn status_of(response: &[u8]) -> u16 {
    String::from_utf8_lossy(response)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// A loopback port free when asked (for a process that binds it itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
