//! The render cache, HTTP caching and backpressure, seen from outside.

use crate::helpers::{api_error, encode, header, spawn_app, spawn_app_with};
use kroki_standin::Fault;
use serde_json::json;
use std::time::{Duration, Instant};

const SOURCE: &str = "digraph G {\n  cache -> hits\n}";

#[tokio::test]
async fn one_diagram_through_every_route_is_one_render_and_one_etag() {
    let app = spawn_app().await;
    let unpadded = encode(SOURCE);
    let padded = format!("{unpadded}{}", "=".repeat((4 - unpadded.len() % 4) % 4));
    assert_ne!(
        padded, unpadded,
        "choose a source whose encoding needs padding"
    );
    let responses = [
        app.post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": SOURCE}),
        )
        .await,
        app.get(&format!("/graphviz/svg/{padded}")).await,
        app.get(&format!("/dot/svg/{unpadded}")).await,
        app.post_text("/graphviz/svg", SOURCE).await,
        app.client
            .post(app.url("/"))
            .body(
                json!({"diagram_type": "dot", "output_format": "SVG", "diagram_source": SOURCE})
                    .to_string(),
            )
            .send()
            .await
            .unwrap(),
    ];
    let etags: Vec<String> = responses.iter().map(|r| header(r, "etag")).collect();
    let caches: Vec<String> = responses.iter().map(|r| header(r, "x-cache")).collect();
    assert!(responses.iter().all(|r| r.status() == 200));
    assert!(
        etags
            .iter()
            .all(|etag| etag == &etags[0] && etag.len() == 34),
        "{etags:?}"
    );
    assert_eq!(caches, vec!["MISS", "HIT", "HIT", "HIT", "HIT"]);
    assert_eq!(app.renders().len(), 1, "Kroki rendered once");
}

#[tokio::test]
async fn repeated_get_urls_are_hits_and_options_or_expiry_still_count() {
    let app = spawn_app_with(&[("CACHE_TTL", "1s")]).await;
    let path = format!("/graphviz/svg/{}", encode("digraph { url -> index }"));
    let first = app.get(&path).await;
    let (etag, body) = (header(&first, "etag"), first.bytes().await.unwrap());
    let again = app.get(&path).await;
    assert_eq!(
        (header(&again, "x-cache"), header(&again, "etag")),
        ("HIT".into(), etag.clone())
    );
    assert_eq!(again.bytes().await.unwrap(), body);
    assert_eq!(app.renders().len(), 1);

    // The same URL with an option header is another diagram; the same option from the query
    // string is that same other diagram.
    let themed = app
        .client
        .get(app.url(&path))
        .header("Kroki-Diagram-Options-Theme", "dark")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&themed, "x-cache"), "MISS");
    let themed_etag = header(&themed, "etag");
    assert_ne!(themed_etag, etag);
    let from_query = app.get(&format!("{path}?theme=dark")).await;
    assert_eq!(
        (header(&from_query, "x-cache"), header(&from_query, "etag")),
        ("HIT".into(), themed_etag)
    );
    assert_eq!(app.renders().len(), 2);

    // Once the render has expired, the remembered URL is rendered again, not answered empty.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expired = app.get(&path).await;
    assert_eq!(
        (expired.status().as_u16(), header(&expired, "x-cache")),
        (200, "MISS".into())
    );
    assert_eq!(expired.bytes().await.unwrap(), body);
    assert_eq!(app.renders().len(), 3);
}

