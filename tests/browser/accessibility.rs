//! Look and feel: axe-core finds no critical or serious violation in the main states, the page
//! fits a phone, the Content-Security-Policy is never violated, error pages carry their status.

use crate::harness::{browser_test, spawn_app, Page};
use serde_json::{json, Value};

const AXE: &str = include_str!("vendor/axe.min.js");

/// Runs axe-core in the page; returns the critical and serious violations, described.
pub async fn serious_violations(page: &Page) -> Vec<String> {
    page.js(&format!("{AXE}\n;return true;")).await;
    let result = page
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(
               (r) => done(r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
                 .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)),
               (e) => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe runs");
    serde_json::from_value(result).unwrap_or_else(|_| vec!["axe gave no result".to_owned()])
}

#[tokio::test]
async fn axe_finds_no_serious_violations_in_the_main_states() {
    browser_test(
        "axe_finds_no_serious_violations_in_the_main_states",
        |page| async move {
            let mut found: Vec<(String, Vec<String>)> = Vec::new();
            page.open_editor("/").await;
            page.wait_for_image().await;
            found.push(("editor".into(), serious_violations(&page).await));

            let before = page.renders_done().await;
            page.type_source("@startuml\nSYNTAX_ERROR\n@enduml").await;
            page.wait_render_after(before).await;
            found.push((
                "editor with an error".into(),
                serious_violations(&page).await,
            ));

            page.click("#theme-toggle").await;
            found.push(("editor, dark".into(), serious_violations(&page).await));
            page.open_editor("/?type=mermaid&example=1").await;
            page.wait_for_image().await;
            found.push((
                "mermaid editor, dark".into(),
                serious_violations(&page).await,
            ));
            page.click("#theme-toggle").await;

            page.open("/no/such/page/here").await;
            found.push(("404 page".into(), serious_violations(&page).await));
            page.emulate_phone().await;
            page.open_editor("/?type=graphviz").await;
            found.push(("editor on a phone".into(), serious_violations(&page).await));

            let failures: Vec<_> = found
                .into_iter()
                .filter(|(_, violations)| !violations.is_empty())
                .collect();
            assert!(failures.is_empty(), "axe-core violations: {failures:#?}");
            assert_eq!(page.csp_violations().await, Vec::<String>::new());
        },
    )
    .await;
}

#[tokio::test]
async fn the_editor_fits_a_phone_and_never_violates_its_policy() {
    browser_test(
        "the_editor_fits_a_phone_and_never_violates_its_policy",
        |page| async move {
            page.emulate_phone().await;
            page.open_editor("/").await;
            page.wait_for_image().await;
            let widths = page
                .js("return [document.documentElement.scrollWidth, window.innerWidth]")
                .await;
            assert!(
                widths[0].as_i64() <= widths[1].as_i64(),
                "the page scrolls sideways: {widths}"
            );
            page.screenshot("editor-phone").await;
            // CodeMirror's own styles were applied under the policy (they carry the page's nonce).
            assert_eq!(
                page.js("return getComputedStyle(document.querySelector('.cm-scroller')).display")
                    .await,
                json!("flex")
            );
            page.select("#type", "graphviz").await;
            page.wait_for_image().await;
            page.js("window.scrollTo(0, document.body.scrollHeight)")
                .await;
            page.screenshot("editor-phone-bottom").await;
            assert_eq!(page.csp_violations().await, Vec::<String>::new());
        },
    )
    .await;
}

#[tokio::test]
async fn the_keyboard_reaches_every_control() {
    browser_test("the_keyboard_reaches_every_control", |page| async move {
        page.open_editor("/").await;
        // Tab from the top: the skip link first, then on through the form.
        let mut visited: Vec<Value> = Vec::new();
        page.js("document.activeElement.blur(); window.focus();")
            .await;
        let body = page.find("body").await;
        for _ in 0..30 {
            body.send_keys(&char::from(fantoccini::key::Key::Tab).to_string())
                .await
                .ok();
            visited.push(
                page.js(
                    "const e = document.activeElement; return e.id || e.className || e.tagName",
                )
                .await,
            );
        }
        let visited: Vec<String> = visited
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            visited.first().map(String::as_str),
            Some("skip-link"),
            "{visited:?}"
        );
        for id in [
            "theme-toggle",
            "type-search",
            "type",
            "format",
            "theme",
            "cm-content",
        ] {
            assert!(
                visited.iter().any(|v| v.contains(id)),
                "{id} not reached by Tab: {visited:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn error_pages_carry_their_status() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/page/here"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap_or_default()
        .contains("Page not found"));
    let asset = app
        .client
        .get(app.url("/static/editor.0000000000000000.js"))
        .send()
        .await
        .expect("answers");
    assert_eq!(asset.status(), 404);
}
