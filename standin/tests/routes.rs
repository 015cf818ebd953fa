//! Routes, statuses, messages and headers of the stand-in, spoken over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{client, encode, get_request, png_dimensions, raw, svg_text};
use kroki_standin::{StandIn, StandInConfig};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};

const DOT: &str = "digraph G {\n  Hello -> World\n}";

async fn text_of(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn get_svg_with_caching_headers() {
    let kroki = StandIn::start().await.unwrap();
    let resp = client()
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/svg+xml");
    assert_eq!(h["cache-control"], "public, max-age=432000");
    assert_eq!(h["last-modified"], "Tue, 12 Aug 2025 10:00:00 GMT");
    assert_eq!(h.get_all("date").iter().count(), 1);
    assert!(h.get("vary").is_none());
    let date = httpdate::parse_http_date(h["date"].to_str().unwrap()).unwrap();
    let expires = httpdate::parse_http_date(h["expires"].to_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(date).unwrap(),
        Duration::from_secs(432_000)
    );
    let now = SystemTime::now();
    assert!(now.duration_since(date).unwrap_or_default() < Duration::from_secs(5));
    let etag = h["etag"].to_str().unwrap();
    assert!(
        etag.starts_with("\"14.1.3") && etag.ends_with('"'),
        "{etag}"
    );
    assert_eq!(etag.len(), 2 + "14.1.3".len() + 24);
    let body = resp.bytes().await.unwrap();
    let text = svg_text(&body);
    assert!(text.contains("Hello -> World"), "{text}");
}

#[tokio::test]
async fn etag_ignores_format_and_options_but_not_source() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let etag = |url: String| {
        let c = c.clone();
        async move {
            let resp = c.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.headers()["etag"].to_str().unwrap().to_owned()
        }
    };
    let a = etag(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT))).await;
    let b = etag(format!(
        "{}/graphviz/png/{}?scale=2",
        kroki.url(),
        encode(DOT)
    ))
    .await;
    let c2 = etag(format!(
        "{}/graphviz/svg/{}",
        kroki.url(),
        encode("digraph { x }")
    ))
    .await;
    let d = etag(format!("{}/erd/svg/{}", kroki.url(), encode(DOT))).await;
    assert_eq!(a, b);
    assert_ne!(a, c2);
    assert!(d.starts_with("\"0.2.3"));
    // POST of the same source gives the same ETag.
    let resp = client()
        .post(format!("{}/graphviz/svg", kroki.url()))
        .body(DOT)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), a);
}

