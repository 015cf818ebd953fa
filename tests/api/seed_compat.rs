//! kroki-flask-generator's clients, unchanged: its form posts to `POST /` (urlencoded, its field
//! names or the editor's) render the editor page with the diagram.

use crate::helpers::{api_error, content_type, encode, header, spawn_app, TestApp};
use base64::Engine as _;
use serde_json::json;

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
        .diagram_renders()
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
    assert!(app
        .diagram_renders()
        .iter()
        .all(|r| r.path != "/graphviz/svg"));
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

// ---------------------------------------------------------------------------------------------
// `diagram_theme`: the type's theme option, as the editor sends it.

/// Posts a JSON request and returns the response with the options the stand-in received.
async fn generate(app: &TestApp, request: serde_json::Value) -> reqwest::Response {
    app.post_json("/api/generate", &request).await
}

fn sent_options(app: &TestApp) -> serde_json::Value {
    let sent: serde_json::Value = app.last_render().json().unwrap();
    sent["diagram_options"].clone()
}

#[tokio::test]
async fn diagram_theme_is_the_types_theme_option() {
    let app = spawn_app().await;
    let cases = [
        (
            "mermaid",
            "graph TD\n  A --> B",
            "dark",
            json!({"theme": "dark"}),
        ),
        (
            "plantuml",
            "@startuml\nA -> B\n@enduml",
            "sketchy",
            json!({"theme": "sketchy"}),
        ),
        (
            "c4plantuml",
            "@startuml\nPerson(a, \"A\")\n@enduml",
            "cerulean",
            json!({"theme": "cerulean"}),
        ),
        ("d2", "a -> b", "3", json!({"theme": "3"})),
        // The seed's names for the default look: no option.
        ("mermaid", "graph TD\n  A --> B", "light", json!({})),
        ("mermaid", "graph TD\n  A --> B", "default", json!({})),
    ];
    for (kind, source, theme, expected) in cases {
        let response = generate(
            &app,
            json!({"diagram_type": kind, "output_format": "svg", "diagram_source": source, "diagram_theme": theme}),
        )
        .await;
        assert_eq!(response.status(), 200, "{kind} {theme}");
        assert_eq!(header(&response, "x-ignored-fields"), "", "{kind} {theme}");
        let options = sent_options(&app);
        let options = if options.is_null() {
            json!({})
        } else {
            options
        };
        assert_eq!(options, expected, "{kind} {theme}");
    }
}

#[tokio::test]
async fn diagram_theme_for_a_type_without_themes_is_ignored_and_said_so() {
    let app = spawn_app().await;
    let response = generate(
        &app,
        json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": "digraph { a }",
               "diagram_theme": "dark", "background_color": "white"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-ignored-fields"),
        "diagram_theme, background_color"
    );
    let options = sent_options(&app);
    assert!(options.is_null() || options == json!({}), "{options}");
}

#[tokio::test]
async fn an_unknown_theme_is_a_400_naming_the_types_themes() {
    let app = spawn_app().await;
    let response = generate(
        &app,
        json!({"diagram_type": "mermaid", "output_format": "svg", "diagram_source": "graph TD\n  A --> B", "diagram_theme": "cerulean"}),
    )
    .await;
    let error = api_error(response, 400, "invalid_theme").await;
    assert_eq!(
        error["error"],
        "Invalid diagram theme: cerulean. Must be one of default, light, dark, neutral, forest for mermaid."
    );
    assert_eq!(
        error["valid_values"],
        json!(["default", "light", "dark", "neutral", "forest"])
    );
    assert!(app.renders().iter().all(|r| r.path != "/mermaid/svg"));
}

#[tokio::test]
async fn diagram_theme_and_diagram_options_theme_must_agree() {
    let app = spawn_app().await;
    let request = |theme: &str| {
        json!({"diagram_type": "mermaid", "output_format": "svg", "diagram_source": "graph TD\n  A --> B",
               "diagram_theme": "dark", "diagram_options": {"theme": theme}})
    };
    let error = api_error(
        generate(&app, request("forest")).await,
        400,
        "conflicting_theme",
    )
    .await;
    assert!(
        error["error"].as_str().unwrap().contains("disagree"),
        "{error}"
    );
    let agreed = generate(&app, request("dark")).await;
    assert_eq!(agreed.status(), 200);
    assert_eq!(sent_options(&app), json!({"theme": "dark"}));
}

#[tokio::test]
async fn diagram_theme_in_the_query_of_a_text_request() {
    let app = spawn_app().await;
    let response = app
        .post_text(
            "/api/generate?diagram_type=mermaid&output_format=svg&diagram_theme=forest",
            "graph TD\n  A --> B",
        )
        .await;
    assert_eq!(response.status(), 200);
    // The theme option, and no `diagram_theme` option passed on to Kroki.
    assert_eq!(sent_options(&app), json!({"theme": "forest"}));
    let ignored = app
        .post_text(
            "/api/generate?diagram_type=graphviz&diagram_theme=dark",
            "digraph { a }",
        )
        .await;
    assert_eq!(ignored.status(), 200);
    assert_eq!(header(&ignored, "x-ignored-fields"), "diagram_theme");
    let unknown = app
        .post_text("/api/generate?diagram_type=d2&diagram_theme=2", "a -> b")
        .await;
    api_error(unknown, 400, "invalid_theme").await;
}

