//! The lean client for an `http://` Kroki: HTTP/1.1 on hyper's connection API, with an idle pool
//! per worker thread.
//!
//! Each connection is driven by a task on the runtime of the thread that opened it, and
//! actix-web gives every worker a single-threaded runtime of its own, so a pool per thread keeps
//! every exchange on the thread that serves the request (no cross-thread wake-ups). Connections
//! are taken most recently used first (warm), and a connection that Kroki closed while it sat
//! idle costs a second try on a new one, never an error.

use super::{
    error_chain, Answer, BodyBuffer, Failure, Outgoing, Settings, IDLE_TIMEOUT, MAX_IDLE,
    TCP_KEEPALIVE, USER_AGENT,
};
use actix_web::web::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;
use tokio::net::TcpStream;

type Sender = SendRequest<Full<Bytes>>;

#[derive(Debug)]
struct Idle {
    sender: Sender,
    since: Instant,
}

impl Idle {
    fn usable(&self) -> bool {
        !self.sender.is_closed() && self.since.elapsed() < IDLE_TIMEOUT
    }
}

#[derive(Debug)]
enum Address {
    Name(String),
    Ip(IpAddr),
}

#[derive(Debug)]
pub struct Client {
    address: Address,
    port: u16,
    /// `host[:port]` as in `KROKI_URL`.
    host: HeaderValue,
    /// `KROKI_URL`'s path without its trailing slash ("" or "/base").
    base_path: String,
    connect_timeout: Duration,
    max_response_size: usize,
    idle: ThreadLocal<RefCell<VecDeque<Idle>>>,
}

/// How one attempt on one connection ended badly.
enum Attempt {
    /// What a connection closed while idle gives: the request was not sent, or no answer began.
    Stale(String),
    Failed(Failure),
}

impl Client {
    /// The client for `KROKI_URL`, if it is a plain `http://` URL without credentials, query or
    /// fragment and no proxy is configured (`proxy_configured`); else `None`, for reqwest.
    pub fn for_url(settings: &Settings, proxy_configured: fn() -> bool) -> Option<Client> {
        let url = &settings.base;
        let plain = url.scheme() == "http"
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !plain || proxy_configured() {
            return None;
        }
        let address = match url.host()? {
            url::Host::Domain(name) => Address::Name(name.to_owned()),
            url::Host::Ipv4(ip) => Address::Ip(ip.into()),
            url::Host::Ipv6(ip) => Address::Ip(ip.into()),
        };
        Some(Client {
            address,
            port: url.port_or_known_default()?,
            host: HeaderValue::from_str(&url[url::Position::BeforeHost..url::Position::AfterPort])
                .ok()?,
            base_path: url.path().trim_end_matches('/').to_owned(),
            connect_timeout: settings.connect_timeout,
            max_response_size: settings.max_response_size,
            idle: ThreadLocal::new(),
        })
    }

