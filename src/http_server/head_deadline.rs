//! A deadline for every request head on a connection, not only the first (slowloris).
//!
//! actix-http arms its request-head timer once per connection. After a kept-alive response, the
//! first byte of the next request clears the keep-alive timer and arms nothing, so a client
//! that sends one byte and then trickles (or nothing) holds the connection open indefinitely.
//! [`HeadDeadline`] wraps the connection's stream and watches the bytes the server reads: from
//! the first byte of a head, the rest of it (up to its empty line) must arrive within the
//! timeout. When it does not, the client gets a 408, reads end and the server closes.
//!
//! ## Where the proper fix lives
//!
//! In actix-http, not here. In actix-http 3.20.0's `src/h1/dispatcher.rs`, the head timer is
//! the field `head_timer: TimerState` of `InnerDispatcher`. `<Dispatcher as Future>::poll`
//! arms it only in its `if !inner.flags.contains(Flags::STARTED)` branch (with
//! `ServiceConfig::client_request_deadline()`), that is once per connection;
//! `InnerDispatcher::poll_request` clears it when it decodes a request ("head timer only
//! applies to first request on connection"); `InnerDispatcher::poll_head_timer` sends the 408
//! when it fires. On a kept-alive connection the same `poll`, "after reading something from
//! stream", removes `Flags::KEEP_ALIVE` and clears `ka_timer`, and arms nothing in its place.
//! The fix is a few lines there: in that branch, also `head_timer.set_and_init(cx,
//! sleep_until(deadline), ..)` with `config.client_request_deadline()` (hyper's
//! `header_read_timeout` counts each later head from its first byte in the same way). The
//! test `actix_http_alone_still_leaves_a_kept_alive_connections_next_head_without_a_deadline`
//! below fails on the day an actix-http upgrade does this; then this module's deadline goes,
//! actix gets its `client_request_timeout` back (`http_server/mod.rs` sets it to zero), and
//! only the replacement of actix-http's bare answers (below) still needs the wrapper.
//!
//! It only reads the bytes that pass; it does not parse requests (actix-http does), except
//! the two headers that frame a body (`Content-Length`, `Transfer-Encoding: chunked`), to
//! know where a body ends. That matters when the app answers before it has read the body (a
//! 404, a 413 for a declared length, a 429): the bytes that follow the answer are the rest of
//! the body, not a next head. When the answer closes the connection (`connection: close`,
//! actix-http's choice for an unread `Content-Length` body), nothing more is due: actix reads
//! and drops what comes for its disconnect timeout and closes. When it keeps the connection
//! (an unread chunked body, which actix-http reads to its end), the rest of the body is due
//! within the timeout too, and the next head's deadline starts at its first byte; a body
//! later than that ends reads without a 408 (the request had its answer). Bytes read while a
//! request is the server's start no deadline, so a pipelined next head has none until the
//! server's final response: a pipelined head that came in before that response all but its
//! final empty line would be taken for an unfinished one and cut at the timeout, even if the
//! server was busy with it. No common client pipelines (browsers, curl, hyper and the JVM's
//! clients do not), and the worst case is a 408, never a connection held open.
//!
//! It also gives the answers made below the app their documented shape. actix-http answers a
//! head it cannot parse itself, with an empty body and no header of the app's: 400 for a
//! malformed head (a request target of 65,534 characters or more among them: the `http`
//! crate's limit), 431 for a header block over its buffer, 400 for a malformed chunked body.
//! Those, and this module's own 408, are recognised as they are written (a final error
//! response with no `X-Request-Id` and an empty body: every answer of the app carries one)
//! and replaced by [`Answer`]'s response for the same status, the path (read from the head's
//! first bytes) choosing its shape. The connection still closes after them.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep_until, Instant, Sleep};

/// Called once for every connection dropped for a late head (counts it in the metrics).
pub type OnTimeout = Arc<dyn Fn() + Send + Sync>;

/// An answer made below the app: what is known of the request when it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 408, 431 (or another error status actix-http chose).
    pub status: u16,
    /// The request target's path as far as it arrived (at most [`PREFIX`] bytes of the head
    /// are kept); empty if the request line had not begun.
    pub path: String,
    /// The request line's length so far, its end excluded (a target too long to parse makes
    /// it long).
    pub request_line_len: usize,
}

/// Makes the response sent for a [`Refusal`]: the app's headers and body for that status.
pub type Answer = Arc<dyn Fn(&Refusal) -> actix_web::HttpResponse + Send + Sync>;

/// How much of each head's start is kept, to know its path.
const PREFIX: usize = 256;

/// With no `CLIENT_REQUEST_TIMEOUT`: a deadline never reached.
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// Where the connection is in its request/response cycle, as far as the deadline cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests, nothing of the next head received: the keep-alive timer's time.
    Idle,
    /// A head is due by this instant (from its first byte, or from the connection's start).
    Head { deadline: Instant },
    /// A whole head arrived: the request (its body, its render) is the server's until it
    /// starts the response.
    Request,
    /// The final response was written before the request's body all arrived (a 404, 413 or
    /// 429 answered unread): the bytes that follow are the rest of that body, which actix-http
    /// reads and drops to keep the connection, not a head. It is due by this instant; when it
    /// is late, reads end (no 408: the request was answered) and actix closes.
    Draining { deadline: Instant },
    /// A final response said `connection: close`: no head is read after it (actix-http only
    /// reads and drops what comes, for its disconnect timeout at most, then closes).
    Closing,
    /// The deadline passed: the 408 is sent, reads end and writes fail.
    TimedOut,
}

