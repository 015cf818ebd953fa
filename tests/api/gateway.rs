//! Kroki's own API served through the app, as real Kroki clients use it (protocol page §1-3, §9).

use crate::helpers::{content_type, encode, header, spawn_app, Forwarded};
use serde_json::json;

const DOCS_ENCODED: &str = "eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ";

#[tokio::test]
async fn get_renders_and_is_forwarded_as_the_same_get() {
    let app = spawn_app().await;
    let response = app.get(&format!("/graphviz/svg/{DOCS_ENCODED}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/svg+xml");
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=2592000, immutable"
    );
    assert!(header(&response, "content-security-policy").contains("sandbox"));
    assert!(
        header(&response, "content-disposition").is_empty(),
        "Kroki sends none"
    );
    assert!(response.text().await.unwrap().contains("<svg"));
    // Kroki is asked the client's own GET: it decodes (and trims) the source itself.
    let forwarded = app.last_render();
    assert_eq!(forwarded.method, "GET");
    assert_eq!(forwarded.path, format!("/graphviz/svg/{DOCS_ENCODED}"));
    assert_eq!(forwarded.query, "");
    assert!(forwarded.body.is_empty());
    assert_eq!(forwarded.source(), "digraph G {Hello->World}\n");
}

#[tokio::test]
async fn every_encoding_clients_send_decodes_to_the_same_source() {
    let app = spawn_app().await;
    let source = "digraph G {\n  Hello -> World\n}";
    let encodings = [
        "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo=",
        "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo",
        "eNpKyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFBAAA__-T2Ala",
    ];
    for encoded in encodings {
        for path in [
            format!("/graphviz/svg/{encoded}"),
            format!("/graphviz/svg/{encoded}?"),
            format!("//graphviz/svg/{encoded}"),
        ] {
            let response = app.get(&path).await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(app.last_render().source(), source, "{path}");
        }
    }
    let response = app
        .get("/dot/SVG/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=")
        .await;
    assert_eq!(
        response.status(),
        200,
        "formats are case-insensitive, dot is graphviz"
    );
    assert_eq!(
        app.last_render().path,
        "/graphviz/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=",
        "sent on as the canonical type and format"
    );
}

#[tokio::test]
async fn plantuml_accepts_its_native_encoding() {
    let app = spawn_app().await;
    let response = app
        .get("/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.last_render().source(), "Bob -> Alice : hello");
    let response = app.get("/c4plantuml/png/~h426f62202d3e20416c696365").await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.last_render().source(), "Bob -> Alice");
}

#[tokio::test]
async fn ascii_art_sources_keep_their_whitespace() {
    let app = spawn_app().await;
    let art = "\n  +---+\n  | a |\n  +---+\n";
    assert_eq!(
        app.get(&format!("/ditaa/svg/{}", encode(art)))
            .await
            .status(),
        200
    );
    assert_eq!(app.last_render().source(), art);
    let padded = encode("\n digraph { a } \n");
    let response = app.get(&format!("/graphviz/svg/{padded}")).await;
    assert_eq!(response.status(), 200);
    let etag = header(&response, "etag");
    // Sent on as it came (Kroki trims it), and addressed as the trimmed source: the same
    // diagram, trimmed by its client, has the same ETag.
    assert_eq!(app.last_render().source(), "\n digraph { a } \n");
    let trimmed = app
        .get(&format!("/graphviz/svg/{}", encode("digraph { a }")))
        .await;
    assert_eq!(header(&trimmed, "etag"), etag);
}

