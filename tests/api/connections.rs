//! Connection-level abuse, on raw TCP: clients too slow to send their request head (slowloris)
//! are dropped within `CLIENT_REQUEST_TIMEOUT`, header floods get 431 and a closed
//! connection, and the app serves normal requests all along.

use crate::helpers::{self, connect, served_once, spawn_app_with, status_of, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes; returns what it sent (an error counts as closed). Fails if
/// the connection is still open after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let (received, closed) = helpers::read_until_closed(stream, within).await;
    assert!(
        closed.is_some(),
        "the server kept the connection open for {within:?}"
    );
    received
}

/// A dropped slow client: nothing, or a 408, and never a 5xx.
fn assert_dropped(response: &[u8], what: &str) {
    assert!(
        response.is_empty() || status_of(response) == 408,
        "{what}: {}",
        String::from_utf8_lossy(response)
    );
}

/// Sends `first`, then `piece(n)` every `every` until the server closes; returns how long it
/// kept the connection after `first` and what it answered. Fails if it is still open after
/// `within`.
async fn trickle(
    stream: TcpStream,
    first: Vec<u8>,
    piece: fn(usize) -> String,
    every: Duration,
    within: Duration,
) -> (Duration, Vec<u8>) {
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(&first).await.unwrap();
    let started = Instant::now();
    let writing = tokio::spawn(async move {
        for n in 0.. {
            tokio::time::sleep(every).await;
            if writer.write_all(piece(n).as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut response = Vec::new();
    let closed = tokio::time::timeout(within, reader.read_to_end(&mut response)).await;
    writing.abort();
    assert!(closed.is_ok(), "a trickling client was never dropped");
    (started.elapsed(), response)
}

fn header_line(n: usize) -> String {
    format!("X-Slow-{n}: still here\r\n")
}

/// `kroki_web_request_head_timeouts_total` from the app's metrics.
async fn head_timeouts(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("kroki_web_request_head_timeouts_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no head timeout counter: {metrics}"))
}

#[tokio::test]
async fn slow_clients_are_dropped_within_the_request_timeout_while_others_are_served() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    // Generous: the machine may be busy, but a slow client must not outlive this.
    const BOUND: Duration = Duration::from_secs(4);
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;

    // 200 idle slow clients: half connect and say nothing, half send a partial head.
    let mut idle = Vec::new();
    for n in 0..200 {
        let mut stream = connect(&app).await;
        if n % 2 == 0 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        idle.push((Instant::now(), stream));
    }
    let idle: Vec<_> = idle
        .into_iter()
        .map(|(opened, mut stream)| {
            tokio::spawn(async move {
                let response = read_until_closed(&mut stream, BOUND + BOUND).await;
                (opened.elapsed(), response)
            })
        })
        .collect();

    // One trickling client: one header line every 300 ms, never a complete head.
    let trickling = connect(&app).await;
    let trickle = tokio::spawn(trickle(
        trickling,
        b"GET /healthz HTTP/1.1\r\n".to_vec(),
        header_line,
        Duration::from_millis(300),
        BOUND + BOUND,
    ));

    // Meanwhile, normal clients are served, renders included.
    let opened_all = Instant::now();
    assert_eq!(app.get("/healthz").await.status(), 200);
    let render = json!({"diagram_type": "graphviz", "diagram_source": "digraph { a }"});
    assert_eq!(app.post_json("/api/generate", &render).await.status(), 200);
    let served_after = opened_all.elapsed();

    let mut lasted = Vec::new();
    for task in idle {
        let (elapsed, response) = task.await.unwrap();
        assert_dropped(&response, "an idle slow client");
        lasted.push(elapsed);
    }
    let (trickled, response) = trickle.await.unwrap();
    assert_dropped(&response, "a trickling client");
    let (shortest, longest) = (*lasted.iter().min().unwrap(), *lasted.iter().max().unwrap());
    eprintln!(
        "slowloris, CLIENT_REQUEST_TIMEOUT {TIMEOUT:?}: 200 idle clients dropped after \
         {shortest:?} to {longest:?}, the trickling one after {trickled:?}; normal requests \
         served in {served_after:?} meanwhile"
    );
    assert!(
        served_after < shortest,
        "normal requests were served only after slow clients were dropped"
    );
    // Dropped by the timeout (not at once), and all of them within the bound.
    assert!(shortest >= TIMEOUT / 2, "{shortest:?}");
    assert!(longest < BOUND, "an idle slow client was kept {longest:?}");
    assert!(
        trickled >= TIMEOUT / 2 && trickled < BOUND,
        "a trickling client was kept {trickled:?}"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// `CLIENT_REQUEST_TIMEOUT` must hold for every request head, not only a connection's first:
/// actix-http arms its head timer once per connection, and after a kept-alive response the
/// next head has no timer at all (the keep-alive timer is cleared by its first byte), so one
/// byte held the connection indefinitely (observed: still open after 95 s) until the app's
/// server wrapped each connection in its own head deadline (`http_server`).
#[tokio::test]
async fn a_slow_second_request_on_a_kept_alive_connection_is_dropped() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;
    let mut stream = connect(&app).await;
    // Two whole requests, with an idle gap longer than the timeout between them: the idle
    // time between requests is the keep-alive's, not the head deadline's.
    for _ in 0..2 {
        served_once(&mut stream).await;
        tokio::time::sleep(TIMEOUT + TIMEOUT / 2).await;
    }
    // Then one byte of a third head, and nothing more.
    stream.write_all(b"G").await.unwrap();
    let started = Instant::now();
    let response = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let lasted = started.elapsed();
    assert_eq!(
        status_of(&response),
        408,
        "{}",
        String::from_utf8_lossy(&response)
    );
    eprintln!("a slow third head on a kept-alive connection was dropped after {lasted:?}");
    assert!(
        lasted >= TIMEOUT / 2 && lasted < Duration::from_secs(4),
        "{lasted:?}"
    );
    assert_eq!(head_timeouts(&app).await, 1, "counted once");
}

/// A trickling second head (a header line every 300 ms, as the first test's client does) is
/// cut at the deadline too: bytes arriving do not extend it.
#[tokio::test]
async fn a_trickling_second_head_is_cut_at_the_deadline() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;
    let mut stream = connect(&app).await;
    served_once(&mut stream).await;
    let (lasted, response) = trickle(
        stream,
        b"GET /healthz HTTP/1.1\r\n".to_vec(),
        header_line,
        Duration::from_millis(300),
        Duration::from_secs(8),
    )
    .await;
    assert_dropped(&response, "a trickling second head");
    eprintln!("a trickling second head was dropped after {lasted:?}");
    assert!(lasted < Duration::from_secs(4), "{lasted:?}");
    assert_eq!(head_timeouts(&app).await, 1);
}

/// The deadline covers heads only: pipelined requests, `Expect: 100-continue` with a body sent
/// after the interim answer, and a render slower than the timeout are all served.
#[tokio::test]
async fn pipelined_requests_interim_answers_and_slow_renders_are_served() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;

    // Three requests in one write; the answers come back in order on the one connection.
    let mut stream = connect(&app).await;
    let one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    stream
        .write_all(format!("{one}{one}{one}").as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let all_three = tokio::time::timeout(Duration::from_secs(5), async {
        while received
            .windows(15)
            .filter(|w| w == b"HTTP/1.1 200 OK")
            .count()
            < 3
        {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "closed early");
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(all_three.is_ok(), "{}", String::from_utf8_lossy(&received));

    // Expect: 100-continue, the body sent after the interim answer, on a connection that has
    // already served requests (the body has the timeout's time, as a head has).
    let body = r#"{"diagram_type":"graphviz","diagram_source":"digraph { a }"}"#;
    let head = format!(
        "POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let n = stream.read(&mut buffer).await.unwrap();
    assert_eq!(
        status_of(&buffer[..n]),
        100,
        "{}",
        String::from_utf8_lossy(&buffer[..n])
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let n = stream.read(&mut buffer).await.unwrap();
    assert_eq!(
        status_of(&buffer[..n]),
        200,
        "{}",
        String::from_utf8_lossy(&buffer[..n])
    );

    // A render that takes 2.5 s (the stand-in made slow) outlasts the head timeout: served.
    app.kroki
        .set_fault(kroki_standin::Fault::Slow(Duration::from_millis(2500)));
    let render = json!({"diagram_type": "graphviz", "diagram_source": "digraph { slow }"});
    let started = Instant::now();
    assert_eq!(app.post_json("/api/generate", &render).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(2500));
    app.kroki.set_fault(kroki_standin::Fault::None);
    assert_eq!(head_timeouts(&app).await, 0);
}

/// A body that trickles (slow POST) holds a connection as a slow head does: it gets 408 with
/// the API's error after `CLIENT_REQUEST_TIMEOUT`, and the connection is closed.
#[tokio::test]
async fn a_slow_body_gets_408_and_the_connection_closed() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;
    for path in ["/api/generate", "/graphviz/svg"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
             Content-Length: 1000\r\n\r\ndigraph {{"
        );
        let (lasted, response) = trickle(
            connect(&app).await,
            head.into_bytes(),
            |_| " a".to_owned(),
            Duration::from_millis(200),
            Duration::from_secs(8),
        )
        .await;
        let text = String::from_utf8_lossy(&response);
        assert_eq!(status_of(&response), 408, "{path}: {text}");
        assert!(text.contains("did not arrive within 1s"), "{path}: {text}");
        assert!(
            lasted >= Duration::from_millis(500) && lasted < Duration::from_secs(4),
            "{path}: {lasted:?}"
        );
        eprintln!("{path}: a slow body got 408 after {lasted:?}");
    }
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn header_floods_get_431_and_the_connection_closed() {
    let app = spawn_app_with(&[]).await;
    // 200 small headers (3.5 KB, sent whole before the server answers): 431, then closed.
    let many: String = (0..200).map(|n| format!("X-Flood-{n}: {n}\r\n")).collect();
    let mut stream = connect(&app).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let response = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(
        status_of(&response),
        431,
        "{}",
        String::from_utf8_lossy(&response)
    );

    // One header of 256 KiB: the server answers 431 and closes before reading it all, so
    // the client may see a reset instead; a failed write or read is an answer too, a 5xx or
    // an open connection is not.
    let huge = format!("X-Huge: {}\r\n", "a".repeat(256 * 1024));
    let mut stream = connect(&app).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{huge}\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let response = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let status = status_of(&response);
    assert!(
        status == 431 || response.is_empty(),
        "got {status}: {}",
        String::from_utf8_lossy(&response[..response.len().min(200)])
    );

    // A large but sane header (64 KiB: long cookies, tokens) is still served.
    let mut stream = connect(&app).await;
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Large: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let response = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(status_of(&response), 200);

    // Many floods at once change nothing for other clients.
    let floods = (0..50).map(|_| {
        let (app, many) = (&app, &many);
        async move {
            let mut stream = connect(app).await;
            let request = format!("POST /api/generate HTTP/1.1\r\nHost: x\r\n{many}\r\n");
            let _ = stream.write_all(request.as_bytes()).await;
            status_of(&read_until_closed(&mut stream, Duration::from_secs(5)).await)
        }
    });
    for status in futures::future::join_all(floods).await {
        assert_eq!(status, 431);
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.kroki.request_count(), 0);
}

/// Reads one response (its head, then the body its `Content-Length` announces); what is left
/// of the connection stays open.
async fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let whole = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse().ok())
                    .unwrap_or(0);
                if received.len() >= end + 4 + length {
                    return;
                }
            }
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "closed before a whole answer");
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(whole.is_ok(), "{}", String::from_utf8_lossy(&received));
    received
}

/// The POSTs the app answers before it reads their body: an unknown path (404), a declared
/// body over the limit (413), a client over its rate limit (429), each on an app of its own
/// with a 1 s `CLIENT_REQUEST_TIMEOUT`.
async fn early_answers() -> Vec<(u16, TestApp, &'static str)> {
    let timeout = ("CLIENT_REQUEST_TIMEOUT", "1s");
    let plain = spawn_app_with(&[timeout, ("MAX_SOURCE_SIZE", "1KiB")]).await;
    let limited =
        spawn_app_with(&[timeout, ("RATE_LIMIT", "1/min"), ("RATE_LIMIT_BURST", "1")]).await;
    let render = json!({"diagram_type": "graphviz", "diagram_source": "digraph { a }"});
    assert_eq!(
        limited.post_json("/api/generate", &render).await.status(),
        200
    );
    let unlimited = spawn_app_with(&[timeout]).await;
    vec![
        (404, unlimited, "/no-such-path"),
        (413, plain, "/api/generate"),
        (429, limited, "/api/generate"),
    ]
}

/// A POST answered before its body was read, whose body then trickles in past the head
/// timeout (a declared `Content-Length`: the app closes after its answer): the answer is the
/// only one, with no 408 after it for the body bytes that came late, and the connection closes.
#[tokio::test]
async fn a_body_trickling_after_an_early_answer_gets_no_408_after_it() {
    for (status, app, path) in early_answers().await {
        // 100 000 bytes: over the 413 app's limit (70 KiB), which refuses it by its declaration.
        let mut stream = connect(&app).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 100000\r\n\r\n{{\"diagram_type\""
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_response(&mut stream).await;
        let text = String::from_utf8_lossy(&answer).into_owned();
        assert_eq!(status_of(&answer), status, "{path}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains("\r\nconnection: close\r\n"),
            "{text}"
        );
        // The body goes on, a few bytes every 250 ms for 1.5 s: past the 1 s head timeout.
        let (mut reader, mut writer) = stream.into_split();
        let writing = tokio::spawn(async move {
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if writer.write_all(b"      ").await.is_err() {
                    break;
                }
            }
        });
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(6), reader.read_to_end(&mut rest)).await;
        writing.abort();
        let rest = String::from_utf8_lossy(&rest);
        assert!(closed.is_ok(), "{status}: still open 6 s after its answer");
        assert!(
            rest.is_empty(),
            "{status}: something after the {status} answer: {rest}"
        );
        assert_eq!(head_timeouts(&app).await, 0, "{status}");
    }
}

/// A chunked POST answered before its body was read: its head and the start of its first
/// chunk, and the rest of that chunk. Without a declared length, the 413 comes once the body
/// has passed the limit (70 KiB): the first chunk is 72 KiB, of which 72 000 bytes come first.
fn chunked_start(path: &str, status: u16) -> (String, String) {
    let (chunk, first) = if status == 413 {
        (72 * 1024, 72_000)
    } else {
        (1024, 2)
    };
    (
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n{chunk:x}\r\n{}",
            "a".repeat(first)
        ),
        format!("{}\r\n", "a".repeat(chunk - first)),
    )
}

/// The same with a chunked body, which actix-http reads to its end after an early answer to
/// keep the connection: the rest of the body is not taken for a request head, and the next
/// head still has its deadline (one byte of it, then silence: 408 at the timeout).
#[tokio::test]
async fn after_an_early_answer_to_a_chunked_body_the_next_head_has_its_deadline() {
    for (status, app, path) in early_answers().await {
        let mut stream = connect(&app).await;
        let (start, rest_of_chunk) = chunked_start(path, status);
        stream.write_all(start.as_bytes()).await.unwrap();
        let answer = read_response(&mut stream).await;
        let text = String::from_utf8_lossy(&answer).into_owned();
        assert_eq!(status_of(&answer), status, "{path}: {text}");
        // The rest of the body, in pieces (one with a line end in its data), ending well
        // within the timeout.
        for piece in [
            &rest_of_chunk,
            "3\r\nabc\r\n",
            "4\r\nde\r\n\r\n",
            "0\r\n\r\n",
        ] {
            tokio::time::sleep(Duration::from_millis(150)).await;
            stream.write_all(piece.as_bytes()).await.unwrap();
        }
        // One byte of a next head, then silence.
        stream.write_all(b"G").await.unwrap();
        let started = Instant::now();
        let rest = read_until_closed(&mut stream, Duration::from_secs(6)).await;
        let lasted = started.elapsed();
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{status}: the next head was not timed out: {rest}"
        );
        assert_eq!(rest.matches("HTTP/1.1 ").count(), 1, "{status}: {rest}");
        assert!(
            lasted >= Duration::from_millis(700) && lasted < Duration::from_secs(4),
            "{status}: {lasted:?}"
        );
        assert_eq!(head_timeouts(&app).await, 1, "{status}");
    }
}

/// A chunked body that trickles after an early answer: not a late head (no 408), and not held
/// for ever either: the connection closes once the rest of the body is later than the timeout.
#[tokio::test]
async fn a_chunked_body_trickling_after_an_early_answer_is_cut_without_a_408() {
    for (status, app, path) in early_answers().await {
        let mut stream = connect(&app).await;
        stream
            .write_all(chunked_start(path, status).0.as_bytes())
            .await
            .unwrap();
        let answer = read_response(&mut stream).await;
        assert_eq!(status_of(&answer), status, "{path}");
        let (lasted, rest) = trickle(
            stream,
            Vec::new(),
            |_| "a".to_owned(),
            Duration::from_millis(250),
            Duration::from_secs(8),
        )
        .await;
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.is_empty(),
            "{status}: something after the answer: {rest}"
        );
        eprintln!("{status}: a chunked body trickling after the answer was cut after {lasted:?}");
        assert!(lasted < Duration::from_secs(4), "{status}: {lasted:?}");
        assert_eq!(head_timeouts(&app).await, 0, "{status}");
    }
}
