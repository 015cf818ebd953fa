//! Starting the app against a stand-in Kroki, and small request helpers (HTTP, and raw TCP for
//! the connection-level tests).

use kroki_standin::{RecordedRequest, StandIn};
use kroki_web::config::Config;
use kroki_web::domain::encoding;
use kroki_web::startup::Application;
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct TestApp {
    pub address: String,
    pub kroki: StandIn,
    pub client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a stand-in Kroki and the app configured against it, with `overrides` on top of the
/// test defaults (random port, loopback, two workers).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let kroki = StandIn::start().await.expect("the stand-in Kroki starts");
    let mut env: HashMap<String, String> = [
        ("LISTEN_HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("WORKERS", "2"),
        ("SHUTDOWN_TIMEOUT", "1s"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    env.insert("KROKI_URL".into(), kroki.url());
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("valid test config");
    let application = Application::build(config).expect("the app starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        kroki,
        client,
    }
}

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
    within: std::time::Duration,
) -> (Vec<u8>, Option<std::time::Instant>) {
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
    (received, outcome.ok().map(|()| std::time::Instant::now()))
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_text(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "text/plain")
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    /// Renders requests the stand-in received (health probes excluded).
    pub fn renders(&self) -> Vec<RecordedRequest> {
        self.kroki
            .requests()
            .into_iter()
            .filter(|request| request.method == "POST")
            .collect()
    }

    /// The renders the tests' own requests caused: `renders()` without the health probe's
    /// Graphviz diagram, which a page or `/health` may send at any time.
    pub fn diagram_renders(&self) -> Vec<RecordedRequest> {
        let probe = HEALTH_PROBE_SOURCE.as_bytes();
        self.renders()
            .into_iter()
            .filter(|request| !request.body.windows(probe.len()).any(|part| part == probe))
            .collect()
    }

    pub fn last_render(&self) -> RecordedRequest {
        self.renders()
            .pop()
            .expect("the app forwarded a render to Kroki")
    }
}

pub fn encode(source: &str) -> String {
    encoding::encode(source)
}

pub fn content_type(response: &reqwest::Response) -> String {
    header(response, "content-type")
}

pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The API's error body, checked for its stable shape (`error` the message, `code` and
/// `status` beside it); returns the whole body.
pub async fn api_error(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    assert_eq!(content_type(&response), "application/json");
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// The source of the diagram `/health` renders to prove Kroki can (src/health/probes.rs).
pub const HEALTH_PROBE_SOURCE: &str = "digraph { probe -> ok }";
