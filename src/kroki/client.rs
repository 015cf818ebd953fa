//! The Kroki client: a pooled `reqwest::Client` per worker thread, shared by the requests that
//! thread serves.
//!
//! One client per thread, not one for the process: hyper runs each upstream connection as a task
//! on the runtime that opened it, and actix-web gives every worker its own single-threaded
//! runtime. With one shared pool, a worker that took a connection opened by another worker sent
//! its request through that worker's thread (two cross-thread wake-ups per render); with a pool
//! per thread every render stays on the thread that serves it.
//!
//! Renders are sent as `POST /{type}/{format}` with a JSON body (`diagram_source` and
//! `diagram_options`), the form Kroki documents for clients: no URL length limit, options keep
//! their JSON types, and the source reaches Kroki untrimmed. Errors are asked for as JSON so
//! Kroki's own message can be read back exactly.

use super::error::KrokiError;
use super::versions::KrokiVersions;
use crate::config::Config;
use crate::domain::{DiagramOptions, RenderRequest};
use actix_web::web::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{redirect, Client, Response, StatusCode, Url};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;

/// Kroki's JSON render request.
#[derive(Serialize)]
struct RenderBody<'a> {
    diagram_source: &'a str,
    diagram_options: &'a DiagramOptions,
}

#[derive(Debug, Clone)]
pub struct KrokiClient {
    http: Arc<Pools>,
    /// `KROKI_URL` as configured, for building render URLs.
    base: Url,
    /// The same without its trailing slash, for messages and the health URL.
    base_url: String,
    timeout: Duration,
    max_response_size: usize,
    /// Updated by every `/health` answer read through [`KrokiClient::info`].
    versions: KrokiVersions,
}

/// The HTTP clients: one per thread that sends requests (see the module's comment), each built
/// with the same settings as `shared`, which was built at start-up (so a setting reqwest refuses
/// fails there) and is used if a later build fails.
#[derive(Debug)]
struct Pools {
    shared: Client,
    per_thread: ThreadLocal<Client>,
    connect_timeout: Duration,
    timeout: Duration,
}

impl Pools {
    fn new(connect_timeout: Duration, timeout: Duration) -> Result<Pools, reqwest::Error> {
        Ok(Pools {
            shared: build_client(connect_timeout, timeout)?,
            per_thread: ThreadLocal::new(),
            connect_timeout,
            timeout,
        })
    }

    /// This thread's client, built on its first request.
    fn get(&self) -> &Client {
        self.per_thread.get_or(|| {
            build_client(self.connect_timeout, self.timeout).unwrap_or_else(|_| self.shared.clone())
        })
    }
}

