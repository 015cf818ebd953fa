//! A deadline for every request head on a connection, not only the first (slowloris).
//!
//! actix-http arms its request-head timer once per connection. After a kept-alive response, the
//! first byte of the next request clears the keep-alive timer and arms nothing, so a client
//! that sends one byte and then trickles (or nothing) holds the connection open indefinitely.
//! [`HeadDeadline`] wraps the connection's stream and watches the bytes the server reads: from
//! the first byte of a head, the rest of it (up to its empty line) must arrive within the
//! timeout. When it does not, the client gets a 408, reads end and the server closes.
//!
//! It only reads the bytes that pass, it does not parse them: actix-http still does that. So
//! it cannot tell a body from a pipelined next head: bytes read while a request is the
//! server's start no deadline, and the next one starts with the first byte read after the
//! server's final response. A pipelined head that came in before that response all but its
//! final empty line would be taken for an unfinished one and cut at the timeout, even if the
//! server was busy with it. No common client pipelines (browsers, curl, hyper and the
//! JVM's clients do not), and the worst case is a 408, never a connection held open.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep_until, Instant, Sleep};

/// What a client whose head is late is told before the connection closes.
const TIMEOUT_RESPONSE: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Called once for every connection dropped for a late head (counts it in the metrics).
pub type OnTimeout = Arc<dyn Fn() + Send + Sync>;

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
    /// The deadline passed: the 408 is sent, reads end and writes fail.
    TimedOut,
}

/// A connection's stream with a deadline on each request head. See the module documentation.
pub struct HeadDeadline<IO> {
    io: IO,
    /// `None`: no deadline (`CLIENT_REQUEST_TIMEOUT=0`).
    timeout: Option<Duration>,
    phase: Phase,
    scan: HeadEnd,
    /// Made the first time a head spans reads; most heads arrive in one read and need none.
    timer: Option<Pin<Box<Sleep>>>,
    on_timeout: OnTimeout,
}

impl<IO> HeadDeadline<IO> {
    /// The first head is due `timeout` after the connection was accepted, as with actix's own
    /// timer; each later one `timeout` after its first byte. A zero `timeout` sets none.
    pub fn new(io: IO, timeout: Duration, on_timeout: OnTimeout) -> HeadDeadline<IO> {
        let timeout = (!timeout.is_zero()).then_some(timeout);
        let phase = match timeout {
            Some(timeout) => Phase::Head {
                deadline: Instant::now() + timeout,
            },
            None => Phase::Idle,
        };
        HeadDeadline {
            io,
            timeout,
            phase,
            scan: HeadEnd::default(),
            timer: None,
            on_timeout,
        }
    }

    /// Follows the bytes just read: the start and the end of a head.
    fn observe_read(&mut self, bytes: &[u8]) {
        let Some(timeout) = self.timeout else { return };
        match self.phase {
            Phase::Idle if !bytes.is_empty() => {
                // A whole head in one read (the usual case) needs no clock at all.
                self.phase = if self.scan.feed(bytes) {
                    Phase::Request
                } else {
                    Phase::Head {
                        deadline: Instant::now() + timeout,
                    }
                };
            }
            Phase::Head { .. } => {
                if self.scan.feed(bytes) {
                    self.phase = Phase::Request;
                }
            }
            // Body bytes, or a pipelined head, which actix already holds: no deadline of ours.
            Phase::Idle | Phase::Request | Phase::TimedOut => {}
        }
    }

    /// Follows the bytes about to be written: a final response ends the request.
    fn observe_write(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Request && starts_final_response(bytes) {
            self.phase = Phase::Idle;
            self.scan = HeadEnd::default();
        }
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

    /// Sends the 408 if the socket takes it at once (nothing is waited for), and ends the
    /// connection's reads.
    fn time_out(&mut self, cx: &mut Context<'_>) {
        self.phase = Phase::TimedOut;
        self.timer = None;
        (self.on_timeout)();
        let _ = Pin::new(&mut self.io).poll_write(cx, TIMEOUT_RESPONSE);
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeadDeadline<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.phase {
            // End of stream: actix closes the connection.
            Phase::TimedOut => return Poll::Ready(Ok(())),
            // A trickling client never lets a read wait: check the clock on each one.
            Phase::Head { deadline } if Instant::now() >= deadline => {
                this.time_out(cx);
                return Poll::Ready(Ok(()));
            }
            _ => {}
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.observe_read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if let Phase::Head { deadline } = this.phase {
                    if this.poll_deadline(cx, deadline).is_ready() {
                        this.time_out(cx);
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
        this.observe_write(buf);
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// True unless `bytes` are only interim (1xx) responses, such as the `100 Continue` sent before
/// a body: the request goes on after those.
fn starts_final_response(mut bytes: &[u8]) -> bool {
    loop {
        if bytes.is_empty() {
            return false;
        }
        let interim = bytes.len() > 9
            && (bytes.starts_with(b"HTTP/1.1 1") || bytes.starts_with(b"HTTP/1.0 1"));
        if !interim {
            return true;
        }
        match memchr::memmem::find(bytes, b"\r\n\r\n") {
            Some(end) => bytes = &bytes[end + 4..],
            None => return false,
        }
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
    /// Takes the next bytes; true once the head's end has been seen (in these or before).
    fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut at = 0;
        if !self.begun {
            at = bytes
                .iter()
                .position(|byte| !matches!(byte, b'\r' | b'\n'))
                .unwrap_or(bytes.len());
            if at == bytes.len() {
                return false;
            }
            self.begun = true;
        }
        while at < bytes.len() {
            match (self.after, bytes[at]) {
                (After::Lf | After::LfCr, b'\n') => return true,
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
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ends_in_pieces(pieces: &[&[u8]]) -> Option<usize> {
        let mut scan = HeadEnd::default();
        pieces.iter().position(|piece| scan.feed(piece))
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
        assert!(starts_final_response(b"HTTP/1.1 200 OK\r\n"));
        assert!(starts_final_response(
            b"HTTP/1.1 408 Request Timeout\r\n\r\n"
        ));
        assert!(starts_final_response(b"body bytes of a response"));
        assert!(!starts_final_response(b"HTTP/1.1 100 Continue\r\n\r\n"));
        assert!(!starts_final_response(b""));
        assert!(starts_final_response(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
        ));
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
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout);
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
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout);
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
        let mut server = HeadDeadline::new(server, Duration::from_secs(1), on_timeout);
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
        let mut server = HeadDeadline::new(server, Duration::from_secs(2), on_timeout);
        let started = Instant::now();
        assert_eq!(server.read(&mut [0u8; 8]).await.unwrap(), 0);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(count.load(Ordering::Relaxed), 1);

        let (mut client, server) = tokio::io::duplex(64);
        let (on_timeout, count) = counter();
        let mut server = HeadDeadline::new(server, Duration::ZERO, on_timeout);
        client.write_all(b"G").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(server.read(&mut buf).await.unwrap(), 1);
        let waited = tokio::time::timeout(Duration::from_secs(60), server.read(&mut buf)).await;
        assert!(waited.is_err(), "no deadline: the read still waits");
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }
}