/// A connection's stream with a deadline on each request head. See the module documentation.
pub struct HeadDeadline<IO> {
    io: IO,
    timeout: Duration,
    phase: Phase,
    scan: HeadEnd,
    /// The start of the head being received: its path and request line's length.
    start: HeadStart,
    /// How the request's body is framed, from its head's headers.
    framing: Framing,
    /// What is left of the request's body.
    body: Body,
    /// Made the first time a head spans reads; most heads arrive in one read and need none.
    timer: Option<Pin<Box<Sleep>>>,
    on_timeout: OnTimeout,
    answer: Answer,
    /// An answer of ours not yet taken by the socket (written before anything else).
    pending: Vec<u8>,
    /// A connection-ending answer was written: reads end, so that actix closes at once rather
    /// than wait for the rest of a body (a chunked body trickling after its 408).
    closing: bool,
}

impl<IO> HeadDeadline<IO> {
    /// The first head is due `timeout` after the connection was accepted, as with actix's own
    /// timer; each later one `timeout` after its first byte. A zero `timeout` sets none.
    pub fn new(
        io: IO,
        timeout: Duration,
        on_timeout: OnTimeout,
        answer: Answer,
    ) -> HeadDeadline<IO> {
        let timeout = if timeout.is_zero() {
            NO_DEADLINE
        } else {
            timeout
        };
        HeadDeadline {
            io,
            timeout,
            phase: Phase::Head {
                deadline: Instant::now() + timeout,
            },
            scan: HeadEnd::default(),
            start: HeadStart::default(),
            framing: Framing::default(),
            body: Body::Done,
            timer: None,
            on_timeout,
            answer,
            pending: Vec::new(),
            closing: false,
        }
    }

    /// Follows the bytes just read: the start and the end of a head, and of its body.
    fn observe_read(&mut self, mut bytes: &[u8]) {
        // One read may hold the end of a body and the start of the next head.
        while !bytes.is_empty() {
            match self.phase {
                Phase::Idle => {
                    self.scan = HeadEnd::default();
                    self.start = HeadStart::default();
                    self.framing = Framing::default();
                    self.phase = Phase::Head {
                        deadline: Instant::now() + self.timeout,
                    };
                }
                Phase::Head { .. } => {
                    self.start.feed(bytes);
                    let Some(end) = self.scan.feed(bytes) else {
                        self.framing.feed(bytes);
                        return;
                    };
                    self.framing.feed(&bytes[..end]);
                    self.body = self.framing.body();
                    self.phase = Phase::Request;
                    bytes = &bytes[end..];
                }
                // Body bytes, or a pipelined head, which actix already holds: no deadline of
                // ours; only whether the body has all come is followed.
                Phase::Request => {
                    self.body.feed(bytes);
                    return;
                }
                Phase::Draining { .. } => match self.body.feed(bytes) {
                    Some(taken) => {
                        self.phase = Phase::Idle;
                        bytes = &bytes[taken..];
                    }
                    None => return,
                },
                Phase::Closing | Phase::TimedOut => return,
            }
        }
    }

    /// Follows the bytes about to be written: a final response ends the request.
    fn observe_write(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Request {
            return;
        }
        let Some(response) = final_response(bytes) else {
            return;
        };
        let closes = response_head(response)
            .is_some_and(|head| has_header(head, "connection", Some("close")));
        self.phase = if closes {
            Phase::Closing
        } else if self.body.is_done() {
            Phase::Idle
        } else {
            Phase::Draining {
                deadline: Instant::now() + self.timeout,
            }
        };
    }

