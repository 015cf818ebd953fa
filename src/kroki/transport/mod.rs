//! How a request reaches Kroki: one exchange (a request, its whole answer) over one of two
//! transports, with the same failures whichever carries it.
//!
//! - [`http1`]: for `http://` Kroki URLs (the compose and Kubernetes set-ups), a lean HTTP/1.1
//!   client on hyper's connection API with an idle pool per worker thread. A cache miss is mostly
//!   this exchange, and reqwest's layers (its URL parsing, header maps, redirect and timeout
//!   services, its pool's locking) cost a fifth of the app's CPU on that path.
//! - [`general`]: reqwest, for everything else (`https://`, credentials in the URL, a proxy in
//!   the environment), which it handles and the lean client does not.

pub mod general;
pub mod http1;

use actix_web::web::Bytes;
use std::time::Duration;

/// The connection settings both transports use.
pub const USER_AGENT: &str = concat!("kroki-web/", env!("CARGO_PKG_VERSION"));
/// A connection idle longer than this is closed rather than used.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle connections kept per thread.
pub const MAX_IDLE: usize = 256;
pub const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// One request to Kroki.
pub struct Outgoing<'a> {
    /// `POST` with this JSON body, or `GET` without one.
    pub json_body: Option<Vec<u8>>,
    /// The path below `KROKI_URL` (`/graphviz/svg`, `/health`), percent-encoded already.
    pub path: &'a str,
    /// For the whole exchange, from sending to the answer's last byte.
    pub timeout: Duration,
    /// `X-Request-Id` to pass on.
    pub request_id: Option<crate::request_id::RequestId>,
}

/// Kroki's answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// What went wrong in the exchange, whichever transport carried it.
#[derive(Debug, PartialEq)]
pub enum Failure {
    /// No connection: refused, not resolvable, or not made within the connect timeout.
    Connect { detail: String, timed_out: bool },
    /// A connection, but no whole answer within the exchange's timeout.
    Timeout,
    /// The connection broke, or what came back is not an HTTP answer.
    Broken { detail: String },
    /// The answer is larger than `MAX_RESPONSE_SIZE`, this limit.
    TooLarge { limit: usize },
}

/// The transport chosen at start-up for `KROKI_URL`.
#[derive(Debug)]
pub enum Transport {
    Http1(http1::Client),
    General(general::Client),
}

/// The settings both transports share.
#[derive(Debug, Clone)]
pub struct Settings {
    pub base: url::Url,
    pub connect_timeout: Duration,
    pub max_response_size: usize,
}

impl Transport {
    pub fn new(settings: Settings) -> Result<Transport, reqwest::Error> {
        Ok(match http1::Client::for_url(&settings, proxy_configured) {
            Some(client) => Transport::Http1(client),
            None => Transport::General(general::Client::new(settings)?),
        })
    }

    pub async fn exchange(&self, outgoing: Outgoing<'_>) -> Result<Answer, Failure> {
        match self {
            Transport::Http1(client) => client.exchange(outgoing).await,
            Transport::General(client) => client.exchange(outgoing).await,
        }
    }
}

/// Whether reqwest would send requests through a proxy named in the environment: the lean
/// client does not, so such a set-up keeps reqwest.
fn proxy_configured() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// An answer's body gathered up to a limit. A body that arrives as one chunk (the usual case:
/// hyper splits it off its read buffer) is passed on as it is; only a body in several chunks is
/// copied into one buffer.
struct BodyBuffer {
    first: Option<Bytes>,
    rest: Vec<u8>,
    length: usize,
    limit: usize,
    announced: Option<u64>,
}

impl BodyBuffer {
    /// Refuses at once an answer whose `Content-Length` is over the limit.
    fn new(limit: usize, announced: Option<u64>) -> Result<BodyBuffer, Failure> {
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(Failure::TooLarge { limit });
        }
        Ok(BodyBuffer {
            first: None,
            rest: Vec::new(),
            length: 0,
            limit,
            announced,
        })
    }

    fn push(&mut self, chunk: Bytes) -> Result<(), Failure> {
        self.length += chunk.len();
        if self.length > self.limit {
            return Err(Failure::TooLarge { limit: self.limit });
        }
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(chunk);
            return Ok(());
        }
        if let Some(held) = self.first.take() {
            let total = self.announced.map_or(self.length, |n| n as usize);
            self.rest.reserve(total);
            self.rest.extend_from_slice(&held);
        }
        self.rest.extend_from_slice(&chunk);
        Ok(())
    }

    fn finish(self) -> Bytes {
        self.first.unwrap_or_else(|| Bytes::from(self.rest))
    }
}

/// The most specific cause of an error ("Connection refused"), not a library's wrapper.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source = error;
    let mut message = error.to_string();
    while let Some(next) = source.source() {
        message = next.to_string();
        source = next;
    }
    message
}

#[cfg(test)]
mod tests {
    use super::{BodyBuffer, Failure};
    use actix_web::web::Bytes;

    #[test]
    fn one_chunk_is_passed_on_without_a_copy() {
        let chunk = Bytes::from_static(b"<svg/>");
        let mut buffer = BodyBuffer::new(100, Some(6)).unwrap();
        buffer.push(chunk.clone()).unwrap();
        let body = buffer.finish();
        assert_eq!(body.as_ptr(), chunk.as_ptr());
    }

    #[test]
    fn chunks_are_joined_in_order() {
        let mut buffer = BodyBuffer::new(100, None).unwrap();
        for part in ["<svg", " ", "/>"] {
            buffer.push(Bytes::from(part)).unwrap();
        }
        assert_eq!(buffer.finish(), Bytes::from_static(b"<svg />"));
    }

    #[test]
    fn a_body_over_the_limit_is_refused_announced_or_not() {
        let too_large = Failure::TooLarge { limit: 10 };
        assert_eq!(BodyBuffer::new(10, Some(11)).err(), Some(too_large));
        let mut buffer = BodyBuffer::new(10, None).unwrap();
        buffer.push(Bytes::from_static(b"123456")).unwrap();
        assert_eq!(
            buffer.push(Bytes::from_static(b"78901")),
            Err(Failure::TooLarge { limit: 10 })
        );
    }
}
