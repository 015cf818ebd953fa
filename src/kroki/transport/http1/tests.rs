//! The lean client against a scripted HTTP/1.1 server on loopback, which says per connection and
//! per request what it does, so connection reuse and every failure is seen exactly.

use super::{Client, Failure, Outgoing, Settings};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SVG: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: image/svg+xml\r\nContent-Length: 6\r\n\r\n<svg/>";

/// What the server does with a request: `(connection, request on it)`, both from 0.
#[derive(Clone, Copy)]
enum Reply {
    Send(&'static [u8]),
    /// Closes the connection without an answer.
    Close,
    /// Answers after a pause.
    Late(Duration, &'static [u8]),
}

struct Server {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

async fn serve(script: fn(usize, usize) -> Reply) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (count, seen) = (accepted.clone(), heads.clone());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let connection = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(stream, connection, script, seen.clone()));
        }
    });
    Server {
        address,
        accepted,
        heads,
    }
}

async fn answer(
    mut stream: TcpStream,
    connection: usize,
    script: fn(usize, usize) -> Reply,
    heads: Arc<Mutex<Vec<String>>>,
) {
    for number in 0.. {
        let Some(head) = read_request(&mut stream).await else {
            return;
        };
        heads.lock().unwrap().push(head);
        match script(connection, number) {
            Reply::Send(bytes) => stream.write_all(bytes).await.unwrap(),
            Reply::Close => return,
            Reply::Late(pause, bytes) => {
                tokio::time::sleep(pause).await;
                // The client may have closed by then.
                let _ = stream.write_all(bytes).await;
            }
        }
    }
}

/// One request's head (and its body read past), or `None` at the connection's end.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        bytes.push(byte[0]);
    }
    let head = String::from_utf8(bytes).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(head)
}

fn client(base: &str, max_response_size: usize) -> Client {
    Client::for_url(
        &Settings {
            base: base.parse().unwrap(),
            connect_timeout: Duration::from_secs(2),
            max_response_size,
        },
        || false,
    )
    .unwrap()
}

fn render(timeout: Duration) -> Outgoing<'static> {
    Outgoing {
        json_body: Some(br#"{"diagram_source":"digraph{}"}"#.to_vec()),
        path: "/graphviz/svg",
        timeout,
        request_id: Some("req-1".into()),
    }
}

const SOON: Duration = Duration::from_secs(5);

#[tokio::test]
async fn keeps_its_connection_for_the_next_exchange_and_sends_krokis_request() {
    let server = serve(|_, _| Reply::Send(SVG)).await;
    let kroki = client(&format!("http://{}/base/", server.address), 1024);
    for _ in 0..3 {
        let answer = kroki.exchange(render(SOON)).await.unwrap();
        assert_eq!((answer.status, &answer.body[..]), (200, &b"<svg/>"[..]));
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(kroki.idle_here(), 1);
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        head.starts_with("post /base/graphviz/svg http/1.1\r\n"),
        "{head}"
    );
    for line in [
        format!("host: {}", server.address),
        "content-type: application/json".into(),
        "accept: application/json".into(),
        "x-request-id: req-1".into(),
        "content-length: 30".into(),
        format!("user-agent: kroki-web/{}", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(
            head.contains(&format!("{line}\r\n")),
            "{line} not in {head}"
        );
    }
}

#[tokio::test]
async fn a_get_has_no_body() {
    let server = serve(|_, _| Reply::Send(SVG)).await;
    let kroki = client(&format!("http://{}", server.address), 1024);
    let outgoing = Outgoing {
        json_body: None,
        path: "/health",
        timeout: SOON,
        request_id: None,
    };
    kroki.exchange(outgoing).await.unwrap();
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.starts_with("get /health http/1.1\r\n"), "{head}");
    assert!(!head.contains("content-type"), "{head}");
}

/// Kroki closing an idle connection just as it is used (its request read, no answer) costs a
/// second try on a new connection, not an error.
#[tokio::test]
async fn a_kept_connection_that_kroki_closed_costs_a_second_try_not_an_error() {
    let server = serve(|connection, request| match (connection, request) {
        (0, 1) => Reply::Close,
        _ => Reply::Send(SVG),
    })
    .await;
    let kroki = client(&format!("http://{}", server.address), 1024);
    kroki.exchange(render(SOON)).await.unwrap();
    let answer = kroki.exchange(render(SOON)).await.unwrap();
    assert_eq!(&answer.body[..], b"<svg/>");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    assert_eq!(server.heads.lock().unwrap().len(), 3);
}