// ---------------------------------------------------------------------------------------------
// kroki-flask-generator's API_EXAMPLES.md, request by request: every example that needs no real
// renderer, with the answer it documents (or the README's listed difference).

/// One documented request and its documented answer.
struct SeedCase {
    name: &'static str,
    /// `application/json`, `text/plain` or `text/html`.
    content_type: &'static str,
    /// The path and query after the base URL.
    path: &'static str,
    body: String,
    status: u16,
    /// A success's Content-Type, or an error's `error` text: exact, or a prefix when it ends
    /// with `…`.
    expected: &'static str,
}

fn json_case(
    name: &'static str,
    body: serde_json::Value,
    status: u16,
    expected: &'static str,
) -> SeedCase {
    SeedCase {
        name,
        content_type: "application/json",
        path: "/api/generate",
        body: body.to_string(),
        status,
        expected,
    }
}

fn seed_examples() -> Vec<SeedCase> {
    let mut cases = vec![
        json_case(
            "Mermaid flowchart (JSON)",
            json!({"diagram_type": "mermaid", "output_format": "png",
                   "diagram_source": "graph TD\n    A[Start] --> B{Decision}\n    B -->|Yes| C[Action 1]\n    B -->|No| D[Action 2]\n    C --> E[End]\n    D --> E"}),
            200,
            "image/png",
        ),
        json_case(
            "Mermaid sequence diagram with dark theme",
            json!({"diagram_type": "mermaid", "output_format": "svg",
                   "diagram_source": "sequenceDiagram\n    participant A as Alice\n    participant B as Bob\n    A->>+B: Hello Bob, how are you?\n    B-->>-A: Great!",
                   "diagram_theme": "dark"}),
            200,
            "image/svg+xml",
        ),
        json_case(
            "PlantUML class diagram (JSON)",
            json!({"diagram_type": "plantuml", "output_format": "png",
                   "diagram_source": "@startuml\nclass User {\n  +String name\n  +String email\n  +login()\n  +logout()\n}\nclass Admin {\n  +manageUsers()\n}\nUser <|-- Admin\n@enduml"}),
            200,
            "image/png",
        ),
        SeedCase {
            name: "PlantUML sequence diagram (text/plain)",
            content_type: "text/plain",
            path: "/api/generate?diagram_type=plantuml&output_format=svg",
            body: "@startuml\nparticipant User\nparticipant System\nparticipant Database\n\nUser -> System: Request data\nactivate System\n\nSystem -> Database: Query\nactivate Database\nDatabase --> System: Result\ndeactivate Database\n\nSystem --> User: Response\ndeactivate System\n@enduml".into(),
            status: 200,
            expected: "image/svg+xml",
        },
        json_case(
            "Graphviz network diagram",
            json!({"diagram_type": "graphviz", "output_format": "png",
                   "diagram_source": "digraph G {\n  rankdir=LR;\n  node [shape=box];\n  \n  A [label=\"Web Server\"];\n  B [label=\"Database\"];\n  C [label=\"Cache\"];\n  D [label=\"Load Balancer\"];\n  \n  D -> A;\n  A -> B;\n  A -> C;\n}"}),
            200,
            "image/png",
        ),
        json_case(
            "Complex Mermaid Gantt chart",
            json!({"diagram_type": "mermaid", "output_format": "svg",
                   "diagram_source": "gantt\n    title Project Timeline\n    dateFormat YYYY-MM-DD\n    section Planning\n    Requirements    :done, req, 2024-01-01, 2024-01-07\n    Design         :done, des, after req, 5d\n    section Development\n    Backend        :active, backend, 2024-01-15, 10d\n    Frontend       :frontend, after backend, 8d\n    section Testing\n    Unit Tests     :testing, after frontend, 3d\n    Integration    :integration, after testing, 2d"}),
            200,
            "image/svg+xml",
        ),
        json_case(
            "Invalid diagram type",
            json!({"diagram_type": "invalid_type", "output_format": "png", "diagram_source": "graph TD\nA --> B"}),
            400,
            "Invalid diagram type: invalid_type. Must be one of …",
        ),
        // Documented: `Missing required fields: output_format, diagram_source`; output_format
        // has a default here (README: Coming from kroki-flask-generator).
        json_case(
            "Missing required fields",
            json!({"diagram_type": "mermaid"}),
            400,
            "Missing required fields: diagram_source",
        ),
        json_case(
            "Missing required fields (its integration test: an empty object)",
            json!({}),
            400,
            "Missing required fields: diagram_type, diagram_source",
        ),
        // Documented status 400; 415 here (README).
        SeedCase {
            name: "Invalid content type",
            content_type: "text/html",
            path: "/api/generate",
            body: "some data".into(),
            status: 415,
            expected: "Content-Type must be application/json or text/plain",
        },
        // Documented with a real Mermaid; the stand-in refuses a source with its marker.
        json_case(
            "Invalid diagram syntax",
            json!({"diagram_type": "mermaid", "output_format": "png", "diagram_source": "invalid mermaid SYNTAX_ERROR syntax here"}),
            400,
            "Invalid diagram syntax: …",
        ),
        json_case(
            "Large diagram with file input",
            json!({"diagram_type": "plantuml", "output_format": "svg",
                   "diagram_source": "@startuml\n!theme plain\nskinparam backgroundColor white\n\npackage \"Web Layer\" {\n  class WebController\n  class AuthController\n  class UserController\n}\n\npackage \"Service Layer\" {\n  class UserService\n  class AuthService\n  class EmailService\n}\n\npackage \"Data Layer\" {\n  class UserRepository\n  class SessionRepository\n  interface DatabaseConnection\n}\n\nWebController --> UserService\nAuthController --> AuthService\nUserController --> UserService\nUserService --> UserRepository\nAuthService --> SessionRepository\nUserRepository --> DatabaseConnection\nSessionRepository --> DatabaseConnection\n\n@enduml\n"}),
            200,
            "image/svg+xml",
        ),
        SeedCase {
            name: "Text/plain with a complex diagram",
            content_type: "text/plain",
            path: "/api/generate?diagram_type=mermaid&output_format=png",
            body: "graph TB\n    subgraph \"Frontend\"\n        A[React App]\n        B[Redux Store]\n        C[Components]\n    end\n    \n    subgraph \"Backend\"\n        D[API Gateway]\n        E[Auth Service]\n    end\n    A --> B\n    B --> C\n    A --> D\n    D --> E\n".into(),
            status: 200,
            expected: "image/png",
        },
        json_case(
            "Performance testing",
            json!({"diagram_type": "mermaid", "output_format": "png", "diagram_source": "graph LR\nA --> B --> C --> D --> E"}),
            200,
            "image/png",
        ),
        json_case(
            "Batch: flowchart",
            json!({"diagram_type": "mermaid", "output_format": "png", "diagram_source": "graph TD\nA[Start] --> B[End]"}),
            200,
            "image/png",
        ),
        json_case(
            "Batch: sequence",
            json!({"diagram_type": "plantuml", "output_format": "svg", "diagram_source": "@startuml\nA -> B\n@enduml"}),
            200,
            "image/svg+xml",
        ),
        json_case(
            "Batch: network",
            json!({"diagram_type": "graphviz", "output_format": "png", "diagram_source": "digraph G { A -> B; }"}),
            200,
            "image/png",
        ),
    ];
    for theme in ["default", "light", "dark", "neutral", "forest"] {
        cases.push(json_case(
            "Testing different themes",
            json!({"diagram_type": "mermaid", "output_format": "png",
                   "diagram_source": "graph TD\n    A[Start] --> B[Process]\n    B --> C[End]",
                   "diagram_theme": theme}),
            200,
            "image/png",
        ));
    }
    cases
}

