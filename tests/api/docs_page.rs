//! `GET /api/docs`: each operation's request fields and an example request and answer, built from
//! the OpenAPI document.

use crate::helpers::spawn_app;
use kroki_web::domain::encoding::decode;

/// The HTML of one operation's section, by its anchor.
fn section<'a>(html: &'a str, anchor: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{anchor}\""))
        .unwrap_or_else(|| panic!("no section {anchor}"));
    let rest = &html[start..];
    let end = rest[1..]
        .find("class=\"operation\"")
        .map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

/// The text of the `<pre>` blocks of class `class` in `html`, unescaped.
fn blocks(html: &str, class: &str) -> Vec<String> {
    html.split(&format!("<pre class=\"{class}\""))
        .skip(1)
        .filter_map(|part| {
            let code = part.split_once("<code>")?.1.split_once("</code>")?.0;
            Some(
                code.replace("&quot;", "\"")
                    .replace("&#34;", "\"")
                    .replace("&#x22;", "\"")
                    .replace("&gt;", ">")
                    .replace("&#62;", ">")
                    .replace("&lt;", "<")
                    .replace("&#60;", "<")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_api_page_shows_request_fields_and_example_requests_and_answers() {
    let app = spawn_app().await;
    let html = app.get("/api/docs").await.text().await.unwrap();

    // POST /api/generate: its JSON fields, a JSON example request, a success and an error answer.
    let generate = section(&html, "post--api-generate");
    assert!(generate.contains("Request fields (JSON)"), "{generate}");
    for field in [
        "<code>diagram_type</code>",
        "<code>output_format</code>",
        "<code>diagram_source</code>",
        "<code>diagram_options</code>",
    ] {
        assert!(generate.contains(field), "{field} is not listed");
    }
    let request = &blocks(generate, "example-request")[0];
    assert!(
        request.starts_with("POST /api/generate\nContent-Type: application/json\n\n{"),
        "{request}"
    );
    let (_, body) = request.split_once("\n\n").unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["diagram_type"], "graphviz");
    assert_eq!(body["diagram_source"], "digraph { a -> b }");
    let answers = blocks(generate, "example-answer");
    assert!(
        answers[0].starts_with("HTTP/1.1 200 OK\nContent-Type: "),
        "{answers:?}"
    );
    let error = answers
        .iter()
        .find(|a| a.starts_with("HTTP/1.1 400"))
        .unwrap();
    let (_, error_body) = error.split_once("\n\n").unwrap();
    let error_body: serde_json::Value = serde_json::from_str(error_body).unwrap();
    assert_eq!(error_body["status"], 400, "{error}");
    assert_eq!(error_body["code"], "missing_field", "{error}");

    // Kroki's GET: the path filled with example parameters, the source decodable.
    let get = section(&html, "get---type---format---encoded-");
    let request = &blocks(get, "example-request")[0];
    let encoded = request
        .strip_prefix("GET /graphviz/svg/")
        .unwrap_or_else(|| panic!("{request}"));
    assert_eq!(
        decode(encoded, 1000).ok().as_deref(),
        Some("digraph { a -> b }")
    );
    // The example request is one that the app answers.
    let response = app.get(request.trim_start_matches("GET ")).await;
    assert_eq!(response.status(), 200);

    // GET /api/examples: the answer's example body is the schema's example.
    let examples = section(&html, "get--api-examples");
    let answer = &blocks(examples, "example-answer")[0];
    assert!(answer.contains("\"diagram_type\": \"mermaid\""), "{answer}");
}
