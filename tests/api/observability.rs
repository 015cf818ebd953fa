//! Request ids and Prometheus metrics.

use crate::helpers::{content_type, encode, header, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn request_ids_are_kept_or_made_returned_and_forwarded_to_kroki() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/generate"))
        .header("content-type", "application/json")
        .header("x-request-id", "ci-build-42")
        .body(
            json!({"diagram_type": "graphviz", "diagram_source": "digraph { traced }"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-request-id"), "ci-build-42");
    assert_eq!(
        app.last_render().header("x-request-id"),
        Some("ci-build-42")
    );

    let response = app.get("/healthz").await;
    let generated = header(&response, "x-request-id");
    assert_eq!(generated.len(), 32);
    assert!(generated.bytes().all(|b| b.is_ascii_hexdigit()));
    let bogus = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "a b")
        .send()
        .await
        .unwrap();
    assert_ne!(header(&bogus, "x-request-id"), "a b");
}

#[tokio::test]
async fn metrics_count_requests_renders_cache_and_health_without_raw_paths() {
    let app = spawn_app().await;
    let secret = "digraph { secret_node_name }";
    let path = format!("/graphviz/svg/{}", encode(secret));
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(app.get("/health").await.status(), 200);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"kroki_web_http_requests_total{method="GET",route="/{type}/{format}/{encoded}",status="200"} 2"#,
        r#"kroki_web_kroki_requests_total{diagram_type="graphviz",outcome="ok"} 1"#,
        r#"kroki_web_http_requests_total{method="GET",route="/health",status="200"} 1"#,
        "kroki_web_cache_hits_total 1",
        "kroki_web_cache_entries 1",
        "kroki_web_renders_in_flight 0",
        "kroki_web_renders_waiting 0",
        r#"kroki_web_health_check{check="kroki",status="healthy"} 1"#,
        r#"kroki_web_health_check{check="kroki",status="unhealthy"} 0"#,
        "# TYPE kroki_web_kroki_request_duration_seconds histogram",
        "# EOF",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(text.contains("kroki_web_cache_misses_total "));
    assert!(!text.contains(&encode(secret)) && !text.contains("secret_node_name"));
}

#[tokio::test]
async fn the_api_is_described_by_openapi_and_a_readable_page() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json");
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["paths"]["/api/generate"]["post"]["responses"]["400"].is_object());
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    assert!(content_type(&page).starts_with("text/html"));
    let html = page.text().await.unwrap();
    for operation in [
        "POST /api/generate",
        "GET /{type}/{format}/{encoded}",
        "GET /health",
        "GET /metrics",
    ] {
        assert!(
            html.contains(operation),
            "{operation} missing from the API page"
        );
    }
    assert!(
        !html.contains("http://") || !html.contains("<script src=\"http"),
        "no external requests"
    );
}

/// The value of the sample `name` (no labels) in an OpenMetrics text.
fn sample(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no sample `{name}` in:\n{text}"))
}

/// Two Prometheus servers (an HA pair) scrape at the same moments, while renders hit and miss:
/// each hit and miss is counted once, whoever scrapes and however often.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_scrapes_count_each_cache_hit_and_miss_once() {
    let app = std::sync::Arc::new(spawn_app_with(&[("WORKERS", "4")]).await);
    let (mut hits, mut misses) = (0u64, 0u64);
    for round in 0..20 {
        // Scrapes from four connections at once, twice each, while the renders run.
        let scrapers: Vec<_> = (0..4)
            .map(|_| {
                let app = std::sync::Arc::clone(&app);
                tokio::spawn(async move {
                    for _ in 0..2 {
                        let text = app.get("/metrics").await.text().await.unwrap();
                        assert!(text.ends_with("# EOF\n"));
                    }
                })
            })
            .collect();
        // Two new diagrams, each asked for twice at once (one miss, one hit or joined render),
        // and one from the first round again (a hit).
        let paths: Vec<String> = [
            format!("digraph {{ round{round} a }}"),
            format!("digraph {{ round{round} a }}"),
            format!("digraph {{ round{round} b }}"),
            format!("digraph {{ round{round} b }}"),
            "digraph { round0 a }".to_owned(),
        ]
        .iter()
        .map(|source| format!("/graphviz/svg/{}", encode(source)))
        .collect();
        let responses = futures::future::join_all(paths.iter().map(|path| app.get(path))).await;
        for response in responses {
            assert_eq!(response.status(), 200);
            match header(&response, "x-cache").as_str() {
                "HIT" => hits += 1,
                "MISS" => misses += 1,
                other => panic!("X-Cache: {other}"),
            }
        }
        for scraper in scrapers {
            scraper.await.unwrap();
        }
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(hits + misses, 100);
    assert_eq!(misses, 40, "one render per new diagram");
    assert_eq!(sample(&text, "kroki_web_cache_hits_total"), hits, "{text}");
    assert_eq!(
        sample(&text, "kroki_web_cache_misses_total"),
        misses,
        "{text}"
    );
    assert_eq!(
        sample(&text, "kroki_web_cache_entries"),
        40,
        "a gauge set from the cache at each scrape"
    );
}