#[tokio::test]
async fn if_none_match_gets_304_without_touching_kroki() {
    let app = spawn_app().await;
    let path = format!("/graphviz/svg/{}", encode("digraph { never -> rendered }"));
    let etag = header(&app.get(&path).await, "etag");
    app.kroki.clear_requests();
    app.kroki.set_fault(Fault::Hang);
    let started = Instant::now();
    let response = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(header(&response, "etag"), etag);
    assert!(header(&response, "cache-control").contains("immutable"));
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(started.elapsed() < Duration::from_secs(1));
    // Known content addresses answer 304 even when nothing was cached (a restarted replica).
    let other = format!("/graphviz/svg/{}", encode("digraph { elsewhere }"));
    let other_etag = {
        let app2 = spawn_app().await;
        header(&app2.get(&other).await, "etag")
    };
    let response = app
        .client
        .get(app.url(&other))
        .header("if-none-match", format!("W/{other_etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert!(
        app.kroki.requests().is_empty(),
        "Kroki saw nothing after the first render"
    );
}

#[tokio::test]
async fn failures_are_not_cached() {
    let app = spawn_app().await;
    let broken =
        json!({"diagram_type": "graphviz", "diagram_source": "digraph {\nSYNTAX_ERROR\n}"});
    for _ in 0..2 {
        api_error(
            app.post_json("/api/generate", &broken).await,
            400,
            "diagram_error",
        )
        .await;
    }
    assert_eq!(app.renders().len(), 2);
    app.kroki.set_fault(Fault::Status(500));
    let good = json!({"diagram_type": "graphviz", "diagram_source": "digraph { ok }"});
    api_error(
        app.post_json("/api/generate", &good).await,
        502,
        "kroki_error",
    )
    .await;
    app.kroki.clear_fault();
    let response = app.post_json("/api/generate", &good).await;
    assert_eq!(
        (response.status().as_u16(), header(&response, "x-cache")),
        (200, "MISS".into())
    );
}

#[tokio::test]
async fn concurrent_misses_become_one_kroki_request() {
    let app = spawn_app().await;
    app.kroki.set_fault(Fault::Slow(Duration::from_millis(300)));
    let body = json!({"diagram_type": "plantuml", "output_format": "png", "diagram_source": "a -> b : together"});
    let requests = (0..20).map(|_| app.post_json("/api/generate", &body));
    let responses = futures::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(app.renders().len(), 1);
}

#[tokio::test]
async fn overload_gets_503_with_retry_after_while_hits_are_still_served() {
    let app = spawn_app_with(&[
        ("RENDER_CONCURRENCY", "1"),
        ("RENDER_QUEUE_TIMEOUT", "300ms"),
    ])
    .await;
    let cached = json!({"diagram_type": "graphviz", "diagram_source": "digraph { warm }"});
    assert_eq!(app.post_json("/api/generate", &cached).await.status(), 200);
    app.kroki.set_fault(Fault::Hang);
    // One render takes the only slot and hangs.
    let hanging = app
        .client
        .post(app.url("/api/generate"))
        .header("content-type", "application/json")
        .body(json!({"diagram_type": "graphviz", "diagram_source": "digraph { slow }"}).to_string())
        .timeout(Duration::from_secs(5))
        .send();
    let hanging = tokio::spawn(hanging);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let response = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "diagram_source": "digraph { queued }"}),
        )
        .await;
    assert_eq!(header(&response, "retry-after"), "1");
    let error = api_error(response, 503, "overloaded").await;
    assert!(error["error"]
        .as_str()
        .unwrap()
        .contains("Too many renders"));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(280) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let started = Instant::now();
    let hit = app.post_json("/api/generate", &cached).await;
    assert_eq!(
        (hit.status().as_u16(), header(&hit, "x-cache")),
        (200, "HIT".into())
    );
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "a hit never waits for a slot"
    );
    hanging.abort();
}

#[tokio::test]
async fn a_zero_budget_turns_the_cache_off() {
    let app = spawn_app_with(&[("CACHE_MAX_SIZE", "0")]).await;
    let body = json!({"diagram_type": "graphviz", "diagram_source": "digraph { a }"});
    for _ in 0..3 {
        let response = app.post_json("/api/generate", &body).await;
        assert_eq!(header(&response, "x-cache"), "MISS");
    }
    assert_eq!(app.renders().len(), 3);
}