#[tokio::test]
async fn options_merge_from_query_headers_and_json_with_kroki_precedence() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(&format!(
            "/graphviz/svg/{DOCS_ENCODED}?layout=neato&Theme=query&raw=a b"
        )))
        .header("Kroki-Diagram-Options-Theme", "header")
        .header("KROKI-DIAGRAM-OPTIONS-EDGE-ATTRIBUTE-ARROWHEAD", "diamond")
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "Accept: text/plain on an svg GET is no reason for 406"
    );
    assert_eq!(content_type(&response), "image/svg+xml");
    // Forwarded as a GET: every option in the query, merged, as Kroki reads a GET's.
    let forwarded = app.last_render();
    assert_eq!(forwarded.method, "GET");
    assert_eq!(
        forwarded.options(),
        json!({"layout": "neato", "theme": "header", "raw": "a b", "edge-attribute-arrowhead": "diamond"})
    );
    let response = app
        .client
        .post(app.url("/graphviz/svg?theme=query&scale=1"))
        .header("kroki-diagram-options-theme", "header")
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"diagram_source": "digraph { a }", "diagram_options": {"theme": "json", "sketch": true}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.last_render().json().unwrap()["diagram_options"],
        json!({"theme": "json", "scale": "1", "sketch": true})
    );
}

