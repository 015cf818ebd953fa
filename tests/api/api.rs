//! `POST /api/generate` and `GET /api/diagram-types`.

use crate::helpers::{api_error, content_type, header, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn json_request_renders_with_type_disposition_and_forwarded_options() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/generate",
            &json!({
                "diagram_type": "graphviz",
                "output_format": "svg",
                "diagram_source": "digraph { a -> b }",
                "diagram_options": {"Theme": "dark", "scale": 2, "sketch": true}
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/svg+xml");
    assert_eq!(
        header(&response, "content-disposition"),
        "inline; filename=\"diagram.svg\""
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert!(header(&response, "content-security-policy").contains("sandbox"));
    let body = response.text().await.unwrap();
    assert!(body.contains("<svg"), "{body}");

    let forwarded = app.last_render();
    assert_eq!(forwarded.path, "/graphviz/svg");
    let sent = forwarded.json().expect("the app sends JSON to Kroki");
    assert_eq!(sent["diagram_source"], "digraph { a -> b }");
    assert_eq!(
        sent["diagram_options"],
        json!({"theme": "dark", "scale": 2, "sketch": true})
    );
}

#[tokio::test]
async fn text_request_takes_type_format_and_options_from_the_query() {
    let app = spawn_app().await;
    let response = app
        .post_text(
            "/api/generate?diagram_type=plantuml&output_format=png&theme=cerulean",
            "Bob -> Alice : hi",
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/png");
    assert_eq!(
        header(&response, "content-disposition"),
        "inline; filename=\"diagram.png\""
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let sent = app.last_render().json().unwrap();
    assert_eq!(sent["diagram_source"], "Bob -> Alice : hi");
    assert_eq!(sent["diagram_options"], json!({"theme": "cerulean"}));
}

#[tokio::test]
async fn every_format_gets_its_content_type_and_file_name() {
    let app = spawn_app().await;
    let cases = [
        ("png", "image/png", "diagram.png"),
        ("svg", "image/svg+xml", "diagram.svg"),
        ("pdf", "application/pdf", "diagram.pdf"),
        ("txt", "text/plain", "diagram.txt"),
        ("utxt", "text/plain; charset=utf-8", "diagram.utxt.txt"),
        (
            "base64",
            "text/plain; charset=x-user-defined",
            "diagram.b64.txt",
        ),
    ];
    for (format, mime, file) in cases {
        let response = app
            .post_json("/api/generate", &json!({"diagram_type": "plantuml", "output_format": format, "diagram_source": "a -> b"}))
            .await;
        assert_eq!(response.status(), 200, "{format}");
        assert_eq!(content_type(&response), mime, "{format}");
        assert!(
            header(&response, "content-disposition").contains(file),
            "{format}"
        );
    }
    let jpeg = app
        .post_json("/api/generate", &json!({"diagram_type": "dot", "output_format": "JPEG", "diagram_source": "digraph { a }"}))
        .await;
    assert_eq!(content_type(&jpeg), "image/jpeg");
    assert!(jpeg.bytes().await.unwrap().starts_with(&[0xff, 0xd8, 0xff]));
}

#[tokio::test]
async fn missing_format_defaults_to_svg_and_type_names_are_forgiving() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": " Mermaid ", "diagram_source": "graph TD; A-->B"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/svg+xml");
    assert_eq!(app.last_render().path, "/mermaid/svg");
}

#[tokio::test]
async fn unknown_type_lists_every_valid_name() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "visio", "diagram_source": "x"}),
        )
        .await;
    let error = api_error(response, 400, "unknown_diagram_type").await;
    let valid = error["valid_values"].as_array().unwrap();
    assert_eq!(valid.len(), 31);
    assert!(valid.contains(&json!("dot")) && valid.contains(&json!("c4plantuml")));
    assert!(error["error"]
        .as_str()
        .unwrap()
        .starts_with("Invalid diagram type: visio. Must be one of plantuml, "));
    assert!(app.renders().is_empty(), "nothing reaches Kroki");
}

#[tokio::test]
async fn unsupported_format_lists_the_formats_of_the_type() {
    let app = spawn_app().await;
    let response = app
        .post_json("/api/generate", &json!({"diagram_type": "mermaid", "output_format": "pdf", "diagram_source": "graph TD; A-->B"}))
        .await;
    let error = api_error(response, 400, "unsupported_format").await;
    assert_eq!(error["valid_values"], json!(["png", "svg"]));
    assert_eq!(
        error["error"],
        "Invalid output format: pdf. Must be one of png or svg for mermaid."
    );
}

