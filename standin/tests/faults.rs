//! Fault injection and the server lifecycle (stop, restart, drop).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{client, encode, get_request, raw};
use kroki_standin::{Fault, StandIn};
use reqwest::header::ACCEPT;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DOT: &str = "digraph G {\n  Hello -> World\n}";

#[tokio::test]
async fn status_fault_applies_to_every_kroki_route() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    kroki.set_fault(Fault::Status(503));
    for path in [
        format!("/graphviz/svg/{}", encode(DOT)),
        "/health".to_owned(),
        "/nothing".to_owned(),
    ] {
        let resp = c
            .get(format!("{}{path}", kroki.url()))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{path}");
        assert!(resp.headers().get("cache-control").is_none());
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], 503);
        assert_eq!(v["error"]["message"], "Internal Server Error");
    }
    let resp = c
        .post(format!("{}/graphviz/svg", kroki.url()))
        .body(DOT)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.text().await.unwrap(),
        "Error 503: Internal Server Error"
    );
    // Control routes are not faulted.
    let resp = c
        .get(format!("{}/_standin/requests", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    kroki.set_fault(Fault::Status(500));
    let r = raw(kroki.addr(), &get_request("/health", &[])).await;
    assert_eq!(
        (r.status, r.reason.as_str()),
        (500, "Internal Server Error")
    );
    kroki.clear_fault();
    let resp = c
        .get(format!("{}/health", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn render_status_fault_fails_renders_and_keeps_the_informational_routes() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    kroki.set_fault(Fault::RenderStatus(500));
    let render = c
        .post(format!("{}/graphviz/svg", kroki.url()))
        .header(ACCEPT, "application/json")
        .body(DOT)
        .send()
        .await
        .unwrap();
    assert_eq!(render.status(), 500);
    let v: Value = render.json().await.unwrap();
    assert_eq!(v["error"]["message"], "Internal Server Error");
    let get = c
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 500);
    for path in ["/health", "/v1/health", "/healthz", "/metrics", "/"] {
        let resp = c
            .get(format!("{}{path}", kroki.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
    let health: Value = c
        .get(format!("{}/health", kroki.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "pass");
    // Its control form round-trips through the HTTP control endpoint.
    let fault: Value = c
        .get(format!("{}/_standin/fault", kroki.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        fault,
        serde_json::json!({"fault": "render_status", "status": 500})
    );
}

#[tokio::test]
async fn slow_fault_delays_then_answers() {
    let kroki = StandIn::start().await.unwrap();
    kroki.set_fault(Fault::Slow(Duration::from_millis(400)));
    let start = Instant::now();
    let resp = client()
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert!(resp.text().await.unwrap().contains("Hello -&gt; World"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_fault_never_answers_but_blocks_nothing() {
    let kroki = StandIn::start().await.unwrap();
    kroki.set_fault(Fault::Hang);
    let short = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    // Several hanging requests at once (more than the 2 workers).
    let hanging: Vec<_> = (0..4)
        .map(|_| {
            let short = short.clone();
            let url = format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT));
            tokio::spawn(async move { short.get(url).send().await })
        })
        .collect();
    for h in hanging {
        let err = h.await.unwrap().unwrap_err();
        assert!(err.is_timeout(), "{err}");
    }
    // The request was received and recorded.
    assert_eq!(kroki.request_count(), 4);
    // Control still answers while requests hang.
    let resp = short
        .get(format!("{}/_standin/fault", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["fault"], "hang");
    // Clearing the fault serves new requests at once.
    kroki.clear_fault();
    let resp = short
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Shutdown is not blocked by a request in flight.
    kroki.set_fault(Fault::Hang);
    let in_flight = {
        let url = format!("{}/health", kroki.url());
        tokio::spawn(async move {
            reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap()
                .get(url)
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    kroki.stop().await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let result = in_flight.await.unwrap();
    assert!(
        result.is_err(),
        "the hanging request must fail when the server stops"
    );
}

#[tokio::test]
async fn reset_mid_body_sends_half_then_drops() {
    let kroki = StandIn::start().await.unwrap();
    kroki.set_fault(Fault::ResetMidBody);
    let path = format!("/graphviz/png/{}", encode(DOT));
    let mut stream = tokio::net::TcpStream::connect(kroki.addr()).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => return "eof",
                Err(_) => return "reset",
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("the connection must be dropped, not kept open");
    assert!(ended == "eof" || ended == "reset");
    let r = common::parse(&buf);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    let declared: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(r.truncated);
    assert!(!r.body.is_empty());
    assert_eq!(r.body.len(), declared / 2);
    assert!(r.body.starts_with(b"\x89PNG"));
    // reqwest sees an error while reading the body.
    let resp = client()
        .get(format!("{}{path}", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err());
}

#[tokio::test]
async fn oversized_body_is_streamed_with_its_length() {
    let kroki = StandIn::start().await.unwrap();
    let size = 3 * 1024 * 1024 + 17;
    kroki.set_fault(Fault::OversizedBody(size));
    let resp = client()
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    assert_eq!(resp.headers()["content-length"], size.to_string().as_str());
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), size);
    assert!(body.starts_with(b"<?xml"));
    let resp = client()
        .post(format!("{}/mermaid/png", kroki.url()))
        .body("graph TD")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().len(), size);
}

#[tokio::test]
async fn oversized_chunked_body_has_no_length() {
    let kroki = StandIn::start().await.unwrap();
    let size = 2 * 1024 * 1024 + 5;
    kroki.set_fault(Fault::OversizedChunked(size));
    let resp = client()
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    assert!(resp.headers().get("content-length").is_none());
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    assert_eq!(resp.content_length(), None);
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), size);
    assert!(body.starts_with(b"<?xml"));
}

#[tokio::test]
async fn stop_refuses_and_restart_serves_on_the_same_port() {
    let kroki = StandIn::start().await.unwrap();
    let addr = kroki.addr();
    let url = format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT));
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    kroki.set_fault(Fault::Status(502));
    kroki.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let err = client().get(&url).send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    kroki.stop().await; // stopping twice is harmless
    kroki.restart().await.unwrap();
    assert_eq!(kroki.addr(), addr);
    // State survives the restart.
    assert_eq!(client().get(&url).send().await.unwrap().status(), 502);
    kroki.clear_fault();
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    assert_eq!(kroki.request_count(), 3);
    // Restart while running works too.
    kroki.restart().await.unwrap();
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn dropping_stops_the_server() {
    let kroki = StandIn::start().await.unwrap();
    let addr = kroki.addr();
    assert_eq!(
        client()
            .get(format!("{}/health", kroki.url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(kroki);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still accepting after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn works_under_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let kroki = StandIn::start().await.unwrap();
        let resp = client()
            .get(format!("{}/healthz", kroki.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        kroki.stop().await;
    });
}
