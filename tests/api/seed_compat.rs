//! kroki-flask-generator's clients, unchanged: its form posts to `POST /` (urlencoded, its field
//! names or the editor's) render the editor page with the diagram.

use crate::helpers::{content_type, encode, spawn_app, TestApp};
use base64::Engine as _;

async fn post_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    app.client
        .post(app.url("/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .body(body)
        .send()
        .await
        .expect("request sent")
}

/// The `src` of the page's diagram image.
fn diagram_src(html: &str) -> String {
    let start = html
        .find(r#"<img id="diagram" src=""#)
        .unwrap_or_else(|| panic!("the page shows a diagram image: {html}"))
        + r#"<img id="diagram" src=""#.len();
    let end = html[start..].find('"').expect("the attribute ends") + start;
    html[start..end]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
}

#[tokio::test]
async fn the_seeds_form_post_renders_the_editor_page_with_the_diagram() {
    let app = spawn_app().await;
    let source = "digraph G { a -> b }";
    let response = post_form(
        &app,
        &[
            ("diagram_type", "graphviz"),
            ("output_format", "svg"),
            ("diagram_theme", "light"),
            ("background_color", "transparent"),
            ("diagram_source", source),
        ],
    )
    .await;
    let status = response.status();
    let html = response.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    // Drawn by the server: one render, with the background control's option.
    let render = app.last_render();
    assert_eq!(render.path, "/graphviz/svg");
    let sent: serde_json::Value = render.json().unwrap();
    assert_eq!(sent["diagram_source"], source);
    assert_eq!(
        sent["diagram_options"]["graph-attribute-bgcolor"],
        "transparent"
    );
    // The page shows that diagram: its image is the gateway address of the rendered diagram,
    // served from the cache without a second render.
    let src = diagram_src(&html);
    assert!(
        src.starts_with(&format!("/graphviz/svg/{}", encode(source))),
        "{src}"
    );
    let image = app.get(&src).await;
    assert_eq!(image.status(), 200);
    assert_eq!(content_type(&image), "image/svg+xml");
    assert!(image.text().await.unwrap().contains("<svg"));
    let graphviz_renders = app
        .renders()
        .iter()
        .filter(|request| request.path == "/graphviz/svg")
        .count();
    assert_eq!(graphviz_renders, 1);
    // The seed's "light" is the default look: no notice about an unknown theme.
    assert!(!html.contains("is not one of"), "{html}");
}

#[tokio::test]
async fn the_editors_form_post_renders_text_output_in_the_page() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        &[
            ("type", "plantuml"),
            ("format", "txt"),
            ("theme", "sketchy"),
            ("options", "scale=2"),
            ("source", "@startuml\r\nAlice -> Bob: hello\r\n@enduml"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let sent: serde_json::Value = app.last_render().json().unwrap();
    assert_eq!(
        sent["diagram_source"],
        "@startuml\nAlice -> Bob: hello\n@enduml"
    );
    assert_eq!(
        sent["diagram_options"],
        serde_json::json!({"scale": "2", "theme": "sketchy"})
    );
    // The text rendering is in the page, as the stand-in drew it.
    let direct = app
        .client
        .post(app.url("/plantuml/txt"))
        .header("content-type", "text/plain")
        .body("@startuml\nAlice -> Bob: hello\n@enduml")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first_line = direct.lines().find(|line| !line.trim().is_empty()).unwrap();
    assert!(html.contains(first_line.trim()), "{first_line} in {html}");
}

#[tokio::test]
async fn a_form_post_over_the_get_uri_limit_renders() {
    let app = spawn_app().await;
    // 40 KB of source: its GET link is over MAX_URI_LENGTH (16 KiB), its POST renders.
    // Labels from a small linear congruential generator: they do not compress away.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut source = String::from("digraph G {\n");
    while source.len() < 40_000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        source.push_str(&format!("  a -> b [label=\"{state:016x}\"];\n"));
    }
    source.push('}');
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("type", "graphviz"), ("source", source.as_str())])
        .finish();
    assert_eq!(app.get(&format!("/?{query}")).await.status(), 414);
    let response = post_form(
        &app,
        &[
            ("diagram_type", "graphviz"),
            ("output_format", "svg"),
            ("diagram_source", &source),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let sent: serde_json::Value = app.last_render().json().unwrap();
    assert_eq!(sent["diagram_source"], source.as_str());
    // Too long for a gateway link, so the page carries the diagram itself.
    let src = diagram_src(&html);
    let encoded = src
        .strip_prefix("data:image/svg+xml;base64,")
        .unwrap_or_else(|| panic!("an inline SVG: {}", &src[..src.len().min(80)]));
    let svg = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
}

#[tokio::test]
async fn a_form_post_that_cannot_render_shows_the_error_with_its_status() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        &[
            ("diagram_type", "visio"),
            ("output_format", "svg"),
            ("diagram_source", "hello seed"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(content_type(&response).starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Unsupported diagram type: visio"), "{html}");
    assert!(html.contains("hello seed"), "the source is kept: {html}");
    assert!(app.renders().iter().all(|r| r.path != "/graphviz/svg"));
}

#[tokio::test]
async fn json_labelled_as_a_form_is_still_krokis_post() {
    // `curl -d '{…}'` sends JSON as application/x-www-form-urlencoded; Kroki reads it as JSON.
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#" {"diagram_source":"digraph {}","diagram_type":"graphviz","output_format":"svg"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/svg+xml");
}