fn check_signature(format: &str, body: &[u8]) {
    match format {
        "png" => {
            png_dimensions(body);
        }
        "jpeg" => {
            assert!(body.starts_with(&[0xFF, 0xD8, 0xFF]), "jpeg start");
            assert!(body.ends_with(&[0xFF, 0xD9]), "jpeg end");
        }
        "pdf" => {
            assert!(body.starts_with(b"%PDF-"), "pdf start");
            assert!(body.trim_ascii_end().ends_with(b"%%EOF"), "pdf end");
        }
        "svg" => {
            svg_text(body);
        }
        "txt" => {
            let text = std::str::from_utf8(body).unwrap();
            assert!(text.starts_with("+-") && text.contains("| "), "{text}");
            assert!(text.is_ascii());
        }
        "utxt" => {
            let text = std::str::from_utf8(body).unwrap();
            assert!(text.starts_with('┌') && text.contains('│'), "{text}");
        }
        "base64" => {
            use base64::Engine as _;
            let text = std::str::from_utf8(body).unwrap();
            let data = text.strip_prefix("data:image/png;base64,").unwrap();
            assert!(!data.contains('+') && !data.contains('/'));
            let png = base64::engine::general_purpose::URL_SAFE
                .decode(data)
                .unwrap();
            png_dimensions(&png);
        }
        other => panic!("unexpected format {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_and_format_renders_real_files() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let mut checked = 0;
    for ty in kroki_standin::catalog::TYPES.iter() {
        let source = match ty.name {
            "vega" | "vegalite" | "excalidraw" => "{\"hello\": \"world é\"}",
            _ => "a -> b\n  é → 日本 <&>",
        };
        for format in ty.formats {
            let resp = c
                .get(format!(
                    "{}/{}/{}/{}",
                    kroki.url(),
                    ty.name,
                    format.name(),
                    encode(source)
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{} {}", ty.name, format.name());
            assert_eq!(
                resp.headers()["content-type"].to_str().unwrap(),
                format.content_type(),
                "{} {}",
                ty.name,
                format.name()
            );
            let body = resp.bytes().await.unwrap();
            check_signature(format.name(), &body);
            checked += 1;
        }
    }
    assert!(checked > 70, "{checked}");
}

#[tokio::test]
async fn content_types_of_text_formats() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    for (format, ct) in [
        ("txt", "text/plain"),
        ("utxt", "text/plain; charset=utf-8"),
        ("base64", "text/plain; charset=x-user-defined"),
        ("pdf", "application/pdf"),
        ("png", "image/png"),
    ] {
        let resp = c
            .get(format!(
                "{}/plantuml/{format}/{}",
                kroki.url(),
                encode("Bob -> Alice")
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], ct);
    }
    let resp = c
        .get(format!("{}/graphviz/jpeg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn get_decoding_variants() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{}{}", kroki.url(), path);
        async move { text_of(c.get(url).send().await.unwrap()).await }
    };
    // Padded (docs), unpadded, Go's encoder.
    for enc in [
        "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo=",
        "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo",
        "eNpKyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFBAAA__-T2Ala",
    ] {
        let (status, _, body) = get(format!("/plantuml/txt/{enc}")).await;
        assert_eq!(status, 200, "{enc}");
        assert!(body.contains("| digraph G {"), "{body}");
        let (status, _, body) = get(format!("/graphviz/svg/{enc}")).await;
        assert_eq!(status, 200);
        assert!(body.contains("Hello -&gt; World"));
    }
    // Bad alphabet ('+'), bad zlib, blank.
    let (status, ct, body) =
        get("/graphviz/svg/eNpLyUwv+SizIUKhWSFTQtVNIUqgFADrsBaY=".into()).await;
    assert_eq!((status, ct.as_str()), (400, "text/plain"));
    assert_eq!(
        body,
        "Error 400: Unable to decode the source. The source is not in valid Base64 scheme."
    );
    let (status, _, body) = get("/graphviz/svg/ZGlncmFwaCB7IGEgLT4gYiB9".into()).await;
    assert_eq!(status, 400);
    assert_eq!(body, "Error 400: Unable to decode the source.");
    let (status, _, body) = get("/graphviz/svg/%20".into()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "Error 400: Unable to decode the source. Source must not be null or empty."
    );
    // Standard Base64 with '/' adds a path segment: 404.
    let (status, _, body) = get("/graphviz/svg/abc/def".into()).await;
    assert_eq!((status, body.as_str()), (404, "Error 404: Not Found"));
}

#[tokio::test]
async fn plantuml_native_encoding_and_trimming() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let resp = c
        .get(format!(
            "{}/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000",
            kroki.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = svg_text(&resp.bytes().await.unwrap());
    assert!(text.contains("Bob -> Alice : hello"), "{text}");
    let resp = c
        .get(format!(
            "{}/c4plantuml/txt/eNrjciguSSwqKc3N4XLKT1LQtVNwzMlMTlWwUshIzcnJ53JIzUsBSQIABnMM1A==",
            kroki.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("| Bob -> Alice : hello |"));
    // ditaa keeps the whitespace, graphviz trims it.
    let art = "\n  +--+\n  |  |\n  +--+\n";
    let resp = c
        .get(format!("{}/ditaa/svg/{}", kroki.url(), encode(art)))
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    assert_eq!(body.matches("<text ").count(), 5, "{body}");
    let resp = c
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(art)))
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    assert_eq!(body.matches("<text ").count(), 3);
    assert!(body.contains(">+--+</text>"));
    // An empty PlantUML source.
    let resp = c
        .get(format!("{}/plantuml/svg/{}", kroki.url(), encode("\n")))
        .send()
        .await
        .unwrap();
    let (status, _, body) = text_of(resp).await;
    assert_eq!(
        (status, body.as_str()),
        (400, "Error 400: Empty diagram, missing delimiters?")
    );
}

#[tokio::test]
async fn query_params_override_path_params() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let resp = c
        .get(format!(
            "{}/graphviz/svg/{}?output_format=png",
            kroki.url(),
            encode(DOT)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    let resp = c
        .get(format!(
            "{}/graphviz/svg/{}?source_encoded={}",
            kroki.url(),
            encode(DOT),
            encode("digraph { overridden }")
        ))
        .send()
        .await
        .unwrap();
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("digraph { overridden }"));
    // Trailing '?' and a leading '//' are fine.
    let resp = c
        .get(format!("{}//graphviz/svg/{}?", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn path_and_method_errors() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let enc = encode(DOT);
    let (status, _, body) =
        text_of(c.get(format!("{url}/foo/svg/{enc}")).send().await.unwrap()).await;
    assert_eq!((status, body.as_str()), (404, "Error 404: Not Found"));
    let (status, _, _) = text_of(
        c.get(format!("{url}/GraphViz/svg/{enc}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = text_of(
        c.get(format!("{url}/graphviz/SVG/{enc}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = text_of(
        c.get(format!("{url}/graphviz/jpg/{enc}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "Error 400: Unsupported output format: jpg for graphviz. Must be one of png, svg, jpeg or pdf."
    );
    let (status, _, body) = text_of(
        c.get(format!("{url}/mermaid/pdf/{enc}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "Error 400: Unsupported output format: pdf for mermaid. Must be one of png or svg."
    );
    // ANY /{type} (not POST): 405 with Allow: POST.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let resp = c
            .request(method, format!("{url}/graphviz"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        assert_eq!(resp.headers()["allow"], "POST");
        assert_eq!(
            resp.text().await.unwrap(),
            "Error 405: Method not allowed. Please use a POST request."
        );
    }
    // ANY /{type}/{format}: format checked first.
    let resp = c.get(format!("{url}/graphviz/svg")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let resp = c.get(format!("{url}/graphviz/txt")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    // HEAD is not routed, except that /{type} answers 405.
    let resp = c
        .head(format!("{url}/graphviz/svg/{enc}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c.head(format!("{url}/graphviz")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let resp = c.head(format!("{url}/health")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c.post(format!("{url}/health")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .post(format!("{url}/graphviz/svg/{enc}"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .get(format!("{url}/nothing/here/at/all"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // Reason phrase on the wire.
    let r = raw(kroki.addr(), &get_request("/graphviz", &[])).await;
    assert_eq!((r.status, r.reason.as_str()), (405, "Method Not Allowed"));
}

#[tokio::test]
async fn post_text_and_accept_negotiation() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let post = |path: &str, accept: Option<&str>, ct: Option<&str>, body: &str| {
        let mut req = c.post(format!("{url}{path}")).body(body.to_owned());
        if let Some(a) = accept {
            req = req.header(ACCEPT, a);
        }
        if let Some(t) = ct {
            req = req.header(CONTENT_TYPE, t);
        }
        async move { text_of(req.send().await.unwrap()).await }
    };
    let (status, ct, _) = post("/graphviz", Some("image/svg+xml"), Some("text/plain"), DOT).await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    let (status, ct, _) = post(
        "/graphviz",
        Some("text/html;q=0.2, image/png;q=0.9"),
        None,
        DOT,
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    let (status, ct, body) = post("/plantuml", Some("text/plain"), None, "A -> B").await;
    assert_eq!((status, ct.as_str()), (200, "text/plain"));
    assert!(body.starts_with("+--------+"));
    // reqwest always sends an Accept header: use a raw request to send none.
    let r = raw(
        kroki.addr(),
        b"POST /graphviz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\ndigraph",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "Error 400: Output format is undefined. Must be defined as part of the query path or as an Accept header."
    );
    let (status, _, body) = post("/graphviz", Some("*/*"), Some("text/plain"), DOT).await;
    assert_eq!(status, 400);
    assert!(body.contains("following MIME types: */*."), "{body}");
    let (status, ct, body) = post("/graphviz", Some("text/html"), None, DOT).await;
    assert_eq!(status, 400);
    assert_eq!(ct, "text/html");
    assert!(body.contains(
        "<code>400</code> Content negotiation failed, no output format found for the following MIME types: text/html. Must be one of image/png, image/svg+xml, image/jpeg or application/pdf for graphviz."
    ));
    let (status, _, body) = post(
        "/mermaid",
        Some("application/xml;q=0.5, */*"),
        None,
        "graph TD",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "Error 400: Content negotiation failed, no output format found for the following MIME types: */*,application/xml. Must be one of image/png or image/svg+xml for mermaid."
    );
    // Path format wins over Accept; query output_format wins over the path.
    let (status, ct, _) = post("/graphviz/png", Some("image/svg+xml"), None, DOT).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    let (status, ct, _) = post("/graphviz/png?output_format=svg", None, None, DOT).await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    let (status, _, body) = post("/graphviz/jpg", None, None, DOT).await;
    assert_eq!(status, 400);
    assert!(body.contains("Unsupported output format: jpg for graphviz."));
    // Blank bodies, multipart, and the source is not trimmed.
    let (status, _, body) = post("/graphviz/svg", None, Some("text/plain"), " \n\t").await;
    assert_eq!(
        (status, body.as_str()),
        (400, "Error 400: Request body must not be empty.")
    );
    let (status, _, body) = post(
        "/graphviz/svg",
        None,
        Some("multipart/form-data; boundary=x"),
        "--x\r\n\r\ndigraph\r\n--x--",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, "Error 400: Request body must not be empty.")
    );
    let (status, _, body) = post("/svgbob/svg", None, None, "\n\n  +--+\n").await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("<text ").count(), 4);
    // curl's default form content type: the body is still the source.
    let (status, _, body) = post(
        "/graphviz/svg",
        None,
        Some("application/x-www-form-urlencoded"),
        "digraph{a->b}",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("digraph{a-&gt;b}"));
}

#[tokio::test]
async fn post_json_mode() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let post = |path: &str, ct: &str, body: String, accept: Option<&str>| {
        let mut req = c
            .post(format!("{url}{path}"))
            .header(CONTENT_TYPE, ct.to_owned())
            .body(body);
        if let Some(a) = accept {
            req = req.header(ACCEPT, a.to_owned());
        }
        async move { text_of(req.send().await.unwrap()).await }
    };
    let body = json!({"diagram_source": DOT, "diagram_options": {"Theme": "dark", "scale": 2}})
        .to_string();
    let (status, ct, svg) = post(
        "/graphviz/svg",
        "application/json; charset=utf-8",
        body,
        None,
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    assert!(
        svg.contains("data-options=\"{&quot;scale&quot;:2,&quot;theme&quot;:&quot;dark&quot;}\"")
    );
    assert!(svg.contains("#1e1e1e"));
    // JSON output_format, and the path wins over it.
    let body = json!({"diagram_source": DOT, "output_format": "png"}).to_string();
    let (status, ct, _) = post("/graphviz", "Application/JSON", body.clone(), None).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    let (status, ct, _) = post("/graphviz/svg", "application/json", body, None).await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    // Accept as the last resort.
    let body = json!({"diagram_source": DOT}).to_string();
    let (status, ct, _) = post(
        "/graphviz",
        "application/json",
        body,
        Some("application/pdf"),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    // Errors.
    let (status, _, text) = post("/graphviz/svg", "application/json", "  ".into(), None).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "Error 400: Request body must not be empty.")
    );
    let (status, _, text) = post(
        "/graphviz/svg",
        "application/json",
        "{\"diagram_source\":\" \"}".into(),
        None,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (400, "Error 400: Field diagram_source must not be empty.")
    );
    let (status, _, text) = post("/graphviz/svg", "application/json", "{}".into(), None).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "Error 400: Field diagram_source must not be empty.")
    );
    let (status, _, text) = post(
        "/graphviz/svg",
        "application/json",
        "{not json".into(),
        None,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (500, "Error 500: Internal Server Error")
    );
    // A JSON body sent as text is the source itself.
    let (status, _, text) = post(
        "/graphviz/svg",
        "text/plain",
        "{\"diagram_source\":\"x\"}".into(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("diagram_source"));
}

#[tokio::test]
async fn post_root_json_api() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = format!("{}/", kroki.url());
    let post = |body: String| {
        let req = c.post(url.clone()).body(body);
        async move { text_of(req.send().await.unwrap()).await }
    };
    // No Content-Type at all, ASCII-escaped JSON, non-string options.
    let (status, ct, svg) = post(
        r#"{"diagram_source":"digraph { caf\u00e9 }","diagram_type":"graphviz","output_format":"svg","diagram_options":{"scale":2,"sketch":true}}"#.into(),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    assert!(svg.contains("digraph { café }"));
    assert!(svg.contains("{&quot;scale&quot;:2,&quot;sketch&quot;:true}"));
    let cases: &[(&str, u16, &str)] = &[
        ("", 400, "Request body must not be empty."),
        ("{oops", 500, "Internal Server Error"),
        ("{}", 400, "Field diagram_source must not be empty."),
        (r#"{"diagram_source":"x"}"#, 400, "Field diagram_type must not be empty."),
        (r#"{"diagram_source":"x","diagram_type":" "}"#, 400, "Field diagram_type must not be empty."),
        (r#"{"diagram_source":"x","diagram_type":"graphviz"}"#, 400, "Field output_format must not be empty."),
        (r#"{"diagram_source":"x","diagram_type":"mermaid","output_format":"pdf"}"#, 400, "Unsupported output format: pdf for mermaid. Must be one of png or svg."),
        (r#"{"diagram_source":"x","diagram_type":"Graphviz","output_format":"svg"}"#, 400, "Unsupported diagram type: Graphviz. Must be one of plantuml, c4plantuml, ditaa, blockdiag, seqdiag, actdiag, nwdiag, packetdiag, rackdiag, umlet, graphviz, dot, erd, svgbob, symbolator, nomnoml, mermaid, vega, vegalite, wavedrom, bpmn, bytefield, excalidraw, pikchr, structurizr, diagramsnet, d2, tikz, dbml, wireviz or goat"),
    ];
    for (body, status, message) in cases {
        let (s, _, text) = post((*body).to_owned()).await;
        assert_eq!(s, *status, "{body}");
        assert_eq!(text, format!("Error {status}: {message}"), "{body}");
    }
}

#[tokio::test]
async fn options_precedence_end_to_end() {
    let kroki = StandIn::start().await.unwrap();
    let resp = client()
        .post(format!(
            "{}/d2/svg?theme=query&pad=10&Layout=elk",
            kroki.url()
        ))
        .header(CONTENT_TYPE, "application/json")
        .header("Kroki-Diagram-Options-THEME", "header")
        .header("kroki-diagram-options-pad", "20")
        .body(
            json!({"diagram_source": "a -> b", "diagram_options": {"theme": "json-dark"}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let svg = resp.text().await.unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let options: Value =
        serde_json::from_str(doc.root_element().attribute("data-options").unwrap()).unwrap();
    assert_eq!(
        options,
        json!({"theme": "json-dark", "pad": "20", "layout": "elk"})
    );
    // GET: header beats query.
    let resp = client()
        .get(format!(
            "{}/d2/svg/{}?theme=light",
            kroki.url(),
            encode("a -> b")
        ))
        .header("Kroki-Diagram-Options-Theme", "dark")
        .send()
        .await
        .unwrap();
    let svg = resp.text().await.unwrap();
    assert!(svg.contains("data-options=\"{&quot;theme&quot;:&quot;dark&quot;}\""));
}

#[tokio::test]
async fn error_body_follows_accept() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = format!("{}/graphviz/svg/not+base64", kroki.url());
    let message = "Unable to decode the source. The source is not in valid Base64 scheme.";
    let fetch = |accept: Option<&'static str>| {
        let mut req = c.get(url.clone());
        if let Some(a) = accept {
            req = req.header(ACCEPT, a);
        }
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 400);
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(resp.headers().get("cache-control").is_none());
            assert!(resp.headers().get("etag").is_none());
            (ct, resp.bytes().await.unwrap().to_vec())
        }
    };
    let (ct, body) = fetch(None).await;
    assert_eq!(ct, "text/plain");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!("Error 400: {message}")
    );
    let (ct, body) = fetch(Some("*/*")).await;
    assert_eq!(
        (ct.as_str(), body.len()),
        ("text/plain", format!("Error 400: {message}").len())
    );
    let (ct, body) = fetch(Some("application/json")).await;
    assert_eq!(ct, "application/json");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, json!({"error": {"code": 400, "message": message}}));
    let (ct, body) = fetch(Some("text/html,application/xhtml+xml,*/*;q=0.8")).await;
    assert_eq!(ct, "text/html");
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&format!("<code>400</code> {message}")));
    assert!(html.contains("bip... bip... something wrong happened!"));
    let (ct, body) = fetch(Some("image/svg+xml,image/*")).await;
    assert_eq!(ct, "image/svg+xml");
    assert!(svg_text(&body).contains(&format!("Error 400: {message}")));
    let (ct, body) = fetch(Some("image/avif,image/webp,image/png,*/*")).await;
    assert_eq!(ct, "image/png");
    png_dimensions(&body);
    let (ct, _) = fetch(Some("image/*")).await;
    assert_eq!(ct, "image/png");
    let (ct, _) = fetch(Some("text/plain")).await;
    assert_eq!(ct, "text/plain");
}

#[tokio::test]
async fn cors_headers() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let resp = c
        .get(format!("{url}/graphviz/svg/{}", encode(DOT)))
        .header("Origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let resp = c
        .get(format!("{url}/missing"))
        .header("Origin", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = c
        .get(format!("{url}/graphviz/svg/{}", encode(DOT)))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // Preflight.
    let resp = c
        .request(reqwest::Method::OPTIONS, format!("{url}/graphviz/svg"))
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    assert_eq!(
        h["access-control-allow-headers"],
        "Access-Control-Allow-Origin,Origin,Content-Type,Accept"
    );
    assert!(h.get("access-control-max-age").is_none());
    // OPTIONS without Access-Control-Request-Method on /{type}: 405.
    let resp = c
        .request(reqwest::Method::OPTIONS, format!("{url}/graphviz"))
        .header("Origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
}

#[tokio::test]
async fn health_metrics_and_hello() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    for path in ["/health", "/v1/health", "/healthz"] {
        let resp = c
            .get(format!("{}{path}", kroki.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/health+json");
        assert!(resp.headers().get("cache-control").is_none());
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["status"], "pass");
        assert_eq!(v["version"]["kroki"]["number"], "0.32.1");
        let names = v["version"].as_object().unwrap();
        assert_eq!(names.len(), 32);
        for ty in kroki_standin::catalog::TYPES.iter() {
            assert_eq!(names[ty.name], ty.version);
        }
    }
    let resp = c
        .get(format!("{}/metrics", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4");
    let text = resp.text().await.unwrap();
    assert!(text.contains("\nkroki_worker_thread_blocked_percentage 0 "));
    assert!(text.contains("\nkroki_event_loop_thread_blocked_percentage 0 "));
    let resp = c.get(format!("{}/", kroki.url())).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/html");
    let html = resp.text().await.unwrap();
    assert!(html.contains("0.32.1 (standin)") && html.contains("https://kroki.io"));
}

#[tokio::test]
async fn companions_down_and_mermaid_limits() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    for (name, port) in [
        ("mermaid", 8002),
        ("bpmn", 8003),
        ("excalidraw", 8004),
        ("diagramsnet", 8005),
    ] {
        kroki.set_companion_down(name, true);
        let resp = c
            .post(format!("{url}/{name}/svg"))
            .header(ACCEPT, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{name}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            v["error"]["message"],
            format!("Connection refused: localhost/127.0.0.1:{port}")
        );
        // Other types do not care.
        let resp = c
            .post(format!("{url}/graphviz/svg"))
            .body(DOT)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        kroki.set_companion_down(name, false);
        let resp = c
            .post(format!("{url}/{name}/svg"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{name}");
    }
    let r = raw(kroki.addr(), &get_request("/mermaid/svg/x", &[])).await;
    assert_eq!(r.status, 400);
    kroki.set_companion_down("mermaid", true);
    let r = raw(
        kroki.addr(),
        &get_request(&format!("/mermaid/svg/{}", encode("graph TD")), &[]),
    )
    .await;
    assert_eq!((r.status, r.reason.as_str()), (503, "Service Unavailable"));
    kroki.set_companion_down("mermaid", false);
    let big = "a".repeat(50_001);
    let resp = c
        .post(format!("{url}/mermaid/svg"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        "Error 400: MaxTextSizeError: Diagram source is too large: 50001 characters (maximum is 50000)"
    );
}

#[tokio::test]
async fn syntax_errors_and_engine_checks() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let resp = c
        .get(format!(
            "{url}/graphviz/svg/{}",
            encode("digraph {\n a -> b\n SYNTAX_ERROR\n}")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        "Error 400: Error: <stdin>: syntax error in line 3 near 'SYNTAX_ERROR'\n (exit code 1)"
    );
    let resp = c
        .post(format!("{url}/plantuml/png"))
        .header(ACCEPT, "application/json")
        .body("@startuml\nSYNTAX_ERROR\n@enduml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v["error"]["message"],
        "Syntax Error? (Assumed diagram type: sequence) (line: 2)"
    );
    let resp = c
        .post(format!("{url}/mermaid/svg"))
        .body("graph TD\n  A --> SYNTAX_ERROR")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.text().await.unwrap(),
        "Error 400: Error: Parse error on line 2:\n  A --> SYNTAX_ERROR\n-----^\nExpecting 'NEWLINE', 'SPACE', got 'SYNTAX_ERROR'"
    );
    let resp = c
        .post(format!("{url}/vega/svg"))
        .body("{\n  \"a\": ,\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("line 2"));
    let resp = c
        .post(format!("{url}/dot/svg"))
        .body("digraph {\n a -> b\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp
        .text()
        .await
        .unwrap()
        .starts_with("Error 400: Error: <stdin>: syntax error in line 3"));
    // The ditaa-in-PlantUML quirk: an empty 200.
    let resp = c
        .post(format!("{url}/plantuml/svg"))
        .body("@startditaa\n+--+\n@endditaa")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("etag").is_some());
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn request_line_limit_gives_414() {
    let config = StandInConfig {
        max_uri_length: 300,
        ..StandInConfig::default()
    };
    let kroki = StandIn::start_with(config).await.unwrap();
    // "GET " + path + " HTTP/1.1" is exactly 300: accepted.
    let path_len = 300 - "GET ".len() - " HTTP/1.1".len();
    let path = format!(
        "/graphviz/svg/x?pad={}",
        "a".repeat(path_len - "/graphviz/svg/x?pad=".len())
    );
    let r = raw(kroki.addr(), &get_request(&path, &[])).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let path = format!("{path}a");
    let r = raw(
        kroki.addr(),
        &get_request(&path, &[("Accept", "application/json"), ("Origin", "x")]),
    )
    .await;
    assert_eq!(r.status, 414);
    assert_eq!(r.reason, "Request-URI Too Long");
    assert!(r.header("access-control-allow-origin").is_none());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        v["error"]["message"],
        "The request URI's length exceeds 300. You can update this value by setting KROKI_MAX_URI_LENGTH environment variable. Please read: https://docs.kroki.io/kroki/setup/configuration/#_max_uri_length for more information."
    );
    // Default limit 4096, and a 10,000-character GET gets a clean 414.
    let kroki = StandIn::start().await.unwrap();
    let resp = client()
        .get(format!(
            "{}/graphviz/svg/{}",
            kroki.url(),
            "A".repeat(10_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 414);
    assert!(resp.text().await.unwrap().contains("exceeds 4096."));
}

#[tokio::test]
async fn body_limit_gives_413() {
    let config = StandInConfig {
        body_limit: 1024,
        ..StandInConfig::default()
    };
    let kroki = StandIn::start_with(config).await.unwrap();
    let c = client();
    let resp = c
        .post(format!("{}/graphviz/svg", kroki.url()))
        .body("x".repeat(1024))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = raw(
        kroki.addr(),
        format!(
            "POST /graphviz/svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2000\r\n\r\n{}",
            "x".repeat(2000)
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.reason.as_str()),
        (413, "Internal Server Error")
    );
    assert_eq!(r.text(), "Error 413: Internal Server Error");
    // Chunked, no declared length.
    let chunk = "x".repeat(700);
    let r = raw(
        kroki.addr(),
        format!(
            "POST /graphviz/svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2bc\r\n{chunk}\r\n2bc\r\n{chunk}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn latency_is_added_to_renders() {
    let config = StandInConfig {
        latency: Duration::from_millis(500),
        ..StandInConfig::default()
    };
    let kroki = StandIn::start_with(config).await.unwrap();
    let c = client();
    let start = std::time::Instant::now();
    let resp = c
        .get(format!("{}/health", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(start.elapsed() < Duration::from_millis(500));
    let start = std::time::Instant::now();
    let resp = c
        .get(format!("{}/graphviz/svg/{}", kroki.url(), encode(DOT)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(500));
}

#[tokio::test]
async fn requests_are_recorded() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    c.post(format!("{}/graphviz/svg?scale=2", kroki.url()))
        .header("Kroki-Diagram-Options-Theme", "dark")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"diagram_source": DOT}).to_string())
        .send()
        .await
        .unwrap();
    c.get(format!("{}/nope", kroki.url())).send().await.unwrap();
    let requests = kroki.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/graphviz/svg");
    assert_eq!(first.query, "scale=2");
    assert_eq!(first.header("KROKI-DIAGRAM-OPTIONS-THEME"), Some("dark"));
    assert!(first
        .headers
        .iter()
        .any(|(n, _)| n == "kroki-diagram-options-theme"));
    assert_eq!(first.json().unwrap()["diagram_source"], DOT);
    assert!(first.body_text().contains("Hello -> World"));
    assert_eq!(requests[1].path, "/nope");
    assert_eq!(kroki.request_count(), 2);
    kroki.clear_requests();
    assert!(kroki.requests().is_empty());
    assert_eq!(kroki.request_count(), 2);
}