    pub async fn exchange(&self, outgoing: Outgoing<'_>) -> Result<Answer, Failure> {
        let body = outgoing.json_body.map(Bytes::from);
        let path = self.target(outgoing.path);
        let request_id = outgoing.request_id.as_deref();
        let exchange = async {
            let mut retried = false;
            loop {
                let (mut sender, reused) = match self.take_idle() {
                    Some(sender) => (sender, true),
                    None => (self.connect().await?, false),
                };
                let request = self.request(&path, body.as_ref(), request_id)?;
                match self.send(&mut sender, request).await {
                    Ok(answer) => {
                        self.put_back(sender);
                        return Ok(answer);
                    }
                    Err(Attempt::Stale(_)) if reused && !retried => retried = true,
                    Err(Attempt::Stale(detail)) => return Err(Failure::Broken { detail }),
                    Err(Attempt::Failed(failure)) => return Err(failure),
                }
            }
        };
        // Dropping an exchange that ran out of time closes its connection (hyper's rule), so a
        // late answer can never be read as the next request's.
        tokio::time::timeout(outgoing.timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }

    /// The request target: `path` below `KROKI_URL`'s path, whatever its trailing slash.
    fn target(&self, path: &str) -> String {
        format!("{}{}", self.base_path, path)
    }

    fn request(
        &self,
        path: &str,
        body: Option<&Bytes>,
        request_id: Option<&str>,
    ) -> Result<Request<Full<Bytes>>, Failure> {
        let mut request = Request::builder()
            .uri(path)
            .header(header::HOST, self.host.clone())
            .header(header::USER_AGENT, HeaderValue::from_static(USER_AGENT))
            .header(header::ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            request = request.method(Method::POST).header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if let Some(id) = request_id {
            // A static name: a name parsed from text that is not a standard header is copied.
            request = request.header(HeaderName::from_static(crate::request_id::HEADER), id);
        }
        request
            .body(Full::new(body.cloned().unwrap_or_default()))
            .map_err(|error| Failure::Broken {
                detail: format!("cannot build the request: {error}"),
            })
    }

    async fn send(
        &self,
        sender: &mut Sender,
        request: Request<Full<Bytes>>,
    ) -> Result<Answer, Attempt> {
        if let Err(error) = sender.ready().await {
            return Err(Attempt::Stale(error_chain(&error)));
        }
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(error) => {
                let detail = error_chain(error.error());
                let cause = error.error();
                let stale = error.message().is_some()
                    || cause.is_canceled()
                    || cause.is_incomplete_message();
                return Err(if stale {
                    Attempt::Stale(detail)
                } else {
                    Attempt::Failed(Failure::Broken { detail })
                });
            }
        };
        let status = response.status().as_u16();
        let announced = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse().ok());
        let mut buffer =
            BodyBuffer::new(self.max_response_size, announced).map_err(Attempt::Failed)?;
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| {
                Attempt::Failed(Failure::Broken {
                    detail: error_chain(&error),
                })
            })?;
            if let Ok(data) = frame.into_data() {
                buffer.push(data).map_err(Attempt::Failed)?;
            }
        }
        Ok(Answer {
            status,
            body: buffer.finish(),
        })
    }

    /// A connection to Kroki, its HTTP/1 side driven by a task on this thread's runtime.
    async fn connect(&self) -> Result<Sender, Failure> {
        let connecting = async {
            match &self.address {
                Address::Ip(ip) => TcpStream::connect(SocketAddr::new(*ip, self.port)).await,
                Address::Name(name) => TcpStream::connect((name.as_str(), self.port)).await,
            }
        };
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Err(_) => {
                return Err(Failure::Connect {
                    detail: "connect timed out".into(),
                    timed_out: true,
                })
            }
            Ok(Err(error)) => {
                return Err(Failure::Connect {
                    detail: error.to_string(),
                    timed_out: false,
                })
            }
            Ok(Ok(stream)) => stream,
        };
        // Small requests and answers go out at once; dead peers are noticed while idle.
        let _ = stream.set_nodelay(true);
        let keepalive = socket2::TcpKeepalive::new().with_time(TCP_KEEPALIVE);
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
        let (sender, connection) =
            handshake(TokioIo::new(stream))
                .await
                .map_err(|error| Failure::Broken {
                    detail: error_chain(&error),
                })?;
        tokio::spawn(async move {
            // Its end (Kroki closed it, or every sender was dropped) is no one's error.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// This thread's most recently used connection that is still open.
    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.get_or(Default::default).borrow_mut();
        while let Some(entry) = idle.pop_back() {
            if entry.usable() {
                return Some(entry.sender);
            }
        }
        None
    }

    fn put_back(&self, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.get_or(Default::default).borrow_mut();
        // The oldest are at the front: drop the ones past use, and one more if the pool is full.
        while idle.front().is_some_and(|entry| !entry.usable()) {
            idle.pop_front();
        }
        if idle.len() >= MAX_IDLE {
            idle.pop_front();
        }
        idle.push_back(Idle {
            sender,
            since: Instant::now(),
        });
    }

    #[cfg(test)]
    fn idle_here(&self) -> usize {
        self.idle.get().map_or(0, |idle| idle.borrow().len())
    }
}

#[cfg(test)]
mod tests;
