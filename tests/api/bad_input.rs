//! Bad input in every place a request carries a diagram: bytes that are not UTF-8, malformed
//! percent-encoding, the wrong Content-Type, an empty source, an unknown type or format. Each
//! gets a clear 4xx with Kroki's message (the gateway) or the API's error shape, never a 5xx,
//! and Kroki is not contacted. The one leniency is Kroki's own: a text body that is not UTF-8 is
//! read with replacement characters, as Kroki reads it.

use crate::helpers::{api_error, content_type, spawn_app, TestApp};
use serde_json::json;

const INVALID_UTF8: &[u8] = b"digraph { \xff\xfe -> \xc3 }";

/// `digraph { a -> b }`, encoded.
const ENCODED: &str = "eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY";

/// Kroki's encoding of an empty and a whitespace-only source.
const ENCODED_EMPTY: &str = "eNoDAAAAAAE=";
const ENCODED_BLANK: &str = "eNpTUODiVAAAAXUAdA==";

async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A Kroki-style plain-text error: the status and the exact body.
async fn kroki_error(response: reqwest::Response, status: u16, body: &str, what: &str) {
    assert_eq!(response.status().as_u16(), status, "{what}");
    assert_eq!(content_type(&response), "text/plain", "{what}");
    assert_eq!(response.text().await.unwrap(), body, "{what}");
}

