//! Editing and live preview: typing renders, errors are shown and their line marked, type and
//! format switching, examples, the render shortcut, the busy state and render ordering.

use crate::harness::{browser_test, Page};
use kroki_standin::Fault;
use kroki_web::domain::examples::example;
use serde_json::json;
use std::time::Duration;

async fn choose_type(page: &Page, name: &str) {
    let before = page.renders_done().await;
    page.select("#type", name).await;
    page.wait_render_after(before).await;
}

async fn format_choices(page: &Page) -> Vec<String> {
    let value = page
        .js("return [...document.querySelectorAll('#format option')].map((o) => o.value)")
        .await;
    serde_json::from_value(value).unwrap_or_default()
}

#[tokio::test]
async fn typing_renders_a_preview_of_the_typed_source() {
    browser_test(
        "typing_renders_a_preview_of_the_typed_source",
        |page| async move {
            page.open_editor("/").await;
            page.wait_for_image().await;
            page.screenshot("editor-desktop").await;
            choose_type(&page, "graphviz").await;
            let requests_before = page.app.render_sources().len();
            let before = page.renders_done().await;
            let typed = "digraph {\nTyped -> Preview\n}";
            page.type_source(typed).await;
            page.wait_render_after(before).await;
            page.wait_js(
                "the typed source to be rendered",
                "return document.querySelector('#status').textContent.startsWith('Rendered')",
            )
            .await;
            let (_, width) = page.wait_for_image().await;
            assert!(width > 0);
            assert_eq!(page.source().await, typed);
            assert!(page
                .shown_diagram_text()
                .await
                .contains("Typed -&gt; Preview"));
            let sent = page.app.render_sources();
            assert!(
                sent.iter().any(|body| body.contains("Typed -> Preview")),
                "{sent:?}"
            );
            // Debounced: far fewer renders than keystrokes.
            let renders = sent.len() - requests_before;
            assert!(
                renders < typed.len() / 2,
                "{renders} renders for {} keys",
                typed.len()
            );
            page.screenshot("editor-typed").await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_syntax_error_shows_kroki_s_message_and_marks_its_line() {
    browser_test("a_syntax_error_shows_kroki_s_message_and_marks_its_line", |page| async move {
        page.open_editor("/").await;
        choose_type(&page, "graphviz").await;
        page.wait_for_image().await;
        let before = page.renders_done().await;
        page.type_source("digraph {\na -> b\nSYNTAX_ERROR\n}").await;
        page.wait_render_after(before).await;
        let message = page.text("#error-panel .error-message").await;
        assert!(message.contains("syntax error in line 3"), "{message}");
        assert_eq!(
            page.js("return document.querySelector('#error-panel').getAttribute('aria-live')").await,
            json!("polite")
        );
        assert_eq!(page.text(".cm-errorLine").await, "SYNTAX_ERROR");
        assert_eq!(page.text(".cm-errorGutter").await, "3");
        // The last good diagram stays, dimmed.
        assert_eq!(
            page.js("return document.querySelector('#viewport').classList.contains('is-stale') && !!document.querySelector('#preview img')").await,
            json!(true)
        );
        page.screenshot("syntax-error").await;

        page.click("#error-panel .error-line button").await;
        page.wait_js(
            "the cursor on the error line",
            "return document.activeElement.classList.contains('cm-content') && getSelection().toString() === 'SYNTAX_ERROR'",
        )
        .await;

        // PlantUML says `(line: N)`.
        choose_type(&page, "plantuml").await;
        let before = page.renders_done().await;
        page.type_source("@startuml\nSYNTAX_ERROR\n@enduml").await;
        page.wait_render_after(before).await;
        assert!(page.text("#error-panel").await.contains("(line: 2)"));
        assert_eq!(page.text(".cm-errorLine").await, "SYNTAX_ERROR");

        // Fixed: the error and the mark go, the diagram is bright again.
        let before = page.renders_done().await;
        page.type_source("@startuml\nAlice -> Bob\n@enduml").await;
        page.wait_render_after(before).await;
        page.wait_for_image().await;
        assert_eq!(
            page.js("return [document.querySelector('#error-panel').textContent.trim(), document.querySelectorAll('.cm-errorLine').length, document.querySelector('#viewport').classList.contains('is-stale')]").await,
            json!(["", 0, false])
        );
    })
    .await;
}

#[tokio::test]
async fn switching_type_and_format_follows_the_catalog() {
    browser_test("switching_type_and_format_follows_the_catalog", |page| async move {
        page.open_editor("/").await;
        assert_eq!(format_choices(&page).await, ["png", "svg", "pdf", "base64", "txt", "utxt"]);

        let before = page.renders_done().await;
        page.select("#format", "png").await;
        page.wait_render_after(before).await;
        page.wait_for_image().await;
        assert_eq!(
            page.find("#download").await.attr("download").await.ok().flatten().as_deref(),
            Some("plantuml-diagram.png")
        );

        let before = page.renders_done().await;
        page.select("#format", "txt").await;
        page.wait_render_after(before).await;
        assert!(page.text("#diagram-text").await.contains("@startuml"));

        // An untouched example gives way to the new type's example; formats follow the type.
        choose_type(&page, "mermaid").await;
        assert_eq!(page.source().await, example("mermaid").unwrap_or_default());
        assert_eq!(format_choices(&page).await, ["png", "svg"]);
        assert_eq!(page.value("#format").await, "svg");
        assert_eq!(page.js("return document.querySelector('#theme-field').hidden").await, json!(false));
        assert_eq!(page.js("return document.querySelector('#background-field').hidden").await, json!(true));
        page.wait_for_image().await;

        // Themes go to Kroki as a diagram option, not into the source.
        let before = page.renders_done().await;
        page.select("#theme", "dark").await;
        page.wait_render_after(before).await;
        let last = page.app.kroki.requests().into_iter().rfind(|r| r.method == "POST").expect("a render");
        let body = String::from_utf8_lossy(&last.body);
        let sent = format!("{} {body} {:?}", last.query, last.headers);
        assert!(sent.contains("dark"), "{sent}");
        assert!(!body.contains("%%{init"), "the source was rewritten: {body}");

        // A touched source stays when the type changes.
        let before = page.renders_done().await;
        page.type_source("graph TD\nKept --> Source").await;
        page.wait_render_after(before).await;
        choose_type(&page, "graphviz").await;
        assert_eq!(page.source().await, "graph TD\nKept --> Source");
        assert_eq!(page.js("return [document.querySelector('#theme-field').hidden, document.querySelector('#background-field').hidden]").await, json!([true, false]));
        assert_eq!(format_choices(&page).await, ["png", "svg", "jpeg", "pdf"]);

        // The example button loads the current type's example.
        let before = page.renders_done().await;
        page.click("#example-button").await;
        page.wait_render_after(before).await;
        assert_eq!(page.source().await, example("graphviz").unwrap_or_default());

        // The search box finds a type by name.
        let search = page.find("#type-search").await;
        search
            .send_keys(&format!("Vega-Lite{}", char::from(fantoccini::key::Key::Enter)))
            .await
            .expect("typing a type name");
        page.wait_js("Vega-Lite to be chosen", "return document.querySelector('#type').value === 'vegalite'").await;
        page.wait_for_image().await;
        assert_eq!(page.source().await, example("vegalite").unwrap_or_default());
    })
    .await;
}

#[tokio::test]
async fn ctrl_enter_renders_at_once_when_live_preview_is_off() {
    browser_test(
        "ctrl_enter_renders_at_once_when_live_preview_is_off",
        |page| async move {
            page.open_editor("/?type=graphviz").await;
            page.click("#live").await;
            let before = page.renders_done().await;
            page.type_source("digraph { waits -> for_the_shortcut }")
                .await;
            // Past the longest debounce, nothing was rendered.
            tokio::time::sleep(Duration::from_millis(2500)).await;
            assert_eq!(page.renders_done().await, before);
            page.press_render_shortcut().await;
            page.wait_render_after(before).await;
            page.wait_for_image().await;
            assert!(page.shown_diagram_text().await.contains("for_the_shortcut"));
        },
    )
    .await;
}

#[tokio::test]
async fn a_slow_render_shows_busy_and_only_the_newest_result_is_shown() {
    browser_test("a_slow_render_shows_busy_and_only_the_newest_result_is_shown", |page| async move {
        page.open_editor("/?type=graphviz").await;
        page.wait_for_image().await;
        page.js(
            "window.__shown = []; new MutationObserver(() => { const img = document.querySelector('#preview img'); if (img && !window.__shown.includes(img.src)) window.__shown.push(img.src); }).observe(document.querySelector('#preview'), {childList: true});",
        )
        .await;
        page.app.kroki.set_fault(Fault::Slow(Duration::from_millis(4000)));
        let before = page.renders_done().await;
        page.type_source("digraph { first }").await;
        page.wait_js("the busy state", "return document.querySelector('#viewport').getAttribute('aria-busy') === 'true' && document.querySelector('#viewport').classList.contains('is-busy')").await;
        // Visible too: the progress bar and the badge fade in after a moment.
        page.wait_js(
            "the busy badge",
            "return getComputedStyle(document.querySelector('#viewport'), '::after').opacity === '1' && getComputedStyle(document.querySelector('.busy')).opacity === '1'",
        )
        .await;
        page.screenshot("busy").await;
        page.type_source("digraph { second }").await;
        page.wait_render_after(before).await;
        page.app.kroki.set_fault(Fault::None);
        page.wait_for_image().await;
        let text = page.shown_diagram_text().await;
        assert!(text.contains("second") && !text.contains("first"), "{text}");
        assert_eq!(page.js("return window.__shown.length").await, json!(1), "an older render was shown");
    })
    .await;
}
