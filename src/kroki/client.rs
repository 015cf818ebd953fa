//! The Kroki client: renders and `/health` asked of the configured Kroki, over the transport
//! chosen for its URL (`transport/`), and Kroki's answers mapped to this app's errors.
//!
//! Renders are sent as `POST /{type}/{format}` with a JSON body (`diagram_source` and
//! `diagram_options`), the form Kroki documents for clients: no URL length limit, options keep
//! their JSON types, and the source reaches Kroki untrimmed. A render asked by Kroki's GET is
//! forwarded as the same GET instead (`same_get`), when it fits Kroki's request-line limit:
//! Kroki then decodes, trims and reads the options exactly as for the client itself, and no
//! JSON is built. Errors are asked for as JSON so Kroki's own message can be read back exactly.

use super::error::KrokiError;
use super::transport::{Failure, Outgoing, Settings, Transport};
use super::versions::KrokiVersions;
use crate::config::Config;
use crate::domain::{DiagramOptions, RenderRequest};
use actix_web::web::Bytes;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kroki's JSON render request.
#[derive(Serialize)]
struct RenderBody<'a> {
    diagram_source: &'a str,
    diagram_options: &'a DiagramOptions,
}

/// Kroki refuses a request line longer than this with 414 (`KROKI_MAX_URI_LENGTH`'s default):
/// a GET that would not fit, with `KROKI_URL`'s path, is sent as the JSON POST, which has no
/// such limit.
const MAX_GET_LINE: usize = 4096;

