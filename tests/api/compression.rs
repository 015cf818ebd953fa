//! Content codings of diagram answers: cache hits sent from variants compressed once, the
//! headers that go with them (`Content-Encoding`, `Vary`, an ETag per coding), and conditional
//! requests against the coding that would be served.

use crate::helpers::{encode, header, spawn_app, spawn_app_with, TestApp};
use std::io::Read;
use std::time::Duration;

const BROWSER: &str = "gzip, deflate, br, zstd";

/// A source the stand-in draws as a ~40 KB SVG (one text line per source line).
fn large_source(tag: &str) -> String {
    let mut source = format!("digraph {tag} {{\n");
    for line in 0..150 {
        source.push_str(&format!(
            "  {tag}_{line:03} [label=\"a node of the compression test, line {line}\"];\n"
        ));
    }
    source.push('}');
    source
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::stream::decode_all(bytes).unwrap(),
        "" => out = bytes.to_vec(),
        other => panic!("unexpected coding {other}"),
    }
    out
}

/// Waits (bounded) until the cache answers `path` in brotli from a stored variant: a strong
/// ETag and a Content-Length (on-the-fly answers have a weak ETag and are chunked).
async fn wait_for_variants(app: &TestApp, path: &str) {
    for _ in 0..400 {
        let response = get_with(app, path, &[("accept-encoding", "br")]).await;
        let etag = header(&response, "etag");
        if !etag.starts_with("W/") && !header(&response, "content-length").is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never got its compressed variants");
}

async fn cache_size(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("kroki_web_cache_size_bytes "))
        .expect("the cache size metric")
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn hits_in_every_coding_are_stored_variants_that_decompress_to_the_identity_bytes() {
    let app = spawn_app().await;
    let path = format!("/graphviz/svg/{}", encode(&large_source("hits")));
    let first = app.get(&path).await;
    assert_eq!(header(&first, "x-cache"), "MISS");
    let base = header(&first, "etag");
    assert_eq!(header(&first, "vary"), "Accept-Encoding");
    assert_eq!(header(&first, "content-encoding"), "");
    let identity = first.bytes().await.unwrap();
    assert!(identity.len() > 20_000, "{}", identity.len());
    wait_for_variants(&app, &path).await;

    for (accept, coding) in [
        ("br", "br"),
        ("gzip", "gzip"),
        ("zstd", "zstd"),
        (BROWSER, "br"),
        ("gzip;q=0.5, zstd", "zstd"),
        ("identity", ""),
        ("br;q=0, gzip;q=0, zstd;q=0", ""),
    ] {
        let response = get_with(&app, &path, &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(header(&response, "x-cache"), "HIT", "{accept}");
        assert_eq!(header(&response, "content-encoding"), coding, "{accept}");
        assert_eq!(header(&response, "vary"), "Accept-Encoding", "{accept}");
        let expected_etag = if coding.is_empty() {
            base.clone()
        } else {
            format!("{}-{coding}\"", base.trim_end_matches('"'))
        };
        assert_eq!(header(&response, "etag"), expected_etag, "{accept}");
        let length: usize = header(&response, "content-length").parse().unwrap();
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len(), length);
        if !coding.is_empty() {
            assert!(body.len() < identity.len() / 3, "{coding}: {}", body.len());
        }
        assert_eq!(decode(coding, &body), identity, "{accept}");
    }
    // The same through the API (POST): the same entry, the same variants.
    let api = app
        .client
        .post(app.url("/api/generate"))
        .header("content-type", "application/json")
        .header("accept-encoding", "zstd")
        .body(
            serde_json::json!({"diagram_type": "graphviz", "diagram_source": large_source("hits")})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(header(&api, "x-cache"), "HIT");
    assert_eq!(header(&api, "content-encoding"), "zstd");
    assert_eq!(decode("zstd", &api.bytes().await.unwrap()), identity);
    assert_eq!(app.renders().len(), 1);
}

#[tokio::test]
async fn without_stored_variants_answers_are_compressed_on_the_fly_under_a_weak_etag() {
    let app = spawn_app_with(&[("CACHE_MAX_SIZE", "0")]).await;
    let path = format!("/graphviz/svg/{}", encode(&large_source("fly")));
    let identity = app.get(&path).await;
    let base = header(&identity, "etag");
    let identity = identity.bytes().await.unwrap();
    for coding in ["br", "gzip", "zstd"] {
        let response = get_with(&app, &path, &[("accept-encoding", coding)]).await;
        assert_eq!(header(&response, "x-cache"), "MISS");
        assert_eq!(header(&response, "content-encoding"), coding);
        assert_eq!(header(&response, "vary"), "Accept-Encoding");
        assert_eq!(
            header(&response, "etag"),
            format!("W/{}-{coding}\"", base.trim_end_matches('"'))
        );
        assert_eq!(decode(coding, &response.bytes().await.unwrap()), identity);
    }
}

#[tokio::test]
async fn images_are_sent_as_they_are_without_vary() {
    let app = spawn_app().await;
    let path = format!("/graphviz/png/{}", encode("digraph { png }"));
    for _ in 0..2 {
        let response = get_with(&app, &path, &[("accept-encoding", BROWSER)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-encoding"), "");
        assert_eq!(header(&response, "vary"), "");
        assert_eq!(header(&response, "etag").len(), 34);
    }
}

#[tokio::test]
async fn if_none_match_is_compared_with_the_etag_of_the_coding_served() {
    let app = spawn_app().await;
    let path = format!("/graphviz/svg/{}", encode(&large_source("conditional")));
    let base = header(&app.get(&path).await, "etag");
    wait_for_variants(&app, &path).await;
    let coded = |coding: &str| format!("{}-{coding}\"", base.trim_end_matches('"'));
    app.kroki.clear_requests();
    for (accept, tag, expected_status, expected_etag) in [
        // Each coding's own tag: 304 with that tag.
        ("", base.clone(), 304, base.clone()),
        ("br", coded("br"), 304, coded("br")),
        ("gzip", coded("gzip"), 304, coded("gzip")),
        ("zstd", format!("W/{}", coded("zstd")), 304, coded("zstd")),
        (BROWSER, format!("\"x\", {}", coded("br")), 304, coded("br")),
        // Another coding's tag: the representation differs, so 200.
        ("br", base.clone(), 200, coded("br")),
        ("", coded("br"), 200, base.clone()),
        ("gzip", coded("zstd"), 200, coded("gzip")),
    ] {
        let mut headers = vec![("if-none-match", tag.as_str())];
        if !accept.is_empty() {
            headers.push(("accept-encoding", accept));
        }
        let response = get_with(&app, &path, &headers).await;
        assert_eq!(response.status(), expected_status, "{accept} / {tag}");
        assert_eq!(header(&response, "etag"), expected_etag, "{accept} / {tag}");
        assert_eq!(
            header(&response, "vary"),
            "Accept-Encoding",
            "{accept} / {tag}"
        );
    }
    // Once the URL index forgets nothing, the same holds on the path that decodes the URL
    // (another spelling of the same diagram: `dot` is `graphviz`).
    let alias = path.replacen("/graphviz/", "/dot/", 1);
    let response = get_with(
        &app,
        &alias,
        &[
            ("accept-encoding", "gzip"),
            ("if-none-match", &coded("gzip")),
        ],
    )
    .await;
    assert_eq!(response.status(), 304);
    assert_eq!(header(&response, "etag"), coded("gzip"));
    assert!(
        app.kroki.requests().is_empty(),
        "no render for any of these"
    );
}

#[tokio::test]
async fn if_none_match_star_is_304_only_for_a_current_representation() {
    let app = spawn_app().await;
    let star = [("if-none-match", "*"), ("accept-encoding", "gzip")];
    // Never rendered: no current representation, so the condition holds and it is rendered.
    let path = format!("/graphviz/svg/{}", encode("digraph { star }"));
    let first = get_with(&app, &path, &star).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "content-encoding"), "gzip");
    // Now it is cached: 304, with the gzip answer's ETag.
    let again = get_with(&app, &path, &star).await;
    assert_eq!(again.status(), 304);
    assert!(header(&again, "etag").ends_with("-gzip\""));
    // Through the other route too (the URL decoded again).
    let alias = get_with(&app, &path.replacen("/graphviz/", "/dot/", 1), &star).await;
    assert_eq!(alias.status(), 304);
    // A failing diagram never has a representation.
    let broken = format!("/graphviz/svg/{}", encode("digraph {\n  SYNTAX_ERROR\n}"));
    for _ in 0..2 {
        let response = get_with(&app, &broken, &star).await;
        assert_eq!(response.status(), 400);
    }
    // Without a cache nothing is current: always rendered.
    let uncached = spawn_app_with(&[("CACHE_MAX_SIZE", "0")]).await;
    for _ in 0..2 {
        let response = get_with(&uncached, &path, &star).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(uncached.renders().len(), 2);
}

#[tokio::test]
async fn the_cache_size_metric_counts_the_variants() {
    let app = spawn_app().await;
    let path = format!("/graphviz/svg/{}", encode(&large_source("weigh")));
    let identity = app.get(&path).await.bytes().await.unwrap().len() as u64;
    wait_for_variants(&app, &path).await;
    let mut variants = 0;
    for coding in ["br", "gzip", "zstd"] {
        let response = get_with(&app, &path, &[("accept-encoding", coding)]).await;
        variants += response.bytes().await.unwrap().len() as u64;
    }
    let size = cache_size(&app).await;
    // One entry: the identity bytes, every variant, and a fixed overhead per entry.
    assert!(
        size >= identity + variants && size < identity + variants + 1024,
        "cache size {size}, identity {identity}, variants {variants}"
    );
}

/// Answers other than diagrams go through the compression middleware: compressed on the fly
/// when a coding is accepted, sent as they are otherwise, and `Vary: Accept-Encoding` exactly
/// once either way (the middleware leaves an answer it does not encode untouched).
#[tokio::test]
async fn other_compressible_answers_carry_one_vary_and_are_encoded_only_when_asked() {
    let app = spawn_app().await;
    let plain = get_with(&app, "/api/diagram-types", &[]).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), "");
    let vary: Vec<_> = plain.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["Accept-Encoding"]);
    let identity = plain.bytes().await.unwrap();
    assert!(identity.starts_with(b"[") || identity.starts_with(b"{"));

    for coding in ["gzip", "br", "zstd"] {
        let response = get_with(&app, "/api/diagram-types", &[("accept-encoding", coding)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-encoding"), coding);
        let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
        assert_eq!(vary.len(), 1, "{coding}: {vary:?}");
        assert!(vary[0].as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
        assert_eq!(decode(coding, &response.bytes().await.unwrap()), identity);
    }
}