#[tokio::test]
async fn malformed_requests_get_the_same_error_shape() {
    let app = spawn_app().await;
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = app.client.post(app.url("/api/generate")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let json = Some("application/json");
    api_error(
        post("{\"diagram_type\": ", json).await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
    api_error(post("[1, 2]", json).await.unwrap(), 400, "invalid_json").await;
    let empty = api_error(post("", json).await.unwrap(), 400, "invalid_json").await;
    assert_eq!(empty["error"], "Invalid JSON data");
    assert!(
        empty["detail"].as_str().unwrap().contains("empty"),
        "{empty}"
    );
    api_error(
        post("{\"diagram_source\": \"a\"}", json).await.unwrap(),
        400,
        "missing_field",
    )
    .await;
    api_error(
        post("{\"diagram_type\": \"d2\"}", json).await.unwrap(),
        400,
        "missing_field",
    )
    .await;
    api_error(
        post("{\"diagram_type\": 7, \"diagram_source\": \"a\"}", json)
            .await
            .unwrap(),
        400,
        "invalid_field",
    )
    .await;
    api_error(
        post(
            "{\"diagram_type\": \"d2\", \"diagram_source\": \" \\n \"}",
            json,
        )
        .await
        .unwrap(),
        400,
        "empty_source",
    )
    .await;
    api_error(
        post("{\"diagram_type\": \"d2\", \"diagram_source\": \"a\", \"diagram_options\": {\"a\": [1]}}", json).await.unwrap(),
        400,
        "invalid_options",
    )
    .await;
    api_error(
        post("a -> b", Some("application/x-www-form-urlencoded"))
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    api_error(
        post("a -> b", None).await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    api_error(
        post("a -> b", Some("text/plain")).await.unwrap(),
        400,
        "missing_field",
    )
    .await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let response = app
        .client
        .post(app.url("/api/generate"))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    api_error(response, 400, "invalid_json").await;
    assert!(app.renders().is_empty(), "nothing malformed reaches Kroki");
}

#[tokio::test]
async fn oversized_sources_are_refused_before_kroki_is_contacted() {
    let app = spawn_app_with(&[("MAX_SOURCE_SIZE", "1000")]).await;
    let big = "a".repeat(1001);
    let response = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "diagram_source": big}),
        )
        .await;
    let error = api_error(response, 413, "source_too_large").await;
    assert!(error["error"].as_str().unwrap().contains("1001"));
    // A body far beyond any valid request is cut off while it is read.
    let huge = "b".repeat(200_000);
    let response = app
        .post_text("/api/generate?diagram_type=graphviz", &huge)
        .await;
    api_error(response, 413, "payload_too_large").await;
    let exact = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "diagram_source": "a".repeat(1000)}),
        )
        .await;
    assert_eq!(exact.status(), 200);
    assert_eq!(app.renders().len(), 1);
}

#[tokio::test]
async fn kroki_syntax_errors_keep_kroki_message_word_for_word() {
    let app = spawn_app().await;
    let response = app
        .post_json("/api/generate", &json!({"diagram_type": "plantuml", "diagram_source": "@startuml\nBob -> Alice\nSYNTAX_ERROR\n@enduml"}))
        .await;
    let error = api_error(response, 400, "diagram_error").await;
    assert_eq!(
        error["error"],
        "Invalid diagram syntax: Syntax Error? (Assumed diagram type: sequence) (line: 3)"
    );
    assert_eq!(error["kroki_status"], 400);
}

#[tokio::test]
async fn wrong_methods_and_unknown_api_paths_answer_in_json() {
    let app = spawn_app().await;
    api_error(app.get("/api/generate").await, 405, "method_not_allowed").await;
    api_error(app.get("/api/nothing-here").await, 404, "not_found").await;
}

#[tokio::test]
async fn diagram_types_lists_the_catalog() {
    let app = spawn_app().await;
    let response = app.get("/api/diagram-types").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let types = body["diagram_types"].as_array().unwrap();
    assert_eq!(types.len(), 30);
    let graphviz = types.iter().find(|t| t["name"] == "graphviz").unwrap();
    assert_eq!(graphviz["aliases"], json!(["dot"]));
    assert_eq!(graphviz["formats"], json!(["png", "svg", "jpeg", "pdf"]));
    assert_eq!(graphviz["companion"], json!(null));
    let bpmn = types.iter().find(|t| t["name"] == "bpmn").unwrap();
    assert_eq!(bpmn["companion"], "bpmn");
    assert!(types
        .iter()
        .all(|t| t["description"].as_str().is_some_and(|d| !d.is_empty())));
    assert_eq!(body["formats"].as_array().unwrap().len(), 7);
}