#[tokio::test]
async fn post_root_merges_options_with_kroki_precedence_and_repeated_keys_keep_the_last() {
    let app = spawn_app().await;
    // No Content-Type, as several clients send it; `diagram_type` given twice: Kroki's
    // JsonObject keeps the last value.
    let body = r#"{"diagram_source":"digraph { a }","diagram_type":"visio","diagram_type":"graphviz","output_format":"svg","diagram_options":{"Theme":"json","sketch":true}}"#;
    let request = app
        .client
        .post(app.url("/?theme=query&scale=1&layout=neato"))
        .header("Kroki-Diagram-Options-Theme", "header")
        .header("KROKI-DIAGRAM-OPTIONS-SCALE", "2");
    let response = request.body(body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let render = app.last_render();
    assert_eq!(render.path, "/graphviz/svg");
    assert_eq!(
        render.json().unwrap()["diagram_options"],
        json!({"theme": "json", "scale": "2", "layout": "neato", "sketch": true})
    );
}

#[tokio::test]
async fn query_output_format_overrides_the_path_on_get() {
    let app = spawn_app().await;
    let response = app
        .get(&format!("/graphviz/svg/{DOCS_ENCODED}?output_format=png"))
        .await;
    assert_eq!(content_type(&response), "image/png");
    let forwarded = app.last_render();
    assert_eq!(forwarded.path, format!("/graphviz/png/{DOCS_ENCODED}"));
    assert_eq!(forwarded.options(), json!({}));
}

#[tokio::test]
async fn post_text_and_json_bodies_render() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/plantuml/svg"))
        .header("content-type", "text/plain;charset=UTF-8")
        .body("  Bob -> Alice : hi\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.last_render().json().unwrap()["diagram_source"],
        "  Bob -> Alice : hi\n",
        "POST sources are not trimmed"
    );

    // curl's default Content-Type is form-urlencoded: still the raw source.
    let response = app
        .client
        .post(app.url("/graphviz/png"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("digraph { a -> b }")
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "image/png");
    assert_eq!(
        app.last_render().json().unwrap()["diagram_source"],
        "digraph { a -> b }"
    );
}

#[tokio::test]
async fn post_root_takes_json_without_content_type_and_escaped_text() {
    let app = spawn_app().await;
    let body = r#"{"diagram_source":"digraph { a [label=\"caf\u00e9\"] }","diagram_type":"graphviz","output_format":"svg","diagram_options":{"scale":2,"sketch":false}}"#;
    let response = app
        .client
        .post(app.url("/"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sent = app.last_render().json().unwrap();
    assert_eq!(sent["diagram_source"], "digraph { a [label=\"café\"] }");
    assert_eq!(
        sent["diagram_options"],
        json!({"scale": 2, "sketch": false})
    );
}

#[tokio::test]
async fn post_root_checks_fields_in_kroki_order() {
    let app = spawn_app().await;
    let cases = [
        ("", "Error 400: Request body must not be empty."),
        ("{}", "Error 400: Field diagram_source must not be empty."),
        (r#"{"diagram_source":"a"}"#, "Error 400: Field diagram_type must not be empty."),
        (r#"{"diagram_source":"a","diagram_type":"graphviz"}"#, "Error 400: Field output_format must not be empty."),
        (r#"{"diagram_source":"a","diagram_type":"graphviz","output_format":"txt"}"#, "Error 400: Unsupported output format: txt for graphviz. Must be one of png, svg, jpeg or pdf."),
    ];
    for (body, expected) in cases {
        let response = app
            .client
            .post(app.url("/"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(content_type(&response), "text/plain");
        assert_eq!(response.text().await.unwrap(), expected);
    }
    let response = app
        .client
        .post(app.url("/"))
        .body(r#"{"diagram_source":"a","diagram_type":"visio","output_format":"svg"}"#)
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("Error 400: Unsupported diagram type: visio. Must be one of plantuml, "),
        "{text}"
    );
    assert!(app.renders().is_empty());
}

#[tokio::test]
async fn post_type_negotiates_the_format_from_accept() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/graphviz"))
        .header("accept", "text/html;q=0.9, image/svg+xml")
        .body("digraph { a }")
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "image/svg+xml");
    let response = app
        .client
        .post(app.url("/graphviz"))
        .header("content-type", "application/json")
        .body(json!({"diagram_source": "digraph { a }", "output_format": "pdf"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "application/pdf");
    // reqwest sends `Accept: */*`, which names no format (a request without Accept gets
    // "Output format is undefined", covered by the unit tests of `negotiate_format`).
    let response = app
        .client
        .post(app.url("/graphviz"))
        .body("digraph { a }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Error 400: Content negotiation failed, no output format found for the following MIME types: */*. Must be one of image/png, image/svg+xml, image/jpeg or application/pdf for graphviz."
    );
}

#[tokio::test]
async fn routing_errors_match_kroki() {
    let app = spawn_app().await;
    let response = app.get(&format!("/visio/svg/{DOCS_ENCODED}")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "Error 404: Not Found");

    let response = app.get(&format!("/mermaid/pdf/{DOCS_ENCODED}")).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Error 400: Unsupported output format: pdf for mermaid. Must be one of png or svg."
    );

    let response = app.get("/graphviz").await;
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), "POST");
    assert_eq!(
        response.text().await.unwrap(),
        "Error 405: Method not allowed. Please use a POST request."
    );
    assert_eq!(app.get("/graphviz/svg").await.status(), 405);
    assert_eq!(
        app.get("/graphviz/gif").await.status(),
        400,
        "the format is checked before the method"
    );

    // Kroki does not route HEAD (404); here HEAD answers as GET does (hardening.rs), so an
    // unknown type is its 404 and a bad format its 400, without a render.
    let head = app
        .client
        .head(app.url(&format!("/visio/svg/{DOCS_ENCODED}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
    let head = app
        .client
        .head(app.url(&format!("/mermaid/pdf/{DOCS_ENCODED}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 400);
    let response = app
        .client
        .post(app.url("/graphviz/svg"))
        .header("content-type", "text/plain")
        .body("  \n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        "Error 400: Request body must not be empty."
    );
    assert!(app.renders().is_empty());
}

#[tokio::test]
async fn bad_encodings_get_kroki_messages_in_the_requested_shape() {
    let app = spawn_app().await;
    let response = app.get("/graphviz/svg/eNpL+UwvSizI").await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Error 400: Unable to decode the source. The source is not in valid Base64 scheme."
    );
    let response = app
        .client
        .get(app.url("/graphviz/svg/aGVsbG8gd29ybGQ"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(content_type(&response), "application/json");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"error": {"code": 400, "message": "Unable to decode the source."}})
    );
    let response = app
        .client
        .get(app.url("/graphviz/svg/aGVsbG8gd29ybGQ"))
        .header(
            "accept",
            "image/avif,image/webp,image/svg+xml,image/*,*/*;q=0.8",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        content_type(&response),
        "image/svg+xml",
        "an <img> shows the error as a picture"
    );
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Error 400: Unable to decode the source."));
    assert!(app.renders().is_empty());
}

/// The app decodes GET sources with the stand-in's decoder (the shared crate `kroki-encoding`),
/// so it answers as Kroki where the two used to differ: padding cut short, a blank made of
/// control characters, PlantUML's table reading ASCII outside its alphabet as 0, an odd last
/// hex digit.
#[tokio::test]
async fn get_decoding_edge_cases_answer_as_kroki_does() {
    let app = spawn_app().await;
    for (path, status) in [
        // "==" cut to "=": java.util.Base64 refuses it.
        (
            "/graphviz/svg/eNpzKC5JLCopzc3hcszJTE5V0LVTcMpPslLwSM3JyecCMhV0gUJgOaBgJpdDal4KUDUA728RXg=",
            400,
        ),
        ("/graphviz/svg/%01%1F", 400),
        ("/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000==", 200),
        ("/plantuml/svg/~h426f62202d3e20416c6963655", 200),
    ] {
        let direct = app
            .client
            .get(format!("{}{path}", app.kroki.url()))
            .send()
            .await
            .unwrap();
        let through_app = app.get(path).await;
        assert_eq!(direct.status(), status, "{path}: the stand-in");
        assert_eq!(through_app.status(), status, "{path}: the app");
        if status != 200 {
            assert_eq!(
                through_app.text().await.unwrap(),
                direct.text().await.unwrap(),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn syntax_errors_pass_kroki_message_through() {
    let app = spawn_app().await;
    let response = app
        .get(&format!(
            "/graphviz/svg/{}",
            encode("digraph {\n SYNTAX_ERROR\n}")
        ))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Error 400: Error: <stdin>: syntax error in line 2 near 'SYNTAX_ERROR'\n (exit code 1)"
    );
}

#[tokio::test]
async fn cors_is_open_like_kroki_on_gateway_routes() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(&format!("/graphviz/svg/{DOCS_ENCODED}")))
        .header("origin", "https://docs.example")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphviz/svg"))
        .header("origin", "https://docs.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, kroki-diagram-options-theme",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    assert!(header(&preflight, "access-control-allow-methods").contains("POST"));
    let allowed = header(&preflight, "access-control-allow-headers").to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("kroki-diagram-options-theme"),
        "{allowed}"
    );
    let without_origin = app.get(&format!("/graphviz/svg/{DOCS_ENCODED}")).await;
    assert!(header(&without_origin, "access-control-allow-origin").is_empty());
    let page = app
        .client
        .get(app.url("/"))
        .header("origin", "https://other.example")
        .send()
        .await
        .unwrap();
    assert!(
        header(&page, "access-control-allow-origin").is_empty(),
        "pages get no CORS"
    );
}

#[tokio::test]
async fn companion_outage_names_the_companion_and_its_types() {
    let app = spawn_app().await;
    app.kroki.set_companion_down("mermaid", true);
    let response = app
        .get(&format!("/mermaid/svg/{}", encode("graph TD; A-->B")))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "10");
    let text = response.text().await.unwrap();
    assert!(text.starts_with("Error 503: The mermaid companion is unavailable, so mermaid diagrams cannot be rendered"), "{text}");
    assert!(
        text.contains("Connection refused"),
        "Kroki's own words are kept: {text}"
    );
    let api = app
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "mermaid", "diagram_source": "graph TD; A-->B"}),
        )
        .await;
    let error = crate::helpers::api_error(api, 503, "companion_unavailable").await;
    assert_eq!(error["companion"], "mermaid");
    assert_eq!(error["diagram_types"], json!(["mermaid"]));
    // Types that do not need the companion still render.
    assert_eq!(
        app.get(&format!("/graphviz/svg/{DOCS_ENCODED}"))
            .await
            .status(),
        200
    );
}
