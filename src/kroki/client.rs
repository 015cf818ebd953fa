//! The Kroki client: one pooled `reqwest::Client` built at start-up and shared by every request.
//!
//! Renders are sent as `POST /{type}/{format}` with a JSON body (`diagram_source` and
//! `diagram_options`), the form Kroki documents for clients: no URL length limit, options keep
//! their JSON types, and the source reaches Kroki untrimmed. Errors are asked for as JSON so
//! Kroki's own message can be read back exactly.

use super::error::KrokiError;
use crate::config::Config;
use crate::domain::RenderRequest;
use actix_web::web::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{redirect, Client, Response, StatusCode};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct KrokiClient {
    http: Client,
    base_url: String,
    timeout: Duration,
    max_response_size: usize,
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
    pub version: Option<String>,
    pub elapsed: Duration,
}

impl KrokiClient {
    pub fn new(config: &Config) -> Result<KrokiClient, reqwest::Error> {
        let http = Client::builder()
            .user_agent(concat!("kroki-web/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.kroki_connect_timeout)
            .timeout(config.kroki_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(256)
            .tcp_keepalive(Duration::from_secs(60))
            .tcp_nodelay(true)
            // The app talks to the configured Kroki only: never follow a redirect elsewhere.
            .redirect(redirect::Policy::none())
            .build()?;
        Ok(KrokiClient {
            http,
            base_url: config.kroki_url.as_str().trim_end_matches('/').to_owned(),
            timeout: config.kroki_timeout,
            max_response_size: config.max_response_size,
        })
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
        let url = format!(
            "{}/{}/{}",
            self.base_url,
            request.kind.name,
            request.format.name()
        );
        let body = serde_json::json!({
            "diagram_source": request.source.as_str(),
            "diagram_options": request.options.to_json(),
        });
        let started = Instant::now();
        let mut post = self.http.post(&url);
        if let Some(id) = crate::request_id::current() {
            post = post.header(crate::request_id::HEADER, id);
        }
        let response = post
            .timeout(timeout)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
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

    /// Asks Kroki's own `/health` (which checks nothing but that Kroki answers).
    pub async fn info(&self, timeout: Duration) -> Result<KrokiInfo, KrokiError> {
        let started = Instant::now();
        let response = self
            .http
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
        let version = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|health| {
                health
                    .pointer("/version/kroki/number")
                    .and_then(|number| number.as_str().map(str::to_owned))
            });
        Ok(KrokiInfo {
            version,
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
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .map_or(16 * 1024, |length| length as usize),
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(too_large);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Bytes::from(body)),
                Err(error) if error.is_timeout() => {
                    return Err(self.timeout_error(started));
                }
                Err(error) => {
                    return Err(KrokiError::BrokenResponse {
                        detail: error_chain(&error),
                    })
                }
            }
        }
    }

    fn transport_error(&self, error: &reqwest::Error, started: Instant) -> KrokiError {
        if error.is_timeout() {
            self.timeout_error(started)
        } else if error.is_connect() {
            KrokiError::Unreachable {
                url: self.base_url.clone(),
                detail: error_chain(error),
            }
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
    use super::error_message;

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
