//! What the browser remembers: the history of diagrams and the light/dark choice.

use crate::harness::browser_test;
use serde_json::json;

#[tokio::test]
async fn history_keeps_restores_and_clears_diagrams() {
    browser_test("history_keeps_restores_and_clears_diagrams", |page| async move {
        page.open_editor("/?type=graphviz").await;
        assert_eq!(page.js("return document.querySelector('#history-empty').hidden").await, json!(false));
        let before = page.renders_done().await;
        page.type_source("digraph { first_diagram }").await;
        page.wait_render_after(before).await;
        // A new document: the example (not kept while untouched), then edited.
        let before = page.renders_done().await;
        page.click("#example-button").await;
        page.wait_render_after(before).await;
        let before = page.renders_done().await;
        page.type_source("digraph { second_diagram }").await;
        page.wait_render_after(before).await;
        let titles = page.js("return [...document.querySelectorAll('.history-title')].map((t) => t.textContent)").await;
        assert_eq!(titles, json!(["digraph { second_diagram }", "digraph { first_diagram }"]));
        assert!(page.text(".history-meta").await.starts_with("Graphviz · SVG"));
        page.js("document.querySelector('.history-card').scrollIntoView({block: 'center'})").await;
        page.screenshot("history").await;

        // Kept across a reload, and restorable.
        page.reload_editor().await;
        page.wait_js("the history after reload", "return document.querySelectorAll('.history-restore').length === 2").await;
        let before = page.renders_done().await;
        page.click(".history-entry:nth-child(2) .history-restore").await;
        page.wait_render_after(before).await;
        assert_eq!(page.source().await, "digraph { first_diagram }");
        page.wait_for_image().await;

        page.click("#history-clear").await;
        assert_eq!(
            page.js("return [document.querySelectorAll('.history-entry').length, document.querySelector('#history-empty').hidden, localStorage.getItem('kroki-web.history')]").await,
            json!([0, false, "[]"])
        );
    })
    .await;
}

#[tokio::test]
async fn dark_mode_follows_the_toggle_and_is_remembered() {
    browser_test("dark_mode_follows_the_toggle_and_is_remembered", |page| async move {
        page.open_editor("/").await;
        let look = "return [document.documentElement.dataset.theme, document.querySelector('#theme-toggle').getAttribute('aria-pressed'), getComputedStyle(document.body).backgroundColor]";
        assert_eq!(page.js(look).await, json!(["light", "false", "rgb(244, 246, 248)"]));
        page.click("#theme-toggle").await;
        assert_eq!(page.js(look).await, json!(["dark", "true", "rgb(15, 19, 24)"]));
        page.wait_for_image().await;
        page.screenshot("editor-dark").await;

        page.reload_editor().await;
        page.wait_js("the editor", "return !!document.querySelector('.cm-content')").await;
        assert_eq!(page.js(look).await, json!(["dark", "true", "rgb(15, 19, 24)"]));
        // Error pages share the choice.
        page.open("/no/such/page/here").await;
        assert_eq!(page.js("return document.documentElement.dataset.theme").await, json!("dark"));
        page.screenshot("not-found-dark").await;

        page.open_editor("/").await;
        page.click("#theme-toggle").await;
        assert_eq!(page.js(look).await, json!(["light", "false", "rgb(244, 246, 248)"]));
    })
    .await;
}
