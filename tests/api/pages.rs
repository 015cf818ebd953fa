//! Pages and assets: real statuses, strict headers, content-hashed assets. The editor's\n//! behaviour is tested in a real browser (tests/browser) and its no-JavaScript path there too.

use crate::helpers::{content_type, header, spawn_app};

#[tokio::test]
async fn home_page_is_the_editor_of_every_type_with_a_strict_policy() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/html; charset=utf-8");
    let csp = header(&response, "content-security-policy");
    assert!(
        csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = response.text().await.unwrap();
    for kind in kroki_web::domain::CATALOG.iter() {
        assert!(
            html.contains(&format!("<option value=\"{}\"", kind.name)),
            "{} is not offered",
            kind.name
        );
    }
    assert!(html.contains("<textarea id=\"source\" name=\"source\""));
    assert!(!html.contains("<script>"), "an inline script");
    // Aliases open their type.
    let html = app.get("/?type=dot").await.text().await.unwrap();
    assert!(html.contains("<option value=\"graphviz\" selected>"));
}

/// The first `/static/<name>.<hash>.<ext>` URL of a page.
fn asset_url(html: &str, name: &str, extension: &str) -> String {
    let start = html
        .find(&format!("/static/{name}."))
        .unwrap_or_else(|| panic!("no {name} in the page"));
    let rest = &html[start..];
    let end = rest.find(&format!(".{extension}\"")).expect("a quoted URL") + extension.len() + 1;
    rest[..end].to_owned()
}

#[tokio::test]
async fn assets_have_content_hashed_urls_and_long_lifetimes() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    for (name, extension, kind) in [
        ("style", "css", "text/css; charset=utf-8"),
        ("editor", "js", "text/javascript; charset=utf-8"),
        ("theme", "js", "text/javascript; charset=utf-8"),
        ("favicon", "svg", "image/svg+xml"),
        ("editor-data", "json", "application/json"),
    ] {
        let url = asset_url(&html, name, extension);
        let hash = url
            .trim_start_matches(&format!("/static/{name}."))
            .trim_end_matches(&format!(".{extension}"));
        assert_eq!(hash.len(), 16, "{url}");
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(content_type(&response), kind, "{url}");
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        // Another build's hash is gone; the plain name is revalidated on each use.
        let stale = app
            .get(&format!("/static/{name}.0123456789abcdef.{extension}"))
            .await;
        assert_eq!(stale.status(), 404, "{url}");
    }
    let plain = app.get("/static/editor.js").await;
    assert_eq!(header(&plain, "cache-control"), "no-cache");
    let etag = header(&plain, "etag");
    let revalidated = app
        .client
        .get(app.url("/static/editor.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
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
    // Paths shaped like a diagram URL, with an unknown type, are 404 pages for browsers too.
    for path in ["/no/such/page", "/nothing/svg", "/nothing"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            content_type(&response),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{path}"
        );
    }
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

/// `/` answers three audiences from two modules: the editor registers the page (GET and HEAD)
/// first; every other method falls through to the gateway's `/`, which answers Kroki's
/// `POST /` (JSON, even labelled as a form), hands a posted form back to the editor page, opens
/// CORS as on every gateway route, and refuses the rest with 405. This pins what each gets.
#[tokio::test]
async fn the_root_path_answers_each_method_for_its_audience() {
    use reqwest::Method;
    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
    const ORIGIN: (&str, &str) = ("origin", "https://docs.example");
    let app = spawn_app().await;
    let send = |method: Method, headers: &[(&'static str, &'static str)], body: &'static str| {
        let mut request = app.client.request(method, app.url("/")).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let head = send(Method::HEAD, &[], "").await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(content_type(&head), "text/html; charset=utf-8");
    let form = send(
        Method::POST,
        &[ORIGIN, FORM],
        "type=graphviz&format=svg&source=digraph+%7B+a+%7D",
    );
    let form = form.await.unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(content_type(&form), "text/html; charset=utf-8");
    assert_eq!(header(&form, "access-control-allow-origin"), "*");
    let json =
        r#"{"diagram_source":"digraph { a }","diagram_type":"graphviz","output_format":"svg"}"#;
    let json = send(Method::POST, &[FORM], json).await.unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(content_type(&json).split(';').next(), Some("image/svg+xml"));
    let preflight = [ORIGIN, ("access-control-request-method", "POST")];
    let preflight = send(Method::OPTIONS, &preflight, "").await.unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    let put = send(Method::PUT, &[], "").await.unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(header(&put, "allow"), "GET, HEAD, POST");
}
