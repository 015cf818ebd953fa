//! Markup in what users send, reflected in error bodies: an unknown type or format, and Kroki's
//! own message quoting the offending source line. Every body that a browser would render as
//! markup (the HTML error page, the SVG error image, the editor page) carries it escaped;
//! the others are JSON or plain text by their Content-Type. Each check first finds the payload
//! reflected, so it fails if escaping is removed.

use crate::helpers::{content_type, header, spawn_app};
use serde_json::json;

/// No `/`, so that it fits in one path segment.
const PAYLOAD: &str = "<img src=x onerror=alert(1)><svg onload=alert(2)>";

fn in_path(text: &str) -> String {
    text.replace(' ', "%20")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

/// The source Kroki refuses with a message quoting its line 2, payload included.
fn failing_mermaid() -> String {
    format!("graph TD\n A --> SYNTAX_ERROR {PAYLOAD}")
}

/// The payload is reflected (`alert(1)` and `alert(2)` are there) but not as markup.
fn assert_escaped(body: &str, what: &str) {
    assert!(
        body.contains("alert(1)") && body.contains("alert(2)"),
        "{what}: the payload is not reflected, so this proves nothing: {body}"
    );
    assert!(
        !body.contains("<img src=x") && !body.contains("<svg onload"),
        "{what}: unescaped markup: {body}"
    );
}

async fn send(request: reqwest::RequestBuilder, accept: &str) -> (String, String) {
    let response = request.header("accept", accept).send().await.unwrap();
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{accept}: {status}");
    let kind = content_type(&response);
    (kind, response.text().await.unwrap())
}

#[tokio::test]
async fn markup_in_gateway_error_bodies_is_escaped_for_every_accept() {
    let app = spawn_app().await;
    let unknown_type =
        json!({"diagram_type": PAYLOAD, "output_format": "svg", "diagram_source": "a"}).to_string();
    let requests = || {
        [
            (
                "unknown type to POST /",
                app.client.post(app.url("/")).body(unknown_type.clone()),
            ),
            (
                "unknown format in a GET path",
                app.client.get(app.url(&format!(
                    "/graphviz/{}/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
                    in_path(PAYLOAD)
                ))),
            ),
            (
                "Kroki's message quoting the source",
                app.client
                    .post(app.url("/mermaid/svg"))
                    .header("content-type", "text/plain")
                    .body(failing_mermaid()),
            ),
        ]
    };
    for (accept, want) in [
        ("text/html", "text/html; charset=utf-8"),
        ("image/svg+xml", "image/svg+xml"),
    ] {
        for (what, request) in requests() {
            let (kind, body) = send(request, accept).await;
            assert_eq!(kind, want, "{what}");
            assert_escaped(&body, &format!("{what}, {accept}"));
        }
    }
    // Bodies that are not markup keep the text as is, under a Content-Type that says so.
    for (accept, want) in [
        ("application/json", "application/json"),
        ("*/*", "text/plain"),
    ] {
        for (what, request) in requests() {
            let (kind, body) = send(request, accept).await;
            assert_eq!(kind, want, "{what}, {accept}");
            assert!(body.contains("alert(1)"), "{what}, {accept}: {body}");
        }
    }
}

#[tokio::test]
async fn markup_in_api_errors_stays_inside_json() {
    let app = spawn_app().await;
    let requests = [
        json!({"diagram_type": PAYLOAD, "diagram_source": "a"}),
        json!({"diagram_type": "graphviz", "output_format": PAYLOAD, "diagram_source": "a"}),
        json!({"diagram_type": "mermaid", "diagram_source": failing_mermaid()}),
    ];
    for request in requests {
        // Even a client that asks for HTML gets JSON from the API.
        let response = app
            .client
            .post(app.url("/api/generate"))
            .header("accept", "text/html")
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{request}");
        assert_eq!(content_type(&response), "application/json", "{request}");
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("alert(1)"), "{body}");
    }
}

#[tokio::test]
async fn markup_on_the_editor_page_is_escaped() {
    let app = spawn_app().await;
    let query = |pairs: &[(&str, &str)]| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(pairs);
        app.url(&format!("/?{}", query.finish()))
    };
    let failing = failing_mermaid();
    let cases = [
        (
            "an unknown type",
            query(&[("type", PAYLOAD), ("source", "a")]),
        ),
        (
            "Kroki's message quoting the source",
            query(&[("type", "mermaid"), ("source", &failing)]),
        ),
        (
            "an unknown page",
            app.url(&format!("/{}", in_path(PAYLOAD))),
        ),
    ];
    for (what, url) in cases {
        let response = app
            .client
            .get(url)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{what}");
        assert_eq!(
            content_type(&response),
            "text/html; charset=utf-8",
            "{what}"
        );
        let html = response.text().await.unwrap();
        if what == "an unknown page" {
            assert!(
                !html.contains("<img src=x") && !html.contains("<svg onload"),
                "{what}: {html}"
            );
        } else {
            assert_escaped(&html, what);
        }
    }
}

/// Error bodies reflect what the client sent; diagrams are served with `nosniff` and a
/// sandboxing policy, and so should every error that is not an HTML page of the app's own
/// (those carry the pages' policy), so that no browser reads reflected text as markup.
#[tokio::test]
async fn error_bodies_are_served_nosniff() {
    let app = spawn_app().await;
    let unknown_type =
        json!({"diagram_type": PAYLOAD, "output_format": "svg", "diagram_source": "a"}).to_string();
    for accept in ["*/*", "application/json", "image/svg+xml", "image/png"] {
        let response = app
            .client
            .post(app.url("/"))
            .header("accept", accept)
            .body(unknown_type.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{accept}"
        );
    }
    let response = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": PAYLOAD, "diagram_source": "a"}),
        )
        .await;
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
}
