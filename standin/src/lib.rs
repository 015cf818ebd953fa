//! A stand-in for the Kroki diagram server (github.com/yuzutech/kroki, version 0.32.1) that speaks
//! Kroki's HTTP protocol faithfully, for tests and benchmarks where real Kroki cannot run.
//!
//! It follows `docs/kroki-protocol.md`: the same routes, the same type × format matrix, the same
//! decoding of GET sources, the same option precedence, the same status codes, error messages and
//! `Accept`-dependent error bodies, the same caching and CORS headers. What it does **not** do is
//! draw diagrams: every picture is a deterministic rendering of the source *text* in a real file
//! format (SVG, PNG, JPEG, PDF, ASCII/Unicode art, base64 data URI).
//!
//! # Deterministic engine errors
//!
//! A source containing the marker `SYNTAX_ERROR` on line N (1-based, counting the lines of the
//! source the engine receives: after GET decoding and trimming, the raw body for POST) gets a 400
//! with an engine-typical message naming line N:
//!
//! | type | message |
//! |---|---|
//! | plantuml, c4plantuml | `Syntax Error? (Assumed diagram type: sequence) (line: N)` |
//! | mermaid | `Error: Parse error on line N:\n<that line>\n-----^\nExpecting 'NEWLINE', 'SPACE', got 'SYNTAX_ERROR'` |
//! | graphviz, dot | `Error: <stdin>: syntax error in line N near 'SYNTAX_ERROR'\n (exit code 1)` |
//! | d2 | `err: failed to compile -: -:N:1: unexpected text after map key\n (exit code 1)` |
//! | structurizr | `Unable to parse the Structurizr DSL. Unexpected tokens at line N.` |
//! | excalidraw | `Unable to convert the diagram: SyntaxError: Unexpected token in JSON at line N` |
//! | bpmn | `Error: unparsable content SYNTAX_ERROR detected; line: N` |
//! | others | `Error: line N: syntax error\n (exit code 1)` |
//!
//! Also: `vega`, `vegalite` and `excalidraw` sources must be JSON, `graphviz`/`dot` braces must
//! balance, an empty PlantUML source gives `Empty diagram, missing delimiters?`, mermaid sources
//! over 50000 characters give `MaxTextSizeError`, and a PlantUML source with a ditaa block gives
//! Kroki's empty 200. See [`engine`].
//!
//! # Hostile SVG on demand
//!
//! An SVG render of a source whose first line is exactly `STANDIN_RAW_SVG`
//! ([`render::RAW_SVG_MARKER`]) is the rest of the source, verbatim: an SVG carrying `<script>` or
//! event handlers, as real engines can produce, for tests of the diagram Content-Security-Policy.
//! Other formats ignore the marker.
//!
//! # Use from tests
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kroki_standin::{Fault, StandIn};
//! let kroki = StandIn::start().await?;
//! let url = format!("{}/graphviz/svg/{}", kroki.url(), kroki_standin::encode("digraph { a -> b }"));
//! // ... point the code under test at kroki.url() ...
//! kroki.set_fault(Fault::Status(503));
//! kroki.set_companion_down("mermaid", true);
//! assert!(kroki.requests().iter().all(|r| r.method == "GET"));
//! kroki.stop().await; // connections are refused from now on
//! kroki.restart().await?; // same port again
//! # let _ = url; Ok(()) }
//! ```

pub mod catalog;
pub mod control;
pub mod decode;
pub mod engine;
pub mod errors;
pub mod faults;
pub mod info;
pub mod options;
pub mod render;
pub mod server;
pub mod state;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;

pub use crate::faults::Fault;
pub use crate::state::RecordedRequest;

/// Kroki's GET encoding of `source` (zlib level 9, URL-safe Base64, unpadded): the app's own
/// encoder, from the workspace crate `kroki-encoding`.
pub fn encode(source: &str) -> String {
    kroki_encoding::encode(source)
}

