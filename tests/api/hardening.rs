//! HTTP correctness at the edges (issue 13, issue 19 point 6, issue 16 point 3): bounded metric
//! labels, HEAD and 405, the links the editor builds behind proxies, idle and pipelined
//! connections, and one error shape per path whatever made the answer.

use crate::helpers::{
    api_error, connect, content_type, encode, header, read_until_closed, served_once,
    spawn_app_with, status_of, TestApp,
};
use kroki_encoding::encode_plantuml as plantuml_encode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw response's header value (case-insensitive name), if present.
fn raw_header(response: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).find_map(|line| {
        let (found, value) = line.split_once(':')?;
        found
            .trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

fn raw_body(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The headers every answer carries, checked on a raw response.
fn assert_app_headers(response: &[u8], what: &str) {
    let shown = String::from_utf8_lossy(&response[..response.len().min(600)]).into_owned();
    let id = raw_header(response, "x-request-id").unwrap_or_default();
    assert_eq!(id.len(), 32, "{what}: no request id: {shown}");
    assert_eq!(
        raw_header(response, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}: {shown}"
    );
    assert!(
        raw_header(response, "content-security-policy").is_some(),
        "{what}: {shown}"
    );
}

/// Series in a Prometheus text exposition: its sample lines.
fn series(metrics: &str) -> usize {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .count()
}

#[tokio::test]
async fn invented_methods_add_no_metric_series_and_are_never_logged_whole() {
    let app = spawn_app_with(&[]).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let before = app.get("/metrics").await.text().await.unwrap();
    for n in 0..1000 {
        // Some short, some 8 KB long: each distinct one used to be a series of its own.
        let name = if n % 100 == 0 {
            format!("INVENTED{n}{}", "X".repeat(8 * 1024))
        } else {
            format!("INVENTED{n}")
        };
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let response = app
            .client
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    let after = app.get("/metrics").await.text().await.unwrap();
    assert!(
        !after.contains("INVENTED"),
        "an invented method became a label"
    );
    assert!(after.contains(r#"method="other""#), "{after}");
    eprintln!(
        "metrics: {} series, {} bytes before 1,000 invented methods; {} series, {} bytes after",
        series(&before),
        before.len(),
        series(&after),
        after.len()
    );
    assert!(series(&after) < 100, "{} series", series(&after));
    assert!(after.len() < 64 * 1024, "{} bytes", after.len());
}

#[tokio::test]
async fn an_oversized_source_gets_413_whatever_its_encoding() {
    let app = spawn_app_with(&[]).await;
    // The encoder is PlantUML's: a small source in it renders.
    let small = app
        .get(&format!(
            "/plantuml/svg/{}",
            plantuml_encode("@startuml\na -> b\n@enduml")
        ))
        .await;
    assert_eq!(small.status(), 200);
    let big = format!(
        "@startuml\n{}@enduml",
        "a -> b : hello\n".repeat(2 * 1024 * 1024 / 15)
    );
    assert!(big.len() > 2 * 1024 * 1024 - 100);
    let mut answers = Vec::new();
    for encoded in [plantuml_encode(&big), encode(&big)] {
        assert!(encoded.len() < 16_000, "{}", encoded.len());
        let response = app.get(&format!("/plantuml/svg/{encoded}")).await;
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    let expected =
        "Error 413: The decoded diagram source is larger than the limit of 1048576 bytes.";
    assert_eq!(
        answers[0],
        (413, expected.to_owned()),
        "PlantUML's encoding"
    );
    assert_eq!(answers[1], (413, expected.to_owned()), "Kroki's encoding");
    assert_eq!(app.renders().len(), 1);
}

#[tokio::test]
async fn head_mirrors_get_and_a_cached_diagram_costs_no_render() {
    let app = spawn_app_with(&[]).await;
    let diagram = format!("/graphviz/svg/{}", encode("digraph { head -> get }"));
    assert_eq!(app.get(&diagram).await.status(), 200);
    assert_eq!(app.renders().len(), 1);
    // A cached diagram: HEAD is a cache hit, no render (`/health` below renders its probes).
    let head = app.client.head(app.url(&diagram)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "x-cache"), "HIT");
    assert_eq!(
        app.renders().len(),
        1,
        "a HEAD of a cached diagram rendered it"
    );
    // A diagram not rendered before: HEAD renders it, with GET's headers (then GET is a hit).
    let fresh = format!("/graphviz/svg/{}", encode("digraph { head -> first }"));
    let head = app.client.head(app.url(&fresh)).send().await.unwrap();
    let get = app.get(&fresh).await;
    assert_eq!((head.status().as_u16(), get.status().as_u16()), (200, 200));
    for name in ["cache-control", "etag", "content-type"] {
        assert_eq!(
            header(&head, name),
            header(&get, name),
            "HEAD {fresh}: {name}"
        );
    }
    assert_eq!(header(&get, "x-cache"), "HIT");
    assert_eq!(app.renders().len(), 2);
    for path in [
        "/",
        "/health",
        "/healthz",
        "/metrics",
        "/static/style.css",
        "/api/diagram-types",
        "/api/openapi.json",
        "/api/docs",
        diagram.as_str(),
        "/no/such/page/here",
    ] {
        let get = app.get(path).await;
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(content_type(&head), content_type(&get), "HEAD {path}");
        for name in ["cache-control", "etag", "x-content-type-options"] {
            assert_eq!(
                header(&head, name),
                header(&get, name),
                "HEAD {path}: {name}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has a body"
        );
    }
}

#[tokio::test]
async fn a_known_path_with_a_wrong_method_is_405_with_allow() {
    let app = spawn_app_with(&[]).await;
    let diagram = format!("/graphviz/svg/{}", encode("digraph { a }"));
    let send = |method: &str, path: &str| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client.request(method, app.url(path)).send()
    };
    for (method, path, allow) in [
        ("PUT", "/healthz", "GET, HEAD"),
        ("POST", "/health", "GET, HEAD"),
        ("DELETE", "/metrics", "GET, HEAD"),
        ("PUT", "/static/style.css", "GET, HEAD"),
        ("PUT", "/", "GET, HEAD, POST"),
        ("DELETE", diagram.as_str(), "GET, HEAD"),
    ] {
        let response = send(method, path).await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(header(&response, "allow"), allow, "{method} {path}");
        assert!(!header(&response, "x-request-id").is_empty());
        let text = response.text().await.unwrap();
        assert!(
            text.starts_with("Error 405: Method not allowed."),
            "{method} {path}: {text}"
        );
    }
    for (method, path, allow) in [
        ("PUT", "/api/generate", "POST"),
        ("POST", "/api/diagram-types", "GET, HEAD"),
        ("DELETE", "/api/openapi.json", "GET, HEAD"),
        ("PUT", "/api/docs", "GET, HEAD"),
        ("POST", "/api/decode", "GET, HEAD"),
    ] {
        let response = send(method, path).await.unwrap();
        assert_eq!(header(&response, "allow"), allow, "{method} {path}");
        api_error(response, 405, "method_not_allowed").await;
    }
    // Kroki's own 405s stay as Kroki answers them: POST only, the format checked first.
    for (method, path, status) in [
        ("PUT", "/graphviz", 405),
        ("HEAD", "/graphviz", 405),
        ("GET", "/graphviz/svg", 405),
        ("DELETE", "/graphviz/nope", 400),
    ] {
        let response = send(method, path).await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        if status == 405 {
            assert_eq!(header(&response, "allow"), "POST", "{method} {path}");
        }
    }
    assert!(app.renders().is_empty());
}

/// The editor's share link, image URL and snippets, read from the page.
async fn editor_links(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let mut request = app
        .client
        .get(app.url("/?type=graphviz&source=digraph%20%7B%20a%20%7D"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let page = request.send().await.unwrap().text().await.unwrap();
    page.lines()
        .filter(|line| {
            line.contains("share-link")
                || line.contains("image-url")
                || line.contains("embed-")
                || line.contains("id=\"download\"")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_editors_links_trust_forwarded_headers_from_trusted_proxies_only() {
    let hostile = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "javascript"),
    ];
    // Anyone's forwarded headers are ignored; a Host with markup in it too.
    let app = spawn_app_with(&[]).await;
    let own = app.address.clone();
    let links = editor_links(&app, &hostile).await;
    assert!(links.contains(&format!("{own}/?")), "{links}");
    assert!(
        !links.contains("evil.example") && !links.contains("javascript"),
        "{links}"
    );
    let links = editor_links(&app, &[("host", "a\" onerror=\"alert(1)")]).await;
    assert!(!links.contains("onerror"), "{links}");
    assert!(links.contains("http://localhost/?"), "{links}");

    // From a trusted proxy: its host and scheme, if they are a host and http or https.
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let links = editor_links(
        &app,
        &[
            ("x-forwarded-host", "diagrams.example.test"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert!(links.contains("https://diagrams.example.test/?"), "{links}");
    let links = editor_links(&app, &hostile).await;
    assert!(
        links.contains("http://evil.example/?"),
        "a trusted proxy is believed: {links}"
    );
    assert!(!links.contains("javascript"), "{links}");
    let links = editor_links(&app, &[("x-forwarded-host", "a\" onerror=\"x")]).await;
    assert!(
        !links.contains("onerror")
            && links.contains(&format!("{own_host}/?", own_host = app.address)),
        "{links}"
    );

    // PUBLIC_URL names the origin whatever the request says.
    let app = spawn_app_with(&[
        ("PUBLIC_URL", "https://public.example.test/"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let links = editor_links(&app, &hostile).await;
    assert!(links.contains("https://public.example.test/?"), "{links}");
    assert!(
        links.contains("https://public.example.test/graphviz/svg/"),
        "{links}"
    );
    assert!(!links.contains("evil.example"), "{links}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_at_keep_alive() {
    let app = spawn_app_with(&[("KEEP_ALIVE", "1s")]).await;
    let mut stream = connect(&app).await;
    served_once(&mut stream).await;
    let idle = Instant::now();
    let (rest, closed) = read_until_closed(&mut stream, Duration::from_secs(6)).await;
    let closed = closed.expect("the idle connection was kept past 6 s");
    let lasted = closed - idle;
    eprintln!("an idle connection was closed after {lasted:?} (KEEP_ALIVE 1s)");
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(
        lasted >= Duration::from_millis(800) && lasted < Duration::from_secs(3),
        "{lasted:?}"
    );
}

/// A partial head pipelined after a whole request: the connection closes at `KEEP_ALIVE` after
/// the first answer (actix-http's keep-alive timer, armed once that answer is written, is not
/// cleared by bytes it already holds), with no answer to the partial head. It used to be held
/// for the hard-coded 75 s keep-alive and more.
#[tokio::test]
async fn a_partial_pipelined_head_is_closed_at_keep_alive() {
    for (timeout, keep_alive) in [("1s", "2s"), ("3s", "1s")] {
        let app = spawn_app_with(&[
            ("CLIENT_REQUEST_TIMEOUT", timeout),
            ("KEEP_ALIVE", keep_alive),
        ])
        .await;
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHo")
            .await
            .unwrap();
        let started = Instant::now();
        let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(8)).await;
        let closed = closed.expect("the pipelined partial head held the connection past 8 s");
        let lasted = closed - started;
        let text = String::from_utf8_lossy(&received);
        eprintln!("a partial pipelined head (CLIENT_REQUEST_TIMEOUT {timeout}, KEEP_ALIVE {keep_alive}): closed after {lasted:?}: {text}");
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert_eq!(text.matches("HTTP/1.1").count(), 1, "{text}");
        let keep_alive = humantime::parse_duration(keep_alive).unwrap();
        assert!(
            lasted >= keep_alive - Duration::from_millis(200)
                && lasted < keep_alive + Duration::from_millis(1500),
            "{lasted:?}"
        );
    }
}

/// A chunked body trickled a byte at a time gets its 408, and the socket closes with it.
#[tokio::test]
async fn a_trickled_chunked_body_gets_408_and_the_socket_closes_with_it() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "2s")]).await;
    for path in ["/api/generate", "/graphviz/svg"] {
        let stream = connect(&app).await;
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        writer.write_all(head.as_bytes()).await.unwrap();
        let writing = tokio::spawn(async move {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if writer.write_all(b"1\r\na\r\n").await.is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let mut received = Vec::new();
        let mut answered = None;
        let mut buffer = [0u8; 4096];
        let closed = tokio::time::timeout(Duration::from_secs(9), async {
            loop {
                match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        received.extend_from_slice(&buffer[..n]);
                        answered.get_or_insert_with(Instant::now);
                    }
                }
            }
        })
        .await;
        writing.abort();
        let text = String::from_utf8_lossy(&received);
        assert!(closed.is_ok(), "{path}: never closed: {text}");
        let answered = answered.expect("an answer");
        let open_after = answered.elapsed();
        eprintln!(
            "{path}: chunked trickle answered after {:?}, closed {open_after:?} later",
            answered - started
        );
        assert_eq!(status_of(&received), 408, "{path}: {text}");
        assert!(
            open_after < Duration::from_millis(700),
            "{path}: open {open_after:?} after the 408"
        );
    }
}

#[tokio::test]
async fn a_414_has_the_shape_of_its_path_family() {
    let app = spawn_app_with(&[("MAX_URI_LENGTH", "2048")]).await;
    let long = "A".repeat(3000);
    let api = app.get(&format!("/api/decode?url={long}")).await;
    assert!(!header(&api, "x-request-id").is_empty());
    api_error(api, 414, "uri_too_long").await;
    let gateway = app.get(&format!("/graphviz/svg/{long}")).await;
    assert_eq!(gateway.status(), 414);
    assert_eq!(content_type(&gateway), "text/plain");
    let page = app
        .client
        .get(app.url(&format!("/?source={long}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 414);
    assert!(
        content_type(&page).starts_with("text/html"),
        "{}",
        content_type(&page)
    );
}

/// One raw request; the answer and whether the server closed the connection after it.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> Vec<u8> {
    let stream = connect(app).await;
    let (mut reader, mut writer) = stream.into_split();
    let request = request.to_vec();
    // Written beside the reads: the server may answer before it has read everything.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(8), reader.read_to_end(&mut received)).await;
    let _ = writing.await;
    received
}

#[tokio::test]
async fn answers_made_below_the_app_carry_its_headers_and_error_shape() {
    let app = spawn_app_with(&[("CLIENT_REQUEST_TIMEOUT", "1s")]).await;

    // Request targets of 66,000 characters (actix-http cannot parse them: 400) and 200,000
    // (over its buffer: 431): the app answers 414 as it does for 17,000.
    for length in [17_000, 66_000, 200_000] {
        for (prefix, json) in [("/api/decode?url=", true), ("/graphviz/svg/", false)] {
            let target = format!("{prefix}{}", "A".repeat(length - prefix.len()));
            let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            // The server answers before it has read the whole target: a reset may drop the
            // answer, so a few tries.
            let mut response = Vec::new();
            for _ in 0..5 {
                response = raw_exchange(&app, request.as_bytes()).await;
                if !response.is_empty() {
                    break;
                }
            }
            let what = format!("{length} characters on {prefix}");
            assert_eq!(
                status_of(&response),
                414,
                "{what}: {}",
                String::from_utf8_lossy(&response[..response.len().min(300)])
            );
            assert_app_headers(&response, &what);
            let body = raw_body(&response);
            if json {
                let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(json["code"], "uri_too_long", "{what}: {body}");
            } else {
                assert!(
                    body.starts_with("Error 414: The request URI's length exceeds 16384."),
                    "{what}: {body}"
                );
            }
        }
    }

    // A late head: 408 in the shape of the path it named.
    for (start, json) in [
        ("GET /api/generate HTTP/1.1\r\n", true),
        ("GET /graphviz/svg/x HTTP/1.1\r\n", false),
    ] {
        let mut stream = connect(&app).await;
        stream.write_all(start.as_bytes()).await.unwrap();
        let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed.is_some());
        assert_eq!(
            status_of(&response),
            408,
            "{}",
            String::from_utf8_lossy(&response)
        );
        assert_app_headers(&response, start);
        let body = raw_body(&response);
        if json {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["code"], "request_timeout", "{body}");
        } else {
            assert_eq!(
                body,
                "Error 408: The request head did not arrive within 1s (CLIENT_REQUEST_TIMEOUT)."
            );
        }
    }

    // A malformed head: 400, with the headers and a body.
    let response = raw_exchange(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    )
    .await;
    assert_eq!(
        status_of(&response),
        400,
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert_app_headers(&response, "a malformed head");
    assert!(
        raw_body(&response).starts_with("Error 400: "),
        "{}",
        raw_body(&response)
    );

    // A header block over actix-http's buffer: 431, when the client reads it before the
    // server's close resets the connection (tried a few times: a reset drops it).
    let many: String = (0..1200)
        .map(|n| format!("X-Flood-{n:04}: {}\r\n", "v".repeat(100)))
        .collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let response = raw_exchange(&app, request.as_bytes()).await;
        if !response.is_empty() {
            seen = response;
            break;
        }
    }
    assert_eq!(status_of(&seen), 431, "{}", String::from_utf8_lossy(&seen));
    assert_app_headers(&seen, "a header flood");
    assert!(
        raw_body(&seen).starts_with("Error 431: "),
        "{}",
        raw_body(&seen)
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}