    /// The bytes of the documented answer for `status`, which ends the connection.
    fn answer_bytes(&self, status: u16) -> Vec<u8> {
        let refusal = Refusal {
            status,
            path: self.start.path(),
            request_line_len: self.start.line_len,
        };
        serialize((self.answer)(&refusal))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> HeadDeadline<IO> {
    /// Ready once `deadline` has passed, registering the task to be woken then.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx)
    }

    /// What is due next, if anything is: a head, or the rest of an answered request's body.
    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head { deadline } | Phase::Draining { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// A late head gets its 408; the late rest of an answered body only the end of reads.
    fn miss_deadline(&mut self, cx: &mut Context<'_>) {
        if matches!(self.phase, Phase::Draining { .. }) {
            self.timer = None;
            self.closing = true;
        } else {
            self.time_out(cx);
        }
    }

    /// Sends the 408 (what the socket does not take at once waits for actix's flush before
    /// it closes), and ends the connection's reads.
    fn time_out(&mut self, cx: &mut Context<'_>) {
        self.phase = Phase::TimedOut;
        self.timer = None;
        (self.on_timeout)();
        self.pending = self.answer_bytes(408);
        let _ = self.poll_pending(cx);
    }

    /// Writes what is left of an answer of ours; ready when nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                }
                Poll::Ready(Err(error)) => {
                    self.pending.clear();
                    return Poll::Ready(Err(error));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeadDeadline<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closing {
            return Poll::Ready(Ok(()));
        }
        if this.phase == Phase::TimedOut {
            // End of stream: actix closes the connection.
            return Poll::Ready(Ok(()));
        }
        // A trickling client never lets a read wait: check the clock on each one.
        if this
            .deadline()
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            this.miss_deadline(cx);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.observe_read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if let Some(deadline) = this.deadline() {
                    if this.poll_deadline(cx, deadline).is_ready() {
                        this.miss_deadline(cx);
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Pending
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for HeadDeadline<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::TimedOut {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        std::task::ready!(this.poll_pending(cx))?;
        match bare_answer(buf) {
            Some(status) => {
                // Made below the app: replaced, whole, by the documented answer.
                this.pending = this.answer_bytes(status);
                this.closing = true;
                this.phase = Phase::Idle;
                let _ = this.poll_pending(cx);
                Poll::Ready(Ok(buf.len()))
            }
            None => {
                if ends_connection(buf) {
                    this.closing = true;
                }
                this.observe_write(buf);
                Pin::new(&mut this.io).poll_write(cx, buf)
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The head of a response that starts `bytes`, if they start one whole.
fn response_head(bytes: &[u8]) -> Option<&[u8]> {
    if !(bytes.starts_with(b"HTTP/1.1 ") || bytes.starts_with(b"HTTP/1.0 ")) {
        return None;
    }
    memchr::memmem::find(bytes, b"\r\n\r\n").map(|end| &bytes[..end + 2])
}

fn status_of(head: &[u8]) -> Option<u16> {
    std::str::from_utf8(head.get(9..12)?).ok()?.parse().ok()
}

/// Whether a header line `name: value` (lowercase name, any value if `value` is `None`) is in
/// `head`. On bytes, without making text of each line: this runs on every response written.
fn has_header(head: &[u8], name: &str, value: Option<&str>) -> bool {
    head.split(|byte| *byte == b'\n').skip(1).any(|line| {
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let (found, found_value) = (&line[..colon], &line[colon + 1..]);
        found.trim_ascii().eq_ignore_ascii_case(name.as_bytes())
            && value.is_none_or(|value| {
                found_value
                    .trim_ascii()
                    .eq_ignore_ascii_case(value.as_bytes())
            })
    })
}

/// The status of an error response made by actix-http itself: a whole 4xx or 5xx head with an
/// empty body and no `X-Request-Id`, which every answer of the app carries.
fn bare_answer(bytes: &[u8]) -> Option<u16> {
    if !matches!(bytes.get(9), Some(b'4' | b'5')) {
        return None;
    }
    let head = response_head(bytes)?;
    let status = status_of(head)?;
    let bare = head.len() + 2 == bytes.len()
        && has_header(head, "content-length", Some("0"))
        && !has_header(head, crate::request_id::HEADER, None);
    bare.then_some(status)
}

/// A 408 ends the connection: the client is told it was too slow, and whatever it sends next
/// (the rest of a trickling body) is not waited for.
fn ends_connection(bytes: &[u8]) -> bool {
    response_head(bytes)
        .and_then(status_of)
        .is_some_and(|status| status == 408)
}

/// A response as HTTP/1.1 bytes, with `connection: close`. Its body must be in memory (the
/// error bodies are).
fn serialize(response: actix_web::HttpResponse) -> Vec<u8> {
    use actix_web::body::MessageBody as _;
    let status = response.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error")
    )
    .into_bytes();
    for (name, value) in response.headers() {
        if matches!(name.as_str(), "content-length" | "connection") {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let body = response.into_body().try_into_bytes().unwrap_or_default();
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    out
}

/// The start of a request head: its first bytes, for the path, and its request line's length.
#[derive(Debug, Default)]
struct HeadStart {
    prefix: Vec<u8>,
    line_len: usize,
    line_done: bool,
}

impl HeadStart {
    fn feed(&mut self, bytes: &[u8]) {
        // The empty lines a client may send before its request line count for nothing.
        let bytes = if self.prefix.is_empty() && self.line_len == 0 {
            let start = bytes
                .iter()
                .position(|byte| !matches!(byte, b'\r' | b'\n'))
                .unwrap_or(bytes.len());
            &bytes[start..]
        } else {
            bytes
        };
        let room = PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        if !self.line_done {
            match memchr::memchr(b'\n', bytes) {
                Some(end) => {
                    self.line_len += end;
                    self.line_done = true;
                }
                None => self.line_len += bytes.len(),
            }
        }
    }

    /// The request target's path, as far as it is known.
    fn path(&self) -> String {
        let line = self
            .prefix
            .split(|byte| *byte == b'\n')
            .next()
            .unwrap_or_default();
        let target = line.split(|byte| *byte == b' ').nth(1).unwrap_or_default();
        let path = target
            .split(|byte| *byte == b'?')
            .next()
            .unwrap_or_default();
        String::from_utf8_lossy(path).into_owned()
    }
}

/// Where the final response starts in `bytes`: past the interim (1xx) responses, such as the
/// `100 Continue` sent before a body, after which the request goes on. `None` if `bytes` are
/// only interim responses.
fn final_response(mut bytes: &[u8]) -> Option<&[u8]> {
    loop {
        if bytes.is_empty() {
            return None;
        }
        let interim = bytes.len() > 9
            && (bytes.starts_with(b"HTTP/1.1 1") || bytes.starts_with(b"HTTP/1.0 1"));
        if !interim {
            return Some(bytes);
        }
        let end = memchr::memmem::find(bytes, b"\r\n\r\n")?;
        bytes = &bytes[end + 4..];
    }
}

/// Finds the empty line that ends a request head, in bytes that may come in pieces. Line ends
/// may be CRLF or a bare LF (as httparse accepts); the empty lines a client may send before its
/// request line (RFC 9112 §2.2) do not end anything.
#[derive(Debug, Default)]
struct HeadEnd {
    /// Something other than CR and LF has been seen: the request line has begun.
    begun: bool,
    /// The line-end bytes just seen: a head ends at LF, an optional CR, then LF.
    after: After,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum After {
    #[default]
    Text,
    Lf,
    LfCr,
}

impl HeadEnd {
    /// Takes the next bytes of a head; once its end is among them, how many of them it took.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        if !self.begun {
            at = bytes
                .iter()
                .position(|byte| !matches!(byte, b'\r' | b'\n'))
                .unwrap_or(bytes.len());
            if at == bytes.len() {
                return None;
            }
            self.begun = true;
        }
        while at < bytes.len() {
            match (self.after, bytes[at]) {
                (After::Lf | After::LfCr, b'\n') => return Some(at + 1),
                (After::Lf, b'\r') => {
                    self.after = After::LfCr;
                    at += 1;
                    continue;
                }
                _ => self.after = After::Text,
            }
            // Lines are long and few: jump from one LF to the next.
            match memchr::memchr(b'\n', &bytes[at..]) {
                Some(offset) => {
                    at += offset + 1;
                    self.after = After::Lf;
                }
                None => return None,
            }
        }
        None
    }
}

/// How much of a header line is kept to read its name and value: the framing headers'
/// values are short.
const LINE_KEEP: usize = 96;

/// The framing of a request's body, read from its head's header lines as they pass: a
/// `Transfer-Encoding` ending in `chunked`, or a `Content-Length`. A framing header too long
/// to keep makes the framing unknown.
#[derive(Debug, Default)]
struct Framing {
    /// The current line's start (at most [`LINE_KEEP`] bytes) and whether it was longer.
    line: Vec<u8>,
    cut: bool,
    length: Option<u64>,
    chunked: bool,
    unknown: bool,
}

impl Framing {
    fn feed(&mut self, bytes: &[u8]) {
        // From one LF to the next (`memchr`): a request line is long, its header lines few.
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            self.keep(&bytes[start..=end]);
            self.end_line();
            self.line.clear();
            self.cut = false;
            start = end + 1;
        }
        self.keep(&bytes[start..]);
    }

    /// Keeps the start of the current line, and whether it was longer.
    fn keep(&mut self, piece: &[u8]) {
        let room = LINE_KEEP.saturating_sub(self.line.len());
        self.line.extend_from_slice(&piece[..piece.len().min(room)]);
        self.cut |= piece.len() > room;
    }

    fn end_line(&mut self) {
        let line = String::from_utf8_lossy(&self.line);
        let Some((name, value)) = line.split_once(':') else {
            return;
        };
        let name = name.trim();
        let framing = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        if framing && self.cut {
            self.unknown = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse() {
                Ok(length) if self.length.is_none_or(|known| known == length) => {
                    self.length = Some(length);
                }
                _ => self.unknown = true,
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
        }
    }

    /// The body the head announces (chunked before a length, as RFC 9112 §6.3 reads them).
    fn body(&self) -> Body {
        if self.unknown {
            Body::Unknown
        } else if self.chunked {
            Body::Chunked(Chunk::Size(0))
        } else {
            match self.length {
                Some(0) | None => Body::Done,
                Some(length) => Body::Length(length),
            }
        }
    }
}

/// What is left of a request's body, followed as its bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Done,
    /// A framing this module does not follow (actix-http refuses most with a 400): the next
    /// bytes after the answer are taken for a head, as they always were.
    Unknown,
    /// This many bytes are still to come.
    Length(u64),
    Chunked(Chunk),
}

/// Where a chunked body is (RFC 9112 §7.1): a chunk's size line (its extensions skipped),
/// its data and the line end after them, then after the last chunk the trailer lines up to an
/// empty one. Malformed bodies are actix-http's to refuse; this only never runs past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size(u64),
    Extension(u64),
    Data(u64),
    DataEnd,
    /// In the trailer; true at the start of a line.
    Trailer(bool),
}

impl Body {
    fn is_done(&self) -> bool {
        matches!(self, Body::Done | Body::Unknown)
    }

    /// Takes the next bytes read; once the body ends among them, how many of them it took.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        match self {
            Body::Done | Body::Unknown => Some(0),
            Body::Length(left) => {
                let taken = (*left).min(bytes.len() as u64);
                *left -= taken;
                // `taken` is at most `bytes.len()`, a usize.
                let taken = usize::try_from(taken).unwrap_or(bytes.len());
                if *left == 0 {
                    *self = Body::Done;
                    Some(taken)
                } else {
                    None
                }
            }
            Body::Chunked(chunk) => {
                let ended = chunk.feed(bytes);
                if ended.is_some() {
                    *self = Body::Done;
                }
                ended
            }
        }
    }
}

impl Chunk {
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let after_size = |size: u64| {
            if size == 0 {
                Chunk::Trailer(true)
            } else {
                Chunk::Data(size)
            }
        };
        let mut at = 0;
        while at < bytes.len() {
            if let Chunk::Data(left) = *self {
                let taken = left.min((bytes.len() - at) as u64);
                // `taken` is at most what is left of `bytes`, a usize.
                at += usize::try_from(taken).unwrap_or(bytes.len() - at);
                *self = if taken == left {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left - taken)
                };
                continue;
            }
            let byte = bytes[at];
            at += 1;
            *self = match (*self, byte) {
                (Chunk::Size(size), b'\n') | (Chunk::Extension(size), b'\n') => after_size(size),
                (Chunk::Size(size), digit) if digit.is_ascii_hexdigit() => {
                    let value = char::from(digit).to_digit(16).map_or(0, u64::from);
                    Chunk::Size(size.saturating_mul(16).saturating_add(value))
                }
                (Chunk::Size(size) | Chunk::Extension(size), _) => Chunk::Extension(size),
                (Chunk::DataEnd, b'\n') => Chunk::Size(0),
                (Chunk::Trailer(true), b'\n') => return Some(at),
                (Chunk::Trailer(_), b'\n') => Chunk::Trailer(true),
                (Chunk::Trailer(start), b'\r') => Chunk::Trailer(start),
                (Chunk::Trailer(_), _) => Chunk::Trailer(false),
                (other, _) => other,
            };
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ends_in_pieces(pieces: &[&[u8]]) -> Option<usize> {
        let mut scan = HeadEnd::default();
        pieces.iter().position(|piece| scan.feed(piece).is_some())
    }

    #[test]
    fn the_end_of_a_head_is_found_whole_or_split_anywhere() {
        let head: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
        assert_eq!(ends_in_pieces(&[head]), Some(0));
        for split in 1..head.len() {
            let (first, second) = head.split_at(split);
            assert_eq!(
                ends_in_pieces(&[first, second]),
                Some(1),
                "split at {split}"
            );
        }
        let bytes: Vec<&[u8]> = head.chunks(1).collect();
        assert_eq!(ends_in_pieces(&bytes), Some(head.len() - 1));
    }

    #[test]
    fn bare_line_feeds_end_a_head_and_a_partial_one_does_not() {
        assert_eq!(ends_in_pieces(&[b"GET / HTTP/1.1\nHost: x\n\n"]), Some(0));
        assert_eq!(ends_in_pieces(&[b"GET / HTTP/1.1\nHost: x\n\r\n"]), Some(0));
        assert_eq!(ends_in_pieces(&[b"GET / HTTP/1.1\r\nHost: x\r\n"]), None);
        assert_eq!(ends_in_pieces(&[b"GET / HTTP/1.1\r\nHost: x\r\n\r"]), None);
        assert_eq!(ends_in_pieces(&[b"GET / HTTP/1.1\r\nX: \r\r\n"]), None);
    }

    #[test]
    fn empty_lines_before_the_request_line_end_nothing() {
        // Else a client could send "\r\n\r\n" and trickle the rest with no deadline.
        assert_eq!(
            ends_in_pieces(&[b"\r\n\r\n", b"\r\n", b"GET / HTTP/1.1\r\n"]),
            None
        );
        assert_eq!(
            ends_in_pieces(&[b"\r\n\r\nGET / HTTP/1.1\r\n", b"\r\n"]),
            Some(1)
        );
    }

    #[test]
    fn only_a_final_response_ends_a_request() {
        assert!(final_response(b"HTTP/1.1 200 OK\r\n").is_some());
        assert!(final_response(b"HTTP/1.1 408 Request Timeout\r\n\r\n").is_some());
        assert!(final_response(b"body bytes of a response").is_some());
        assert_eq!(final_response(b"HTTP/1.1 100 Continue\r\n\r\n"), None);
        assert_eq!(final_response(b""), None);
        assert_eq!(
            final_response(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
            Some(&b"HTTP/1.1 200 OK\r\n"[..])
        );
    }

    /// The app's answer, reduced to its status and a marker header.
    fn answer() -> Answer {
        Arc::new(|refusal: &Refusal| {
            let status = actix_web::http::StatusCode::from_u16(refusal.status).unwrap();
            actix_web::HttpResponse::build(status)
                .insert_header(("x-request-id", "made-by-the-app"))
                .body(format!("Error {}: {}", refusal.status, refusal.path))
        })
    }

    #[test]
    fn bare_answers_of_actix_are_told_from_the_apps() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        assert_eq!(bare_answer(bare), Some(431));
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_answer(bad), Some(400));
        let apps = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nX-Request-Id: a\r\n\r\n";
        assert_eq!(bare_answer(apps), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nabc";
        assert_eq!(bare_answer(with_body), None);
        assert_eq!(
            bare_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert!(ends_connection(
            b"HTTP/1.1 408 Request Timeout\r\nx: y\r\n\r\n"
        ));
        assert!(!ends_connection(b"HTTP/1.1 404 Not Found\r\n\r\n"));
    }

    #[test]
    fn the_head_start_gives_the_path_and_the_request_line_length() {
        let mut start = HeadStart::default();
        start.feed(b"\r\nGET /api/gen");
        start.feed(b"erate?x=1 HTTP/1.1\r\nHost: x\r\n");
        assert_eq!(start.path(), "/api/generate");
        assert_eq!(start.line_len, "GET /api/generate?x=1 HTTP/1.1\r".len());
        let mut long = HeadStart::default();
        long.feed(b"GET /");
        long.feed(&[b'a'; 70_000]);
        assert_eq!(long.line_len, 70_005);
        assert!(long.path().starts_with("/aaa"));
    }

    #[tokio::test]
    async fn a_bare_answer_is_replaced_by_the_apps_and_ends_reads() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let (on_timeout, _) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(5), on_timeout, answer());
        client
            .write_all(b"GET /api/generate HTTP/1.1\r\nX-Big: aaaa")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        assert!(server.read(&mut buf).await.unwrap() > 0);
        let bare: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert_eq!(server.write(bare).await.unwrap(), bare.len());
        server.flush().await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 0, "reads end");
        server.shutdown().await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{answer}"
        );
        assert!(
            answer.contains("x-request-id: made-by-the-app\r\n"),
            "{answer}"
        );
        assert!(answer.contains("connection: close\r\n"), "{answer}");
        assert!(
            answer.ends_with("\r\n\r\nError 431: /api/generate"),
            "{answer}"
        );
    }

    fn counter() -> (OnTimeout, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        let on_timeout: OnTimeout = Arc::new(move || {
            counted.fetch_add(1, Ordering::Relaxed);
        });
        (on_timeout, count)
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_second_head_gets_408_and_the_end_of_reads() {
        let (client, server) = tokio::io::duplex(4096);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout, answer());
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let mut buf = [0u8; 256];

        // The first request, whole: read, answered.
        client_write
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        assert!(server.read(&mut buf).await.unwrap() > 0);
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        let n = client_read.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

        // Idle between requests: no deadline of ours, however long.
        tokio::time::sleep(Duration::from_secs(30)).await;
        client_write.write_all(b"G").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 1);

        // One byte of a second head, then silence: at the deadline, the end of reads.
        let started = Instant::now();
        assert_eq!(server.read(&mut buf).await.unwrap(), 0, "end of stream");
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(count.load(Ordering::Relaxed), 1);
        let n = client_read.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
        assert!(server.write_all(b"late").await.is_err(), "writes fail");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_head_is_cut_at_its_deadline_and_a_whole_one_is_not() {
        let (mut client, server) = tokio::io::duplex(4096);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout, answer());
        let mut buf = [0u8; 256];
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut reads = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            client.write_all(b"X-Slow: 1\r\n").await.unwrap();
            if server.read(&mut buf).await.unwrap() == 0 {
                break;
            }
            reads += 1;
        }
        assert_eq!(reads, 3, "cut at 1 s, on the read after it");
        assert_eq!(count.load(Ordering::Relaxed), 1);

        // A request whose head completes in time, whose body and render take long: no cut.
        let (mut client, server) = tokio::io::duplex(4096);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout, answer());
        client
            .write_all(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n")
            .await
            .unwrap();
        assert!(server.read(&mut buf).await.unwrap() > 0);
        tokio::time::sleep(Duration::from_millis(900)).await;
        client.write_all(b"\r\n").await.unwrap();
        assert_eq!(
            server.read(&mut buf).await.unwrap(),
            2,
            "the head's end, in time"
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        client.write_all(b"body").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 4);
        server
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        client.write_all(b"more body").await.unwrap();
        assert_eq!(
            server.read(&mut buf).await.unwrap(),
            9,
            "interim: still the request"
        );
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_head_is_due_from_the_connection_start_unless_the_timeout_is_zero() {
        let (_client, server) = tokio::io::duplex(64);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(2), on_timeout, answer());
        let started = Instant::now();
        assert_eq!(server.read(&mut [0u8; 8]).await.unwrap(), 0);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(count.load(Ordering::Relaxed), 1);

        let (mut client, server) = tokio::io::duplex(64);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::ZERO, on_timeout, answer());
        client.write_all(b"G").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(server.read(&mut buf).await.unwrap(), 1);
        let waited = tokio::time::timeout(Duration::from_secs(60), server.read(&mut buf)).await;
        assert!(waited.is_err(), "no deadline: the read still waits");
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }

    /// Where `body` ends when fed `bytes` in two pieces split at every place: the offset of
    /// its end in the whole, or `None`.
    fn body_end_split_anywhere(body: Body, bytes: &[u8]) -> Option<usize> {
        let whole = body.clone().feed(bytes);
        for split in 0..=bytes.len() {
            let mut pieces = body;
            let (first, second) = bytes.split_at(split);
            let ended = match pieces.feed(first) {
                Some(taken) => Some(taken),
                None => pieces.feed(second).map(|taken| split + taken),
            };
            assert_eq!(ended, whole, "split at {split}");
        }
        whole
    }

    fn framing_of(head: &str) -> Body {
        let mut framing = Framing::default();
        framing.feed(head.as_bytes());
        framing.body()
    }

    #[test]
    fn the_body_is_framed_by_its_heads_headers() {
        assert_eq!(framing_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Body::Done);
        assert_eq!(
            framing_of("POST / HTTP/1.1\r\ncontent-LENGTH:  12 \r\n\r\n"),
            Body::Length(12)
        );
        assert_eq!(
            framing_of("POST / HTTP/1.1\nContent-Length: 0\n\n"),
            Body::Done
        );
        assert_eq!(
            framing_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            Body::Chunked(Chunk::Size(0))
        );
        // Chunked wins over a length (RFC 9112 §6.3).
        assert_eq!(
            framing_of(
                "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            Body::Chunked(Chunk::Size(0))
        );
        // Two lengths that disagree, one that is not a number, or a framing header too long
        // to keep: not followed.
        for head in [
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: five\r\n\r\n",
            &format!(
                "POST / HTTP/1.1\r\nContent-Length:{}5\r\n\r\n",
                " ".repeat(100)
            ),
        ] {
            assert_eq!(framing_of(head), Body::Unknown, "{head}");
        }
        // A long header that frames nothing changes nothing.
        let long = format!(
            "POST / HTTP/1.1\r\nCookie: {}\r\nContent-Length: 3\r\n\r\n",
            "c".repeat(500)
        );
        assert_eq!(framing_of(&long), Body::Length(3));
        // Fed in two pieces, split anywhere (a line's start kept across reads): the same.
        let cut = format!(
            "POST / HTTP/1.1\r\nContent-Length:{}5\r\n\r\n",
            " ".repeat(100)
        );
        for (head, body) in [(&long, Body::Length(3)), (&cut, Body::Unknown)] {
            for at in 0..=head.len() {
                let mut framing = Framing::default();
                framing.feed(&head.as_bytes()[..at]);
                framing.feed(&head.as_bytes()[at..]);
                assert_eq!(framing.body(), body, "split at {at}");
            }
        }
    }

    #[test]
    fn the_end_of_a_body_is_found_whole_or_split_anywhere() {
        assert_eq!(
            body_end_split_anywhere(Body::Length(4), b"bodyGET /"),
            Some(4)
        );
        assert_eq!(body_end_split_anywhere(Body::Length(40), b"body"), None);
        let chunked = Body::Chunked(Chunk::Size(0));
        // Sizes in hex with an extension, data holding line ends, a trailer; then a next head.
        let body = b"A;name=value\r\n0123\r\n\r\n78\r\n2\r\nab\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut then_a_head = body.to_vec();
        then_a_head.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert_eq!(
            body_end_split_anywhere(chunked, &then_a_head),
            Some(body.len())
        );
        let short = b"3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(body_end_split_anywhere(chunked, short), Some(short.len()));
        let bare_lf = b"3\nabc\n0\n\n";
        assert_eq!(
            body_end_split_anywhere(chunked, bare_lf),
            Some(bare_lf.len())
        );
        // The last chunk without the trailer's end, or a chunk not all come: not ended.
        assert_eq!(body_end_split_anywhere(chunked, b"3\r\nabc\r\n0\r\n"), None);
        assert_eq!(
            body_end_split_anywhere(chunked, b"400\r\n\r\n\r\n0\r\n\r\n"),
            None
        );
    }

    /// A response of the app (it carries a request id: not a bare answer of actix-http's).
    const APP_404: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nx-request-id: a\r\ncontent-length: 0\r\n\r\n";

    type Client = (
        tokio::io::ReadHalf<tokio::io::DuplexStream>,
        tokio::io::WriteHalf<tokio::io::DuplexStream>,
    );

    /// A request's head and its body's start, read by the server and answered with `response`
    /// before the rest of the body (1 s timeout); the server, the client and the timeout count.
    async fn answered_early(
        request: &[u8],
        response: &[u8],
    ) -> (
        HeadDeadline<tokio::io::DuplexStream>,
        Client,
        Arc<AtomicUsize>,
    ) {
        let (client, server) = tokio::io::duplex(4096);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout, answer());
        let (client_read, mut client_write) = tokio::io::split(client);
        client_write.write_all(request).await.unwrap();
        assert!(server.read(&mut [0u8; 256]).await.unwrap() > 0);
        server.write_all(response).await.unwrap();
        (server, (client_read, client_write), count)
    }

    /// Everything the server wrote, once it is dropped.
    async fn written(server: HeadDeadline<tokio::io::DuplexStream>, client: Client) -> Vec<u8> {
        drop(server);
        let (mut client_read, _) = client;
        let mut written = Vec::new();
        client_read.read_to_end(&mut written).await.unwrap();
        written
    }

    #[tokio::test(start_paused = true)]
    async fn after_an_early_answer_the_rest_of_the_body_is_no_head_and_the_next_head_has_its_deadline(
    ) {
        let request = b"POST /nowhere HTTP/1.1\r\nContent-Length: 10\r\n\r\nab";
        let (mut server, mut client, count) = answered_early(request, APP_404).await;
        let mut buf = [0u8; 256];
        // The rest of the body comes in two pieces, the last 0.9 s after the answer (within
        // the timeout, which counts from the answer).
        tokio::time::sleep(Duration::from_millis(600)).await;
        client.1.write_all(b"cdef").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 4);
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Its end and a next head's first byte in one read: the head is due a second later.
        client.1.write_all(b"ghijG").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 5);
        let started = Instant::now();
        let read = server.read(&mut buf).await.unwrap();
        assert_eq!(read, 0, "the late head ends reads");
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(count.load(Ordering::Relaxed), 1);
        let written = written(server, client).await;
        let after_404 = written.strip_prefix(APP_404).expect("the 404 first");
        assert!(after_404.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_late_rest_of_an_answered_body_ends_reads_without_a_408() {
        let request = b"POST /nowhere HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab";
        let (mut server, client, count) = answered_early(request, APP_404).await;
        let started = Instant::now();
        assert_eq!(server.read(&mut [0u8; 64]).await.unwrap(), 0, "reads end");
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(count.load(Ordering::Relaxed), 0, "no head was late");
        assert_eq!(written(server, client).await, APP_404, "the 404 alone");
    }

    /// After an answer that closes the connection, nothing is due at all: actix-http drops
    /// what comes, for its disconnect timeout, and closes.
    #[tokio::test(start_paused = true)]
    async fn after_an_answer_that_closes_nothing_is_due() {
        let request = b"POST /nowhere HTTP/1.1\r\nContent-Length: 10\r\n\r\nab";
        let closing = b"HTTP/1.1 404 Not Found\r\nx-request-id: a\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let (mut server, mut client, count) = answered_early(request, closing).await;
        let mut buf = [0u8; 64];
        client.1.write_all(b"cdefghijGET").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 11);
        let waited = tokio::time::timeout(Duration::from_secs(60), server.read(&mut buf)).await;
        assert!(waited.is_err(), "no deadline: the read still waits");
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }

    /// A tripwire for the day actix-http re-arms its head timer for every request (see the
    /// module documentation, "Where the proper fix lives"): a bare actix-web `HttpServer` with
    /// its own `client_request_timeout`, no wrapper. A connection's first head, one byte then
    /// silence, gets actix-http's 408 at the timeout (the control: the timer works and the
    /// wait below is long enough); a kept-alive connection's next head, one byte then silence,
    /// gets nothing for six times the timeout. When an upgrade makes this fail, actix-http
    /// does the deadline itself: remove this module's deadline.
    #[tokio::test]
    async fn actix_http_alone_still_leaves_a_kept_alive_connections_next_head_without_a_deadline() {
        use actix_web::{web, App, HttpResponse, HttpServer};
        use tokio::net::TcpStream;
        const TIMEOUT: Duration = Duration::from_millis(500);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = HttpServer::new(|| {
            App::new().default_service(web::to(|| async { HttpResponse::Ok().finish() }))
        })
        .workers(1)
        .disable_signals()
        .client_request_timeout(TIMEOUT)
        .keep_alive(Duration::from_secs(30))
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let mut buf = [0u8; 1024];

        let mut first = TcpStream::connect(address).await.unwrap();
        first.write_all(b"G").await.unwrap();
        let control = tokio::time::timeout(TIMEOUT * 6, first.read(&mut buf)).await;
        let control = match control {
            Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            other => format!("{other:?}"),
        };

        let mut kept = TcpStream::connect(address).await.unwrap();
        kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = kept.read(&mut buf).await.unwrap();
        let served = buf[..n].starts_with(b"HTTP/1.1 200");
        kept.write_all(b"G").await.unwrap();
        let next = tokio::time::timeout(TIMEOUT * 6, kept.read(&mut buf)).await;
        let next = next.map(|read| read.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned()));
        handle.stop(false).await;

        assert!(
            control.starts_with("HTTP/1.1 408"),
            "actix-http's own head timer no longer answers a connection's late first head with 408: {control}"
        );
        assert!(
            served,
            "the first request on the kept-alive connection is served"
        );
        assert!(
            next.is_err(),
            "actix-http now ends a kept-alive connection's late next head by itself ({next:?}): \
             its head timer is re-armed for every request. Remove the head deadline of \
             src/http_server/head_deadline.rs (HeadDeadline's phases, timer and Framing/Body) \
             and give actix-http back `client_request_timeout` in src/http_server/mod.rs; \
             keep only the replacement of actix-http's bare answers, which still needs the wrapper."
        );
    }
}