#[tokio::test]
async fn the_seeds_documented_requests_get_its_documented_answers() {
    let app = spawn_app().await;
    for case in seed_examples() {
        let response = app
            .client
            .post(app.url(case.path))
            .header("content-type", case.content_type)
            .body(case.body.clone())
            .send()
            .await
            .unwrap();
        let label = format!("{}: {}", case.name, case.body);
        assert_eq!(response.status().as_u16(), case.status, "{label}");
        if case.status == 200 {
            assert_eq!(content_type(&response), case.expected, "{label}");
            let extension = case
                .expected
                .trim_start_matches("image/")
                .trim_end_matches("+xml");
            assert_eq!(
                header(&response, "content-disposition"),
                format!("inline; filename=\"diagram.{extension}\""),
                "{label}"
            );
            assert!(!response.bytes().await.unwrap().is_empty(), "{label}");
        } else {
            assert_eq!(content_type(&response), "application/json", "{label}");
            let body: serde_json::Value = response.json().await.unwrap();
            // The seed's clients read `body["error"]` as the message.
            let message = body["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{label}: {body}"));
            match case.expected.strip_suffix('…') {
                Some(prefix) => assert!(message.starts_with(prefix), "{label}: {message}"),
                None => assert_eq!(message, case.expected, "{label}"),
            }
            assert_eq!(body["status"], case.status, "{label}");
        }
    }
}

#[tokio::test]
async fn the_seeds_health_check_answers_healthy() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy", "{body}");
    assert_eq!(body["checks"]["kroki"]["status"], "healthy", "{body}");
}