fn build_client(connect_timeout: Duration, timeout: Duration) -> Result<Client, reqwest::Error> {
    Client::builder()
        .user_agent(concat!("kroki-web/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .tcp_keepalive(Duration::from_secs(60))
        .tcp_nodelay(true)
        // The app talks to the configured Kroki only: never follow a redirect elsewhere.
        .redirect(redirect::Policy::none())
        .build()
}

/// A successful render: the bytes exactly as Kroki sent them.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

/// What Kroki's own `/health` said, and how long it took.
#[derive(Debug, Clone)]
pub struct KrokiInfo {
    /// Kroki's own version (`version.kroki.number`).
    pub version: Option<String>,
    /// The raw `version` object of Kroki's answer, keys exactly as Kroki sent them (one per
    /// diagram type, and `kroki`).
    pub versions: Option<serde_json::Map<String, serde_json::Value>>,
    pub elapsed: Duration,
}

impl KrokiClient {
    pub fn new(config: &Config) -> Result<KrokiClient, reqwest::Error> {
        Ok(KrokiClient {
            http: Arc::new(Pools::new(
                config.kroki_connect_timeout,
                config.kroki_timeout,
            )?),
            base: config.kroki_url.clone(),
            base_url: config.kroki_url.as_str().trim_end_matches('/').to_owned(),
            timeout: config.kroki_timeout,
            max_response_size: config.max_response_size,
            versions: KrokiVersions::new(config.kroki_version.clone()),
        })
    }

    /// The versions Kroki reported (or `KROKI_VERSION`), for cache keys.
    pub fn versions(&self) -> &KrokiVersions {
        &self.versions
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Renders one diagram.
    pub async fn render(&self, request: &RenderRequest) -> Result<Rendered, KrokiError> {
        self.render_within(request, self.timeout).await
    }

    /// Renders one diagram, giving up after `timeout` (health probes use a shorter one).
    pub async fn render_within(
        &self,
        request: &RenderRequest,
        timeout: Duration,
    ) -> Result<Rendered, KrokiError> {
        let url = self.render_url(request);
        let body = render_body(request)?;
        // Before the clock starts: a thread's first request builds its client.
        let http = self.http.get();
        let started = Instant::now();
        let mut post = http.post(url);
        if let Some(id) = crate::request_id::current() {
            post = post.header(crate::request_id::HEADER, id);
        }
        let response = post
            .timeout(timeout)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| self.transport_error(&error, started))?;
        let status = response.status();
        let bytes = self.read_body(response, started).await?;
        if status == StatusCode::OK {
            if bytes.is_empty() {
                return Err(KrokiError::BrokenResponse {
                    detail: "Kroki answered 200 with an empty body".into(),
                });
            }
            return Ok(Rendered {
                bytes,
                content_type: request.format.content_type(),
            });
        }
        let message = error_message(&bytes);
        Err(match (status.as_u16(), request.kind.companion) {
            (503, Some(companion)) => KrokiError::CompanionUnavailable { companion, message },
            (code @ 400..=499, _) => KrokiError::Rejected {
                status: code,
                message,
            },
            (code, _) => KrokiError::Upstream {
                status: code,
                message,
            },
        })
    }

    /// `{KROKI_URL}/{type}/{format}`, built from the URL parsed at start-up rather than parsed
    /// again for every render.
    fn render_url(&self, request: &RenderRequest) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(request.kind.name)
                .push(request.format.name());
        }
        url
    }

    /// Asks Kroki's own `/health` (which checks nothing but that Kroki answers).
    pub async fn info(&self, timeout: Duration) -> Result<KrokiInfo, KrokiError> {
        let http = self.http.get();
        let started = Instant::now();
        let response = http
            .get(format!("{}/health", self.base_url))
            .timeout(timeout)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| self.transport_error(&error, started))?;
        let status = response.status();
        let bytes = self.read_body(response, started).await?;
        if !status.is_success() {
            return Err(KrokiError::Upstream {
                status: status.as_u16(),
                message: error_message(&bytes),
            });
        }
        let versions = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|mut health| match health.get_mut("version")?.take() {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            });
        let version = versions
            .as_ref()
            .and_then(|map| map.get("kroki")?.get("number")?.as_str().map(str::to_owned));
        if let Some(map) = &versions {
            self.versions.update(map);
        }
        Ok(KrokiInfo {
            version,
            versions,
            elapsed: started.elapsed(),
        })
    }

    /// Reads a body, refusing more than the configured limit without buffering it.
    async fn read_body(
        &self,
        mut response: Response,
        started: Instant,
    ) -> Result<Bytes, KrokiError> {
        let limit = self.max_response_size;
        let too_large = KrokiError::ResponseTooLarge { limit };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large);
        }
        // A body that arrives as one chunk (the usual case: hyper splits it off its read buffer)
        // is passed on as it is; only a body in several chunks is copied into one buffer.
        let mut first: Option<Bytes> = None;
        let mut rest: Vec<u8> = Vec::new();
        let mut length = 0;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    length += chunk.len();
                    if length > limit {
                        return Err(too_large);
                    }
                    if first.is_none() && rest.is_empty() {
                        first = Some(chunk);
                        continue;
                    }
                    if let Some(held) = first.take() {
                        let total = response.content_length().map_or(length, |n| n as usize);
                        rest.reserve(total);
                        rest.extend_from_slice(&held);
                    }
                    rest.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(first.unwrap_or_else(|| Bytes::from(rest))),
                Err(error) if error.is_timeout() => {
                    return Err(self.timeout_error(started));
                }
                Err(error) => {
                    tracing::warn!(
                        kroki = %self.base_url,
                        detail = %error_chain(&error),
                        request_id = %crate::request_id::current().unwrap_or_default(),
                        "Kroki's answer broke off"
                    );
                    return Err(KrokiError::BrokenResponse {
                        detail: error_chain(&error),
                    });
                }
            }
        }
    }

    /// A connection that could not be made, refused or never completed within
    /// `KROKI_CONNECT_TIMEOUT`, is "unreachable" (502): only a Kroki that accepted the request
    /// and then took too long is a timeout (504).
    fn transport_error(&self, error: &reqwest::Error, started: Instant) -> KrokiError {
        // The address and the OS error go to the log only: the error's message reaches browsers.
        tracing::warn!(
            kroki = %self.base_url,
            detail = %error_chain(error),
            request_id = %crate::request_id::current().unwrap_or_default(),
            "Kroki request failed"
        );
        if error.is_connect() {
            let detail = if error.is_timeout() {
                format!(
                    "no connection within {:.1} s (KROKI_CONNECT_TIMEOUT)",
                    started.elapsed().as_secs_f64()
                )
            } else {
                error_chain(error)
            };
            KrokiError::Unreachable {
                url: self.base_url.clone(),
                detail,
            }
        } else if error.is_timeout() {
            self.timeout_error(started)
        } else {
            KrokiError::BrokenResponse {
                detail: error_chain(error),
            }
        }
    }

    fn timeout_error(&self, started: Instant) -> KrokiError {
        KrokiError::Timeout {
            url: self.base_url.clone(),
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// Kroki's JSON render request, serialised straight from the borrowed fields (no intermediate
/// JSON value, no copy of the source) into a buffer sized for them, so it is not grown and
/// copied while the source is written.
fn render_body(request: &RenderRequest) -> Result<Vec<u8>, KrokiError> {
    let source = request.source.as_str();
    let mut body = Vec::with_capacity(source.len() + source.len() / 8 + 256);
    serde_json::to_writer(
        &mut body,
        &RenderBody {
            diagram_source: source,
            diagram_options: &request.options,
        },
    )
    .map_err(|error| KrokiError::BrokenResponse {
        detail: format!("cannot encode the render request: {error}"),
    })?;
    Ok(body)
}

/// The most specific cause of a transport error ("Connection refused"), not reqwest's wrapper.
fn error_chain(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    let mut message = error.to_string();
    while let Some(next) = source.source() {
        message = next.to_string();
        source = next;
    }
    message
}

/// Kroki's message from an error body: JSON `{"error":{"message"}}` (asked for), or the text
/// form `Error 400: …`, or whatever a proxy in between sent, shortened.
fn error_message(body: &[u8]) -> String {
    const MAX: usize = 8 * 1024;
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(message) = json.pointer("/error/message").and_then(|m| m.as_str()) {
            return message.to_owned();
        }
        if let Some(message) = json.get("error").and_then(|m| m.as_str()) {
            return message.to_owned();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let text = text
        .strip_prefix("Error ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(code, _)| code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
        .map_or(text, |(_, message)| message);
    if text.is_empty() {
        return "(no message)".into();
    }
    let mut end = text.len().min(MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::{error_message, render_body, KrokiClient};
    use crate::config::Config;
    use crate::domain::request::{parse_format, parse_type};
    use crate::domain::{DiagramOptions, DiagramSource, RenderRequest};

    fn client(kroki_url: &str) -> KrokiClient {
        let url = kroki_url.to_owned();
        let config =
            Config::from_lookup(|name| (name == "KROKI_URL").then(|| url.clone())).unwrap();
        KrokiClient::new(&config).unwrap()
    }

    fn request(options: DiagramOptions) -> RenderRequest {
        let kind = parse_type("dot").unwrap();
        RenderRequest {
            kind,
            format: parse_format(kind, "SVG").unwrap(),
            source: DiagramSource::parse("digraph { \"a\" }".into(), 1024).unwrap(),
            options,
        }
    }

    #[test]
    fn render_urls_keep_the_configured_base_path() {
        let cases = [
            ("http://kroki:8000", "http://kroki:8000/graphviz/svg"),
            ("http://kroki:8000/", "http://kroki:8000/graphviz/svg"),
            (
                "https://example.test/base/",
                "https://example.test/base/graphviz/svg",
            ),
            (
                "http://[::1]:8000/a/b",
                "http://[::1]:8000/a/b/graphviz/svg",
            ),
        ];
        for (base, expected) in cases {
            let url = client(base).render_url(&request(DiagramOptions::new()));
            assert_eq!(url.as_str(), expected, "KROKI_URL={base}");
        }
    }

    /// Each thread gets its own client (and so its own pool, whose connections run on that
    /// thread's runtime), built once and kept.
    #[test]
    fn each_thread_has_its_own_client() {
        let kroki = client("http://kroki:8000");
        let here = kroki.http.get() as *const reqwest::Client as usize;
        assert_eq!(here, kroki.http.get() as *const reqwest::Client as usize);
        let there = std::thread::scope(|scope| {
            scope
                .spawn(|| kroki.http.get() as *const reqwest::Client as usize)
                .join()
                .unwrap()
        });
        assert_ne!(here, there);
        assert_ne!(here, &kroki.http.shared as *const reqwest::Client as usize);
    }

    #[test]
    fn the_render_body_is_krokis_json() {
        let mut options = DiagramOptions::new();
        options.insert_text("theme", "dark").unwrap();
        let body = render_body(&request(options)).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "diagram_source": "digraph { \"a\" }",
                "diagram_options": {"theme": "dark"},
            })
        );
    }

    #[test]
    fn reads_kroki_messages_in_every_shape() {
        assert_eq!(
            error_message(br#"{"error":{"code":400,"message":"Syntax Error? (line: 2)"}}"#),
            "Syntax Error? (line: 2)"
        );
        assert_eq!(
            error_message(b"Error 400: Syntax Error? (line: 2)"),
            "Syntax Error? (line: 2)"
        );
        assert_eq!(
            error_message(b"Error: <stdin>: syntax error in line 1"),
            "Error: <stdin>: syntax error in line 1"
        );
        assert_eq!(error_message(b""), "(no message)");
        assert_eq!(error_message(&[b'x'; 20_000]).len(), 8 * 1024);
    }
}