#[derive(Debug, Clone)]
pub struct KrokiClient {
    transport: Arc<Transport>,
    /// `KROKI_URL` without its trailing slash, for messages.
    base_url: String,
    timeout: Duration,
    /// The longest render path (below `KROKI_URL`'s) sent as a GET ([`MAX_GET_LINE`]).
    max_get_target: usize,
    /// Updated by every `/health` answer read through [`KrokiClient::info`].
    versions: KrokiVersions,
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
            transport: Arc::new(Transport::new(Settings {
                base: config.kroki_url.clone(),
                connect_timeout: config.kroki_connect_timeout,
                max_response_size: config.max_response_size,
            })?),
            base_url: config.kroki_url.as_str().trim_end_matches('/').to_owned(),
            max_get_target: MAX_GET_LINE
                .saturating_sub("GET  HTTP/1.1".len())
                .saturating_sub(config.kroki_url.path().trim_end_matches('/').len()),
            timeout: config.kroki_timeout,
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
        let (path, json_body) = match self.same_get(request) {
            Some(target) => (target, None),
            None => (render_path(request, 0), Some(render_body(request)?)),
        };
        let started = Instant::now();
        let answer = self
            .transport
            .exchange(Outgoing {
                json_body,
                path: &path,
                timeout,
                request_id: crate::request_id::current(),
            })
            .await
            .map_err(|failure| self.error(failure, started))?;
        if answer.status == 200 {
            if answer.body.is_empty() {
                return Err(KrokiError::BrokenResponse {
                    detail: "Kroki answered 200 with an empty body".into(),
                });
            }
            return Ok(Rendered {
                bytes: answer.body,
                content_type: request.format.content_type(),
            });
        }
        let message = error_message(&answer.body);
        Err(match (answer.status, request.kind.companion) {
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

    /// The GET a request that came as Kroki's GET is forwarded as: the client's encoding as it
    /// came, the options in the query (as Kroki reads a GET's), if the request line stays
    /// within Kroki's default limit; else `None`, and it is sent as the JSON POST.
    fn same_get(&self, request: &RenderRequest) -> Option<String> {
        let encoded = request.encoded.as_ref()?.as_str();
        // One allocation, sized for the path (the query, when there are options, grows it).
        let mut target = render_path(request, encoded.len() + 1);
        target.push('/');
        target.push_str(encoded);
        if !request.options.is_empty() {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in request.options.iter() {
                query.append_pair(key, &value.as_text());
            }
            target.push('?');
            target.push_str(&query.finish());
        }
        (target.len() <= self.max_get_target).then_some(target)
    }

    /// Asks Kroki's own `/health` (which checks nothing but that Kroki answers).
    pub async fn info(&self, timeout: Duration) -> Result<KrokiInfo, KrokiError> {
        let started = Instant::now();
        let answer = self
            .transport
            .exchange(Outgoing {
                json_body: None,
                path: "/health",
                timeout,
                request_id: crate::request_id::current(),
            })
            .await
            .map_err(|failure| self.error(failure, started))?;
        if !(200..300).contains(&answer.status) {
            return Err(KrokiError::Upstream {
                status: answer.status,
                message: error_message(&answer.body),
            });
        }
        let versions = serde_json::from_slice::<serde_json::Value>(&answer.body)
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

    /// A connection that could not be made, refused or never completed within
    /// `KROKI_CONNECT_TIMEOUT`, is "unreachable" (502): only a Kroki that accepted the request
    /// and then took too long is a timeout (504). The address and the OS error go to the log
    /// only: the error's message reaches browsers.
    fn error(&self, failure: Failure, started: Instant) -> KrokiError {
        let url = || self.base_url.clone();
        let logged = |detail: &str| {
            tracing::warn!(
                kroki = %self.base_url,
                detail,
                request_id = %crate::request_id::current().unwrap_or_default(),
                "Kroki request failed"
            );
        };
        match failure {
            Failure::TooLarge { limit } => KrokiError::ResponseTooLarge { limit },
            Failure::Timeout => {
                logged("no whole answer in time");
                KrokiError::Timeout {
                    url: url(),
                    seconds: started.elapsed().as_secs_f64(),
                }
            }
            Failure::Connect { detail, timed_out } => {
                logged(&detail);
                let detail = if timed_out {
                    format!(
                        "no connection within {:.1} s (KROKI_CONNECT_TIMEOUT)",
                        started.elapsed().as_secs_f64()
                    )
                } else {
                    detail
                };
                KrokiError::Unreachable { url: url(), detail }
            }
            Failure::Broken { detail } => {
                logged(&detail);
                KrokiError::BrokenResponse { detail }
            }
        }
    }
}

/// `/{type}/{format}`, below `KROKI_URL`'s path, with room for `more` bytes after it.
fn render_path(request: &RenderRequest, more: usize) -> String {
    let (kind, format) = (request.kind.name, request.format.name());
    let mut path = String::with_capacity(kind.len() + format.len() + 2 + more);
    for segment in [kind, format] {
        path.push('/');
        path.push_str(segment);
    }
    path
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
    use super::{error_message, render_body, render_path, KrokiClient};
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
            encoded: None,
        }
    }

    /// The path below `KROKI_URL`: the canonical type's name (an alias is never sent on).
    #[test]
    fn renders_go_to_the_canonical_type_and_format() {
        assert_eq!(
            render_path(&request(DiagramOptions::new()), 0),
            "/graphviz/svg"
        );
    }

    /// A render asked by GET is forwarded as the same GET, its options in the query as a GET
    /// carries them, unless the request line would pass Kroki's 4096 bytes (with `KROKI_URL`'s
    /// path); every other render is the JSON POST.
    #[test]
    fn gets_are_forwarded_as_gets_that_fit_krokis_request_line() {
        use crate::domain::EncodedSource;
        let mut options = DiagramOptions::new();
        options.insert_text("theme", "dark blue").unwrap();
        options.insert_text("a&b", "1=2").unwrap();
        let mut get = request(options);
        assert_eq!(client("http://kroki:8000").same_get(&get), None);
        get.encoded = EncodedSource::new("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=");
        assert_eq!(
            client("http://kroki:8000").same_get(&get).as_deref(),
            Some("/graphviz/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=?a%26b=1%3D2&theme=dark+blue")
        );
        let fits = 4096 - "GET  HTTP/1.1".len() - "/graphviz/svg/".len();
        get.options = DiagramOptions::new();
        get.encoded = EncodedSource::new(&"x".repeat(fits));
        assert!(client("http://kroki:8000/").same_get(&get).is_some());
        assert_eq!(client("http://kroki:8000/k").same_get(&get), None);
        get.encoded = EncodedSource::new(&"x".repeat(fits + 1));
        assert_eq!(client("http://kroki:8000").same_get(&get), None);
    }

    /// `KROKI_URL`'s transport: the lean HTTP/1 client for plain `http://`, reqwest otherwise.
    #[test]
    fn plain_http_kroki_urls_get_the_lean_client() {
        use crate::kroki::transport::Transport;
        let lean = |url: &str| matches!(*client(url).transport, Transport::Http1(_));
        assert!(lean("http://kroki:8000"));
        assert!(!lean("https://kroki.example.test"));
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