#[tokio::test]
async fn text_diagrams_are_compressed_and_images_are_not() {
    let app = spawn_app().await;
    let svg = app
        .client
        .get(app.url(&format!("/graphviz/svg/{}", encode(SOURCE))))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&svg, "content-encoding"), "br");
    let gzip = app
        .client
        .get(app.url(&format!("/graphviz/svg/{}", encode(SOURCE))))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    for format in ["png", "jpeg"] {
        let image = app
            .client
            .get(app.url(&format!("/graphviz/{format}/{}", encode(SOURCE))))
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(image.status(), 200);
        assert_eq!(
            header(&image, "content-encoding"),
            "",
            "{format} is never compressed"
        );
    }
    let json = app
        .client
        .get(app.url("/api/diagram-types"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&json, "content-encoding"), "gzip");
}

/// A repeated GET is answered ahead of the router (`diagram_gets_ahead_of_router`); the same
/// diagram by a path only the router takes (the type percent-encoded) gets its answer from the
/// route. Both answers are the same, CORS header included, and Kroki renders once.
#[tokio::test]
async fn a_hit_answered_ahead_of_the_router_is_the_routes_own_answer() {
    let app = spawn_app().await;
    let encoded = encode("digraph { ahead -> router }");
    let hit = |path: String| {
        let request = app
            .client
            .get(app.url(&path))
            .header("Origin", "https://docs.example.test")
            .header("Accept-Encoding", "gzip, deflate, br, zstd");
        async move { request.send().await.unwrap() }
    };
    let first = hit(format!("/graphviz/svg/{encoded}")).await;
    assert_eq!(header(&first, "x-cache"), "MISS");
    let ahead = hit(format!("/graphviz/svg/{encoded}")).await;
    let routed = hit(format!("/graph%76iz/svg/{encoded}")).await;
    assert_eq!(
        (ahead.status().as_u16(), routed.status().as_u16()),
        (200, 200)
    );
    assert_eq!(header(&ahead, "x-cache"), "HIT");
    assert_eq!(header(&ahead, "access-control-allow-origin"), "*");
    assert_eq!(comparable_headers(&ahead), comparable_headers(&routed));
    assert_eq!(ahead.bytes().await.unwrap(), routed.bytes().await.unwrap());
    assert_eq!(app.renders().len(), 1, "Kroki rendered once");
}

/// Misses and errors are answered ahead of the router too: with the cache off, a diagram by a
/// path the router alone takes (the type percent-encoded) gets the same answer, and so do a
/// source that cannot be decoded, an unknown format, and a HEAD; both are counted under
/// the route's pattern.
#[tokio::test]
async fn misses_and_errors_answered_ahead_of_the_router_are_the_routes_own_answers() {
    let app = spawn_app_with(&[("CACHE_MAX_SIZE", "0")]).await;
    let encoded = encode("digraph { missed -> ahead }");
    let send = |method: reqwest::Method, path: String| {
        let request = app
            .client
            .request(method, app.url(&path))
            .header("Origin", "https://docs.example.test")
            .header("Accept-Encoding", "gzip, deflate, br, zstd");
        async move { request.send().await.unwrap() }
    };
    let answer = |response: reqwest::Response| async move {
        let headers = comparable_headers(&response);
        (
            response.status().as_u16(),
            headers,
            response.bytes().await.unwrap(),
        )
    };
    let cases = [
        (reqwest::Method::GET, format!("svg/{encoded}"), 200),
        (reqwest::Method::HEAD, format!("svg/{encoded}"), 200),
        (reqwest::Method::GET, "svg/not-zlib".to_owned(), 400),
        (reqwest::Method::GET, format!("xyz/{encoded}"), 400),
    ];
    for (method, rest, status) in cases {
        let ahead = answer(send(method.clone(), format!("/graphviz/{rest}")).await).await;
        let routed = answer(send(method.clone(), format!("/graph%76iz/{rest}")).await).await;
        assert_eq!(ahead.0, status, "{method} {rest}");
        assert_eq!(ahead, routed, "{method} {rest}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let counted = |status: &str| {
        let series = format!(
            r#"kroki_web_http_requests_total{{method="GET",route="/{{type}}/{{format}}/{{encoded}}",status="{status}"}} "#
        );
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&series)?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert_eq!((counted("200"), counted("400")), (2, 4), "{metrics}");
}

/// A response's headers, sorted, without those that differ between any two answers.
fn comparable_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    pairs.sort();
    pairs
}