#[tokio::test]
async fn invalid_utf8_in_json_is_a_400_naming_the_position_without_kroki() {
    let app = spawn_app().await;
    let mut body =
        br#"{"diagram_type": "graphviz", "output_format": "svg", "diagram_source": ""#.to_vec();
    body.extend_from_slice(INVALID_UTF8);
    body.extend_from_slice(b"\"}");
    let json = ("content-type", "application/json");
    let response = post(&app, "/api/generate", &[json], body.clone()).await;
    let error = api_error(response, 400, "invalid_json").await;
    assert_eq!(error["error"], "Invalid JSON data");
    let expected =
        "The request body is not valid JSON: invalid unicode code point at line 1 column 83.";
    assert_eq!(error["detail"], expected);
    for path in ["/", "/graphviz/svg", "/graphviz"] {
        let response = post(
            &app,
            path,
            &[json, ("accept", "application/json")],
            body.clone(),
        )
        .await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            json!({"error": {"code": 400, "message": expected}}),
            "{path}"
        );
    }
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn invalid_utf8_as_text_to_post_root_is_a_400_without_kroki() {
    // `POST /` reads JSON whatever the Content-Type: bytes that are not UTF-8 are not JSON.
    let app = spawn_app().await;
    let response = post(
        &app,
        "/",
        &[("content-type", "text/plain")],
        INVALID_UTF8.to_vec(),
    )
    .await;
    kroki_error(
        response,
        400,
        "Error 400: The request body is not valid JSON: expected value at line 1 column 1.",
        "POST /",
    )
    .await;
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn invalid_utf8_in_a_text_body_is_read_as_kroki_reads_it() {
    // Kroki decodes text bodies as UTF-8 with replacement characters; so does the app, and
    // what reaches Kroki is valid UTF-8.
    let app = spawn_app().await;
    for path in [
        "/graphviz/svg",
        "/graphviz",
        "/api/generate?diagram_type=graphviz",
    ] {
        let response = post(
            &app,
            path,
            &[("content-type", "text/plain"), ("accept", "image/svg+xml")],
            INVALID_UTF8.to_vec(),
        )
        .await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(content_type(&response), "image/svg+xml", "{path}");
        let forwarded = app.last_render().body;
        let text = std::str::from_utf8(&forwarded).expect("Kroki gets valid UTF-8");
        assert!(
            text.contains("digraph { \u{fffd}\u{fffd} -> \u{fffd} }"),
            "{path}: {text}"
        );
    }
}

#[tokio::test]
async fn malformed_get_paths_get_kroki_messages_without_kroki() {
    let app = spawn_app().await;
    let undecodable =
        "Error 400: Unable to decode the source. The source is not in valid Base64 scheme.";
    let bad_format = |shown: &str| {
        format!(
            "Error 400: Unsupported output format: {shown} for graphviz. Must be one of png, svg, jpeg or pdf."
        )
    };
    let cases = [
        // Percent-encoding that is invalid, or decodes to bytes that are not UTF-8.
        (
            "/graphviz/svg/%FF%FE%FD".to_owned(),
            400,
            undecodable.to_owned(),
        ),
        ("/graphviz/svg/%".to_owned(), 400, undecodable.to_owned()),
        ("/graphviz/svg/a%2".to_owned(), 400, undecodable.to_owned()),
        ("/graphviz/svg/%zz".to_owned(), 400, undecodable.to_owned()),
        (
            "/graphviz/svg/%C0%AF".to_owned(),
            400,
            undecodable.to_owned(),
        ),
        // Control characters only: blank to Java's trim(), so Kroki's "empty" message.
        (
            "/graphviz/svg/%00%01".to_owned(),
            400,
            "Error 400: Unable to decode the source. Source must not be null or empty.".to_owned(),
        ),
        (
            format!("/graphviz/svg/{ENCODED}%FF"),
            400,
            undecodable.to_owned(),
        ),
        (
            "/graphviz/svg/not*base64!".to_owned(),
            400,
            undecodable.to_owned(),
        ),
        (
            format!("/%FF/svg/{ENCODED}"),
            404,
            "Error 404: Not Found".to_owned(),
        ),
        (
            format!("/%/svg/{ENCODED}"),
            404,
            "Error 404: Not Found".to_owned(),
        ),
        (
            format!("/gr%FFaphviz/svg/{ENCODED}"),
            404,
            "Error 404: Not Found".to_owned(),
        ),
        // The format is named in the message; bytes that are not UTF-8 are shown replaced.
        (
            format!("/graphviz/%FF/{ENCODED}"),
            400,
            bad_format("\u{fffd}"),
        ),
        (
            format!("/graphviz/sv%C3%28/{ENCODED}"),
            400,
            bad_format("sv\u{fffd}("),
        ),
    ];
    for (path, status, body) in cases {
        kroki_error(app.get(&path).await, status, &body, &path).await;
    }
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn wrong_content_types_are_refused_or_read_as_kroki_does() {
    let app = spawn_app().await;
    for content_type in ["application/xml", "multipart/form-data; boundary=x"] {
        let response = post(
            &app,
            "/api/generate?diagram_type=graphviz",
            &[("content-type", content_type)],
            "digraph { a }",
        )
        .await;
        let error = api_error(response, 415, "unsupported_media_type").await;
        let message = error["error"].as_str().unwrap();
        assert!(
            message.contains("application/json") && message.contains("text/plain"),
            "{message}"
        );
    }
    assert_eq!(app.kroki.request_count(), 0, "the API refused before Kroki");

    // Kroki's own routes read any non-JSON body as the source, and `POST /` as JSON whatever
    // the Content-Type: a source in XML clothing renders, a non-JSON body to `/` is a 400.
    let xml = ("content-type", "application/xml");
    let response = post(&app, "/graphviz/svg", &[xml], "digraph { a }").await;
    assert_eq!(response.status(), 200);
    let response = post(
        &app,
        "/graphviz",
        &[xml, ("accept", "image/svg+xml")],
        "digraph { b }",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.kroki.request_count(), 2);
    let response = post(
        &app,
        "/",
        &[("content-type", "multipart/form-data; boundary=x")],
        "--x\r\n\r\ndigraph { a }\r\n--x--",
    )
    .await;
    kroki_error(
        response,
        400,
        "Error 400: The request body is not valid JSON: invalid number at line 1 column 2.",
        "multipart to POST /",
    )
    .await;
    // A body declared JSON is read as JSON.
    let response = post(
        &app,
        "/graphviz/svg",
        &[("content-type", "application/json")],
        "digraph { a }",
    )
    .await;
    kroki_error(
        response,
        400,
        "Error 400: The request body is not valid JSON: expected value at line 1 column 1.",
        "text declared JSON",
    )
    .await;
    assert_eq!(
        app.kroki.request_count(),
        2,
        "only the readable sources reached Kroki"
    );
}

#[tokio::test]
async fn empty_sources_are_refused_on_every_route_without_kroki() {
    let app = spawn_app().await;
    let text = ("content-type", "text/plain");
    let json = ("content-type", "application/json");
    for encoded in [ENCODED_EMPTY, ENCODED_BLANK] {
        let path = format!("/graphviz/svg/{encoded}");
        let body = "Error 400: The diagram source is empty.";
        kroki_error(app.get(&path).await, 400, body, &path).await;
    }
    for body in ["", "  \n\t "] {
        let response = post(&app, "/graphviz/svg", &[text], body).await;
        let expected = "Error 400: Request body must not be empty.";
        kroki_error(response, 400, expected, "POST /{type}/{format}").await;

        let response = post(
            &app,
            "/graphviz",
            &[text, ("accept", "application/json")],
            body,
        )
        .await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            json!({"error": {"code": 400, "message": "Request body must not be empty."}})
        );

        // The API: no body at all is a missing field (kroki-flask-generator's words), a blank
        // one an empty source.
        let response = post(&app, "/api/generate?diagram_type=graphviz", &[text], body).await;
        if body.is_empty() {
            let error = api_error(response, 400, "missing_field").await;
            assert_eq!(error["error"], "Missing required fields: diagram_source");
        } else {
            let error = api_error(response, 400, "empty_source").await;
            assert_eq!(error["error"], "Diagram source cannot be empty");
        }
    }
    let blank =
        json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": " \n "});
    let expected = "Error 400: Field diagram_source must not be empty.";
    for path in ["/", "/graphviz/svg"] {
        let response = post(&app, path, &[json], blank.to_string()).await;
        kroki_error(response, 400, expected, path).await;
    }
    let response = app.post_json("/api/generate", &blank).await;
    api_error(response, 400, "empty_source").await;
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn unknown_types_and_formats_are_refused_on_every_route_without_kroki() {
    let app = spawn_app().await;
    let text = ("content-type", "text/plain");
    let svg = ("accept", "image/svg+xml");
    // Kroki does not route an unknown type: a bare 404, on every route of its own.
    for (path, headers) in [("/visio/svg", vec![text]), ("/visio", vec![text, svg])] {
        let response = post(&app, path, &headers, "a -> b").await;
        assert_eq!(response.status(), 404, "{path}");
    }
    kroki_error(
        app.get(&format!("/visio/svg/{ENCODED}")).await,
        404,
        "Error 404: Not Found",
        "GET unknown type",
    )
    .await;
    let response = post(
        &app,
        "/",
        &[],
        json!({"diagram_type": "visio", "output_format": "svg", "diagram_source": "a"}).to_string(),
    )
    .await;
    assert_eq!(response.status(), 400);
    let message = response.text().await.unwrap();
    assert!(
        message
            .starts_with("Error 400: Unsupported diagram type: visio. Must be one of plantuml, ")
            && message.ends_with(", wireviz or goat"),
        "{message}"
    );

    // An unknown format lists the type's formats.
    let listing = "Error 400: Unsupported output format: gif for graphviz. Must be one of png, svg, jpeg or pdf.";
    kroki_error(
        post(&app, "/graphviz/gif", &[text], "digraph { a }").await,
        400,
        listing,
        "POST",
    )
    .await;
    kroki_error(
        app.get(&format!("/graphviz/gif/{ENCODED}")).await,
        400,
        listing,
        "GET",
    )
    .await;

    // The API, with type and format in the query of a text body.
    let response = post(&app, "/api/generate?diagram_type=visio", &[text], "a").await;
    let error = api_error(response, 400, "unknown_diagram_type").await;
    assert_eq!(error["valid_values"].as_array().unwrap().len(), 31);
    let response = post(
        &app,
        "/api/generate?diagram_type=graphviz&output_format=gif",
        &[text],
        "digraph { a }",
    )
    .await;
    let error = api_error(response, 400, "unsupported_format").await;
    assert_eq!(error["valid_values"], json!(["png", "svg", "jpeg", "pdf"]));
    assert_eq!(
        error["error"],
        "Invalid output format: gif. Must be one of png, svg, jpeg or pdf for graphviz."
    );
    assert_eq!(app.kroki.request_count(), 0);
}