/// On a new connection there is nothing stale to blame: the break is Kroki's answer, once.
#[tokio::test]
async fn a_new_connection_closed_without_an_answer_is_broken_and_not_tried_again() {
    let server = serve(|_, _| Reply::Close).await;
    let kroki = client(&format!("http://{}", server.address), 1024);
    let failure = kroki.exchange(render(SOON)).await.unwrap_err();
    assert!(matches!(failure, Failure::Broken { .. }), "{failure:?}");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(kroki.idle_here(), 0);
}

#[tokio::test]
async fn a_late_answer_is_a_timeout_and_its_connection_is_never_used_again() {
    let server = serve(|connection, _| match connection {
        0 => Reply::Late(Duration::from_millis(600), SVG),
        _ => Reply::Send(SVG),
    })
    .await;
    let kroki = client(&format!("http://{}", server.address), 1024);
    let failure = kroki
        .exchange(render(Duration::from_millis(150)))
        .await
        .unwrap_err();
    assert_eq!(failure, Failure::Timeout);
    // Past the late answer: it must not be taken for the next request's.
    tokio::time::sleep(Duration::from_millis(700)).await;
    kroki.exchange(render(SOON)).await.unwrap();
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_failure() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let kroki = client(&format!("http://127.0.0.1:{port}"), 1024);
    let failure = kroki.exchange(render(SOON)).await.unwrap_err();
    assert!(
        matches!(
            failure,
            Failure::Connect {
                timed_out: false,
                ..
            }
        ),
        "{failure:?}"
    );
}

#[tokio::test]
async fn answers_over_the_limit_are_refused_announced_or_chunked() {
    let server = serve(|connection, _| match connection {
        0 => Reply::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n12345678901"),
        _ => Reply::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n5\r\n78901\r\n0\r\n\r\n"),
    })
    .await;
    let kroki = client(&format!("http://{}", server.address), 10);
    for _ in 0..2 {
        let failure = kroki.exchange(render(SOON)).await.unwrap_err();
        assert_eq!(failure, Failure::TooLarge { limit: 10 });
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_chunked_answer_is_joined_and_an_error_status_is_passed_on() {
    let server = serve(|_, request| match request {
        0 => Reply::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n<sv\r\n3\r\ng/>\r\n0\r\n\r\n"),
        _ => Reply::Send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\noops!"),
    })
    .await;
    let kroki = client(&format!("http://{}", server.address), 1024);
    let answer = kroki.exchange(render(SOON)).await.unwrap();
    assert_eq!((answer.status, &answer.body[..]), (200, &b"<svg/>"[..]));
    let answer = kroki.exchange(render(SOON)).await.unwrap();
    assert_eq!((answer.status, &answer.body[..]), (400, &b"oops!"[..]));
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn takes_plain_http_urls_and_leaves_the_rest_to_reqwest() {
    let settings = |base: &str| Settings {
        base: base.parse().unwrap(),
        connect_timeout: SOON,
        max_response_size: 1,
    };
    let lean = |base: &str| Client::for_url(&settings(base), || false);
    // `KROKI_URL`'s path is kept, with or without its trailing slash.
    for (base, target) in [
        ("http://kroki:8000", "/graphviz/svg"),
        ("http://kroki:8000/", "/graphviz/svg"),
        ("http://[::1]:8000/a/b", "/a/b/graphviz/svg"),
        ("http://[::1]:8000/a/b/", "/a/b/graphviz/svg"),
    ] {
        assert_eq!(
            lean(base).unwrap().target("/graphviz/svg"),
            target,
            "{base}"
        );
    }
    let kroki = lean("http://[::1]:8000/a/b/").unwrap();
    assert_eq!(
        (kroki.host.to_str().unwrap(), kroki.base_path.as_str()),
        ("[::1]:8000", "/a/b")
    );
    let kroki = lean("http://kroki").unwrap();
    assert_eq!(
        (
            kroki.host.to_str().unwrap(),
            kroki.port,
            kroki.base_path.as_str()
        ),
        ("kroki", 80, "")
    );
    for base in [
        "https://kroki.example.test",
        "http://user:secret@kroki:8000",
        "http://kroki:8000/?key=1",
    ] {
        assert!(lean(base).is_none(), "{base}");
    }
    assert!(Client::for_url(&settings("http://kroki:8000"), || true).is_none());
}
