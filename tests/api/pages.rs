//! Pages and assets: real statuses, strict headers.

use crate::helpers::{content_type, header, spawn_app};

#[tokio::test]
async fn home_page_lists_every_type_with_a_strict_policy() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/html; charset=utf-8");
    let csp = header(&response, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = response.text().await.unwrap();
    for name in [
        "plantuml",
        "c4plantuml",
        "dot",
        "excalidraw",
        "goat",
        "wireviz",
    ] {
        assert!(html.contains(&format!("<code>{name}</code>")), "{name}");
    }
}

#[tokio::test]
async fn unknown_pages_are_404_pages_for_browsers() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/page/here"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(content_type(&response), "text/html; charset=utf-8");
    assert!(response.text().await.unwrap().contains("Page not found"));
    let missing_asset = app.get("/static/nothing.js").await;
    assert_eq!(missing_asset.status(), 404);
}

#[tokio::test]
async fn stylesheet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let response = app.get("/static/style.css").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/css; charset=utf-8");
}

#[tokio::test]
async fn liveness_is_cheap_and_touches_no_upstream() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    assert_eq!(app.kroki.request_count(), 0);
}