/// How to run the stand-in.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    /// Where to listen (default `127.0.0.1:0`, a random port).
    pub addr: SocketAddr,
    /// Worker threads (default 2).
    pub workers: usize,
    /// Longest request line, `METHOD URI HTTP/1.1`, before 414 (default 4096, `KROKI_MAX_URI_LENGTH`).
    pub max_uri_length: usize,
    /// Largest request body before 413 (default 10 MiB, `KROKI_BODY_LIMIT`).
    pub body_limit: usize,
    /// Added before every render (default 0).
    pub latency: Duration,
}

impl Default for StandInConfig {
    fn default() -> StandInConfig {
        StandInConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 2,
            max_uri_length: 4096,
            body_limit: 10 * 1024 * 1024,
            latency: Duration::ZERO,
        }
    }
}

/// A running stand-in Kroki server. Dropping it stops the server (best effort).
#[derive(Debug)]
pub struct StandIn {
    shared: Arc<state::Shared>,
    addr: SocketAddr,
    workers: usize,
    handle: Mutex<Option<ServerHandle>>,
}

fn spawn_server(
    shared: &Arc<state::Shared>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<ServerHandle> {
    let server = server::build(shared.clone(), listener, workers)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

impl StandIn {
    /// Starts on `127.0.0.1` with a random port and the default configuration.
    pub async fn start() -> std::io::Result<StandIn> {
        StandIn::start_with(StandInConfig::default()).await
    }

    /// Starts with `config`. Must be called inside a Tokio runtime.
    pub async fn start_with(config: StandInConfig) -> std::io::Result<StandIn> {
        let listener = TcpListener::bind(config.addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(state::Shared::new(state::Settings {
            max_uri_length: config.max_uri_length,
            body_limit: config.body_limit,
            latency: config.latency,
        }));
        let workers = config.workers.max(1);
        let handle = spawn_server(&shared, listener, workers)?;
        Ok(StandIn {
            shared,
            addr,
            workers,
            handle: Mutex::new(Some(handle)),
        })
    }

    fn handle_slot(&self) -> MutexGuard<'_, Option<ServerHandle>> {
        self.handle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Applies `fault` to every Kroki route from the next request on.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.set_fault(fault);
    }

    /// Back to [`Fault::None`].
    pub fn clear_fault(&self) {
        self.shared.set_fault(Fault::None);
    }

    /// Marks a companion (`mermaid`, `bpmn`, `excalidraw`, `diagramsnet`) down or up.
    /// Types it renders then get 503 `Connection refused: localhost/127.0.0.1:PORT`.
    pub fn set_companion_down(&self, companion: &str, down: bool) {
        self.shared.set_down(companion, down);
    }

    /// Makes `/health` report `version` for `name` (a diagram type, or `kroki` for Kroki's
    /// number), as a Kroki upgrade would.
    pub fn set_version(&self, name: &str, version: &str) {
        self.shared.set_version(name, version);
    }

    /// The requests received on Kroki routes, oldest first (the last 1000).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// Total requests ever received on Kroki routes.
    pub fn request_count(&self) -> u64 {
        self.shared.request_count()
    }

    /// Stops listening (in-flight requests are dropped) and waits until connections are refused.
    pub async fn stop(&self) {
        let handle = self.handle_slot().take();
        if let Some(handle) = handle {
            handle.stop(false).await;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match tokio::net::TcpStream::connect(self.addr).await {
                Err(_) => break,
                Ok(stream) => {
                    drop(stream);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Listens again on the same address (stopping first if still running).
    pub async fn restart(&self) -> std::io::Result<()> {
        let running = self.handle_slot().is_some();
        if running {
            self.stop().await;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr) {
                Ok(listener) => break listener,
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let handle = spawn_server(&self.shared, listener, self.workers)?;
        *self.handle_slot() = Some(handle);
        Ok(())
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(handle) = self.handle_slot().take() {
            // The stop command is sent when `stop` is called; the returned future only waits.
            drop(handle.stop(false));
        }
    }
}
