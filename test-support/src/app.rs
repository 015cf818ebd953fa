//! The app started in-process against a stand-in Kroki, and readers of its HTTP answers.

use actix_web::dev::ServerHandle;
use kroki_standin::{RecordedRequest, StandIn};
use kroki_web::config::Config;
use kroki_web::domain::encoding;
use kroki_web::startup::Application;
use std::collections::HashMap;

/// The settings every test app starts with, under the test's own overrides: a random loopback
/// port, two workers, a short shutdown.
pub const TEST_DEFAULTS: &[(&str, &str)] = &[
    ("LISTEN_HOST", "127.0.0.1"),
    ("PORT", "0"),
    ("WORKERS", "2"),
    ("SHUTDOWN_TIMEOUT", "1s"),
];

/// An app serving in the background of the test's runtime.
pub struct RunningApp {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub address: String,
    /// Stops the app (`server.stop(true)` drains, `stop(false)` does not).
    pub server: ServerHandle,
}

/// Starts the app against the Kroki at `kroki_url`, with `overrides` on top of
/// [`TEST_DEFAULTS`], and serves it in the background.
pub fn start_app(kroki_url: &str, overrides: &[(&str, &str)]) -> RunningApp {
    let env: HashMap<String, String> = TEST_DEFAULTS
        .iter()
        .chain(&[("KROKI_URL", kroki_url)])
        .chain(overrides)
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("valid test config");
    let application = Application::build(config).expect("the app starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    let server = application.into_server();
    let handle = server.handle();
    tokio::spawn(server);
    RunningApp {
        address,
        server: handle,
    }
}

/// The app and the stand-in Kroki it renders with.
pub struct TestApp {
    pub address: String,
    pub kroki: StandIn,
    /// A client that does not follow redirects.
    pub client: reqwest::Client,
    pub server: ServerHandle,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a stand-in Kroki and the app configured against it, with `overrides` on top of
/// [`TEST_DEFAULTS`].
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let kroki = StandIn::start().await.expect("the stand-in Kroki starts");
    let RunningApp { address, server } = start_app(&kroki.url(), overrides);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    TestApp {
        address,
        kroki,
        client,
        server,
    }
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
        self.post(path, "application/json", body.to_string()).await
    }

    pub async fn post_text(&self, path: &str, body: &str) -> reqwest::Response {
        self.post(path, "text/plain", body.to_owned()).await
    }

    async fn post(&self, path: &str, content_type: &str, body: String) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Renders requests the stand-in received, as the JSON POST or as Kroki's GET (health
    /// probes of `/health` excluded).
    pub fn renders(&self) -> Vec<RecordedRequest> {
        self.kroki
            .requests()
            .into_iter()
            .filter(Forwarded::is_render)
            .collect()
    }

    /// What each of [`TestApp::renders`] sent: a POST's body, a GET's decoded source.
    pub fn render_sources(&self) -> Vec<String> {
        self.renders()
            .into_iter()
            .map(|request| match request.method.as_str() {
                "POST" => String::from_utf8_lossy(&request.body).into_owned(),
                _ => request.source(),
            })
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

/// A source in Kroki's encoding (the app's own encoder).
pub fn encode(source: &str) -> String {
    encoding::encode(source)
}

pub fn content_type(response: &reqwest::Response) -> String {
    header(response, "content-type")
}

/// A header's value, or "" when it is absent or not text.
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

/// A render the app asked of Kroki, read whichever form it took: the JSON POST, or Kroki's GET
/// (the client's encoding in the path, the options in the query).
pub trait Forwarded {
    /// Whether this request to Kroki is a render: a POST, or a GET of `/{type}/{format}/{source}`
    /// (not `/health`).
    fn is_render(&self) -> bool;
    /// The source as Kroki reads it: a POST's `diagram_source`, a GET's path decoded (Kroki
    /// then trims it for most types, as it trims a client's GET).
    fn source(&self) -> String;
    /// The options: a POST's `diagram_options` (`{}` if absent), a GET's query pairs as text.
    fn options(&self) -> serde_json::Value;
}

impl Forwarded for RecordedRequest {
    fn is_render(&self) -> bool {
        self.method == "POST" || self.path.matches('/').count() == 3
    }

    fn source(&self) -> String {
        if self.method == "POST" {
            let json = self.json().expect("a JSON render");
            return json["diagram_source"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        let mut segments = self.path.trim_start_matches('/').split('/');
        let kind = segments.next().unwrap_or_default();
        let encoded = segments.nth(1).expect("a GET render's encoded source");
        let plantuml =
            kroki_web::domain::catalog::find(kind).is_some_and(|kind| kind.plantuml_encoding);
        let decoded = if plantuml {
            encoding::decode_plantuml(encoded, usize::MAX)
        } else {
            encoding::decode(encoded, usize::MAX)
        };
        decoded.expect("a GET render's source decodes")
    }

    fn options(&self) -> serde_json::Value {
        if self.method == "POST" {
            let json = self.json().expect("a JSON render");
            return json
                .get("diagram_options")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
        }
        serde_json::Value::Object(
            url::form_urlencoded::parse(self.query.as_bytes())
                .map(|(key, value)| {
                    (
                        key.into_owned(),
                        serde_json::Value::String(value.into_owned()),
                    )
                })
                .collect(),
        )
    }
}
