//! The editor without JavaScript: the form submits a GET and the server renders, answering
//! with the error's status when the render fails. Plain HTTP (always run), then the same in
//! Chromium with scripts switched off.

use crate::harness::{browser_test_with, escape, spawn_app, spawn_app_with, Options, TestApp};
use kroki_web::domain::encoding::encode;
use serde_json::json;

fn with_query(app: &TestApp, path: &str, query: &[(&str, &str)]) -> String {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    encoded.extend_pairs(query);
    app.url(&format!("{path}?{}", encoded.finish()))
}

async fn page(app: &TestApp, query: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .get(with_query(app, "/", query))
        .header("accept", "text/html")
        .send()
        .await
        .expect("the editor answers");
    let status = response.status().as_u16();
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_submitted_form_shows_the_rendered_diagram() {
    let app = spawn_app().await;
    let source = "digraph {\r\n  form -> image\r\n}";
    let (status, html) = page(
        &app,
        &[("type", "graphviz"), ("format", "svg"), ("source", source)],
    )
    .await;
    assert_eq!(status, 200);
    let expected = format!(
        "<img id=\"diagram\" src=\"/graphviz/svg/{}\"",
        encode("digraph {\n  form -> image\n}")
    );
    assert!(html.contains(&expected), "no image of the source");
    assert!(
        html.contains(&escape("digraph {\n  form -> image\n}")),
        "the form lost the source"
    );
    assert!(html.contains("<option value=\"graphviz\" selected>"));
    assert!(html.contains("<option value=\"svg\" selected>"));
    // The image URL the page shows renders (from the server's cache).
    let image = app
        .client
        .get(app.url(&format!(
            "/graphviz/svg/{}",
            encode("digraph {\n  form -> image\n}")
        )))
        .send()
        .await
        .expect("image");
    assert_eq!(image.status(), 200);

    let (status, html) = page(
        &app,
        &[
            ("type", "plantuml"),
            ("format", "txt"),
            ("source", "Bob -> Alice"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<pre id=\"diagram-text\""),
        "text formats show as text"
    );
}

#[tokio::test]
async fn a_failed_render_keeps_the_form_and_answers_with_the_error_status() {
    let app = spawn_app().await;
    let (status, html) = page(
        &app,
        &[
            ("type", "graphviz"),
            ("source", "digraph {\nSYNTAX_ERROR\n}"),
            ("theme", ""),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("syntax error in line 2"), "Kroki's message");
    assert!(
        html.contains("Line 2: <code>SYNTAX_ERROR</code>"),
        "the line is not quoted"
    );
    assert!(
        html.contains("SYNTAX_ERROR\n}</textarea>"),
        "the source as typed"
    );

    let (status, html) = page(&app, &[("type", "nosuchtype"), ("source", "a -> b")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("Unsupported diagram type: nosuchtype"));
    assert!(html.contains(&format!("{}</textarea>", escape("a -> b"))));

    app.kroki.set_companion_down("mermaid", true);
    let (status, html) = page(
        &app,
        &[("type", "mermaid"), ("source", "graph TD\n A --> B")],
    )
    .await;
    assert_eq!(status, 503);
    assert!(html.contains("mermaid companion is unavailable"), "{html}");
}

#[tokio::test]
async fn types_whose_companion_is_down_are_marked() {
    let app = spawn_app().await;
    app.kroki.set_companion_down("mermaid", true);
    // /health probes now; the page reuses that round of probes.
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("health answers");
    assert_eq!(health.status(), 503);
    let (status, html) = page(&app, &[]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<option value=\"mermaid\" data-down>Mermaid (companion down)</option>"),
        "mermaid is not marked"
    );
    assert!(html.contains("<option value=\"bpmn\">BPMN</option>"));
    assert!(!html.contains("Kroki is not answering"));
}

#[tokio::test]
async fn an_unreachable_kroki_is_announced_without_blaming_companions() {
    let app = spawn_app_with(&[("HEALTH_CACHE_TTL", "1ms")]).await;
    app.kroki.stop().await;
    let (status, html) = page(&app, &[]).await;
    assert_eq!(status, 200, "the editor still opens");
    assert!(html.contains("Kroki is not answering"), "no outage notice");
    assert!(!html.contains("(companion down)"));
    let (status, html) = page(&app, &[("type", "graphviz"), ("source", "digraph { a }")]).await;
    assert_eq!(status, 502);
    assert!(html.contains("kroki_unreachable"));
}

#[tokio::test]
async fn user_text_is_escaped_everywhere_it_appears() {
    let app = spawn_app().await;
    let evil = "</textarea><script>alert(1)</script>\"'&";
    let (status, html) = page(
        &app,
        &[
            ("type", "graphviz"),
            ("source", evil),
            ("options", evil),
            ("format", evil),
        ],
    )
    .await;
    assert_eq!(status, 400, "options without = are refused");
    assert!(!html.contains("<script>alert(1)"), "unescaped user text");
    assert!(html.contains(&escape(evil)));
    let (_, html) = page(&app, &[("import", evil)]).await;
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test]
async fn share_links_examples_imports_and_fallbacks_work_on_the_server() {
    let app = spawn_app().await;
    let (status, html) = page(
        &app,
        &[
            ("type", "mermaid"),
            ("format", "svg"),
            ("theme", "dark"),
            ("src", &encode("graph TD\n Shared --> Link")),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(
        "{}</textarea>",
        escape("graph TD\n Shared --> Link")
    )));
    assert!(html.contains("<option value=\"dark\" selected>"));
    assert!(
        html.contains("?theme=dark\""),
        "the option reaches the image URL"
    );

    let (status, html) = page(&app, &[("type", "d2"), ("example", "1")]).await;
    assert_eq!(status, 200);
    let example = kroki_web::domain::examples::example("d2").unwrap_or_default();
    let first_line = example
        .lines()
        .next()
        .unwrap_or_default()
        .replace('>', "&gt;")
        .replace('"', "&#34;");
    assert!(html.contains(&first_line), "the d2 example: {first_line}");

    let (status, html) = page(
        &app,
        &[
            ("type", "mermaid"),
            ("format", "pdf"),
            ("source", "graph TD\n A-->B"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("cannot be rendered as pdf; showing svg instead"));

    let (status, html) = page(
        &app,
        &[(
            "import",
            "https://kroki.io/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000",
        )],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("{}</textarea>", escape("Bob -> Alice : hello"))));

    let (status, html) = page(&app, &[("import", "https://example.com/just/a/page")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("not a Kroki diagram URL"));
    assert!(html.contains("aria-invalid=\"true\""));

    let decoded: serde_json::Value = app
        .client
        .get(with_query(
            &app,
            "/api/decode",
            &[(
                "url",
                "https://kroki.io/graphviz/png/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY?layout=neato",
            )],
        ))
        .send()
        .await
        .expect("decode answers")
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(
        decoded,
        json!({"diagram_type": "graphviz", "output_format": "png", "diagram_source": "digraph { a -> b }",
               "theme": "", "background": "", "options": "layout=neato"})
    );
    let refused = app
        .client
        .get(app.url("/api/decode?url=nonsense"))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), 400);
    assert_eq!(
        app.kroki.request_count(),
        app.kroki.requests().len() as u64,
        "nothing fetched"
    );
}

#[tokio::test]
async fn the_form_works_in_a_browser_without_javascript() {
    let options = Options {
        javascript: false,
        ..Options::default()
    };
    browser_test_with("the_form_works_in_a_browser_without_javascript", options, |page| async move {
        page.open("/").await;
        // The plain textarea is there; the script-only controls are not shown.
        assert!(page.find("textarea#source").await.is_displayed().await.unwrap_or(false));
        assert!(!page.find("#copy-png").await.is_displayed().await.unwrap_or(true));
        page.select("#type", "graphviz").await;
        let source = page.find("textarea#source").await;
        source.clear().await.expect("clearing the source");
        source.send_keys("digraph {\n  no_js -> works\n}").await.expect("typing");
        page.click("#render-button").await;
        page.wait_js("the rendered page", "return document.querySelector('#diagram') && document.querySelector('#diagram').src.includes('/graphviz/svg/') && document.querySelector('#diagram').complete && document.querySelector('#diagram').naturalWidth > 0").await;
        // The form posts (any size of source); the bookmarkable GET link is in the Share field.
        assert!(page.value("#share-link").await.contains("/?type=graphviz&format=svg&src="));
        assert_eq!(page.value("textarea#source").await, "digraph {\n  no_js -> works\n}");
        page.screenshot("no-javascript").await;

        let source = page.find("textarea#source").await;
        source.clear().await.expect("clearing the source");
        source.send_keys("digraph {\nSYNTAX_ERROR\n}").await.expect("typing");
        page.click("#render-button").await;
        page.wait_js("the error page", "return !!document.querySelector('#error-panel .error-box')").await;
        assert!(page.text("#error-panel").await.contains("syntax error in line 2"));
        page.screenshot("no-javascript-error").await;
    })
    .await;
}

/// Issue 14, defect 3: `GET /` without JavaScript shows the default example drawn, as docs/ui.md says.
#[tokio::test]
async fn the_bare_editor_shows_the_default_example_drawn() {
    let app = spawn_app().await;
    let (status, html) = page(&app, &[]).await;
    assert_eq!(status, 200);
    let example = kroki_web::domain::examples::example("plantuml").unwrap_or_default();
    assert!(
        html.contains(&format!(
            "<img id=\"diagram\" src=\"/plantuml/svg/{}\"",
            encode(example)
        )),
        "no drawn example in the bare page: {}",
        html.split("id=\"preview\"")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect::<String>()
    );
    assert!(!html.contains("Write a diagram on the left"));
    let image = app
        .client
        .get(app.url(&format!("/plantuml/svg/{}", encode(example))))
        .send()
        .await
        .expect("the image answers");
    assert_eq!(image.status(), 200, "the example's image renders");
}

/// Issue 14, defect 4: pages never show Kroki's internal address or the OS error; they give the
/// request id, and do not ask to fix a source that is not at fault.
#[tokio::test]
async fn a_kroki_outage_page_hides_internal_addresses_and_blames_no_source() {
    let app = spawn_app().await;
    app.kroki.stop().await;
    let (status, html) = page(&app, &[("type", "graphviz"), ("source", "digraph { a }")]).await;
    assert_eq!(status, 502);
    let kroki = app.kroki.url();
    assert!(
        !html.contains(&kroki),
        "the page names Kroki's address {kroki}"
    );
    assert!(!html.contains("os error"), "the page shows an OS error");
    assert!(html.contains("request id "), "no request id on the page");
    assert!(
        !html.contains("Fix the source"),
        "the source is blamed for an outage"
    );
}

/// Issue 14, defect 2: without JavaScript a 40 KB source (its GET query far over
/// MAX_URI_LENGTH) renders: the form posts, and no link that cannot work is handed out.
#[tokio::test]
async fn a_large_source_renders_without_javascript() {
    let options = Options {
        javascript: false,
        ..Options::default()
    };
    browser_test_with("a_large_source_renders_without_javascript", options, |page| async move {
        page.open("/").await;
        let mut source = String::from("digraph {\n");
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        while source.len() < 40_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            source.push_str(&format!("  n{:016x} -> m{:016x}\n", state, state.rotate_left(17)));
        }
        source.push('}');
        page.select("#type", "graphviz").await;
        // Typing 40 KB key by key takes minutes: the value is set, as a paste would.
        page.client
            .execute(
                "document.querySelector('textarea#source').value = arguments[0]; return true;",
                vec![json!(source)],
            )
            .await
            .expect("the source is set");
        page.click("#render-button").await;
        page.wait_js(
            "the large diagram",
            "const img = document.querySelector('#diagram'); return img && img.complete && img.naturalWidth > 0 && img.src.startsWith('data:')",
        )
        .await;
        assert_eq!(page.value("textarea#source").await.len(), source.len(), "the form lost the source");
        assert_eq!(page.value("#share-link").await, "", "a share link that cannot work");
        assert_eq!(page.value("#image-url").await, "", "an image URL that cannot work");
        assert!(page.text("#link-note").await.contains("too large"));
        assert!(page.value("#curl-command").await.starts_with("curl "));
        assert!(
            page.app.render_sources().iter().any(|body| body.len() > 40_000),
            "the large source never reached Kroki"
        );
        page.screenshot("no-javascript-large").await;
    })
    .await;
}
