//! The optional rate limit per client address: off by default; when set, a burst is let
//! through, then 429 with `Retry-After` in each audience's own body; probes are never limited;
//! `X-Forwarded-For` counts only from a trusted proxy.

use crate::helpers::{api_error, content_type, encode, header, spawn_app, spawn_app_with};
use serde_json::json;

fn generate_body() -> serde_json::Value {
    json!({"diagram_type": "graphviz", "diagram_source": "digraph { limited }"})
}

#[tokio::test]
async fn off_by_default() {
    let app = spawn_app().await;
    for _ in 0..60 {
        let response = app.post_json("/api/generate", &generate_body()).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn a_burst_then_429_with_retry_after_in_each_audiences_body() {
    let app = spawn_app_with(&[("RATE_LIMIT", "1/min"), ("RATE_LIMIT_BURST", "3")]).await;
    for _ in 0..3 {
        let response = app.post_json("/api/generate", &generate_body()).await;
        assert_eq!(response.status(), 200);
    }
    let limited = app.post_json("/api/generate", &generate_body()).await;
    let retry_after: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let error = api_error(limited, 429, "rate_limited").await;
    assert_eq!(
        error["error"],
        format!("Too many requests from this address; try again in {retry_after} s.")
    );

    // The gateway answers as Kroki would, by Accept; a browser gets the app's error page.
    let path = format!("/graphviz/svg/{}", encode("digraph { g }"));
    let plain = app.get(&path).await;
    assert_eq!(plain.status(), 429);
    assert!(!header(&plain, "retry-after").is_empty());
    assert_eq!(content_type(&plain), "text/plain");
    assert!(plain
        .text()
        .await
        .unwrap()
        .starts_with("Error 429: Too many requests from this address"));
    let json = app
        .client
        .post(app.url("/graphviz/svg"))
        .header("accept", "application/json")
        .body("digraph { g }")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 429);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(
        body["error"]["code"], 429,
        "Kroki's JSON error shape: {body}"
    );
    let browser = app
        .client
        .get(app.url(&path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 429);
    assert!(content_type(&browser).starts_with("text/html"));
    assert!(browser.text().await.unwrap().contains("Too many requests"));

    assert_eq!(
        app.renders().len(),
        1,
        "limited requests never reached Kroki"
    );

    // Probes, metrics and static files are never limited.
    let stylesheet = kroki_web::views::assets::url("style.css");
    for path in ["/health", "/v1/health", "/healthz", "/metrics", stylesheet] {
        let status = app.get(path).await.status().as_u16();
        assert_ne!(status, 429, "{path}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.contains("status=\"429\"") && !line.ends_with(" 0")),
        "429s are counted in the HTTP metrics"
    );
    assert!(
        metrics
            .lines()
            .any(|line| line == "kroki_web_rate_limited_requests_total 4"),
        "and in their own counter:\n{metrics}"
    );
}

#[tokio::test]
async fn a_browser_over_its_rate_gets_the_error_page_on_the_editor_too() {
    let app = spawn_app_with(&[("RATE_LIMIT", "1/min"), ("RATE_LIMIT_BURST", "1")]).await;
    let page = |query: &'static str| {
        app.client
            .get(app.url(&format!("/{query}")))
            .header("accept", "text/html")
            .send()
    };
    assert_eq!(page("").await.unwrap().status(), 200);
    let rendered = app.renders().len();
    let limited = page("?type=graphviz&source=digraph").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(!header(&limited, "retry-after").is_empty());
    assert!(content_type(&limited).starts_with("text/html"));
    assert!(limited.text().await.unwrap().contains("Too many requests"));
    assert_eq!(app.renders().len(), rendered, "nothing more reached Kroki");
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let limited_pair = [("RATE_LIMIT", "1/min"), ("RATE_LIMIT_BURST", "1")];
    let send = |app: &crate::helpers::TestApp, client: &str| {
        app.client
            .post(app.url("/api/generate"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", client)
            .body(generate_body().to_string())
            .send()
    };

    // Untrusted peer: the header is ignored, so two "clients" share the peer's one request.
    let app = spawn_app_with(&limited_pair).await;
    assert_eq!(send(&app, "198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(send(&app, "198.51.100.2").await.unwrap().status(), 429);

    // Behind a trusted proxy (loopback here), each forwarded client has its own allowance.
    let mut trusted = limited_pair.to_vec();
    trusted.push(("TRUSTED_PROXIES", "127.0.0.0/8"));
    let app = spawn_app_with(&trusted).await;
    assert_eq!(send(&app, "198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(send(&app, "198.51.100.2").await.unwrap().status(), 200);
    assert_eq!(send(&app, "198.51.100.1").await.unwrap().status(), 429);
}
