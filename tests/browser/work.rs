//! Issue 14: large diagrams get links that work, history keeps distinct diagrams, outages
//! clear, errors fit the page and say what happened, and a layout for work (divider, full
//! screen, actions in view, phone tabs). Each state is screenshotted and checked with axe.

use crate::accessibility::serious_violations;
use crate::harness::{browser_test, browser_test_with, Options, Page};
use serde_json::json;

/// About 40 KB of text that compresses poorly (a fixed pseudo-random sequence), as PlantUML.
fn large_source() -> String {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut source = String::from("@startuml\n");
    let mut line = 0;
    while source.len() < 40_000 {
        source.push_str(&format!("note \"{line}: "));
        for _ in 0..60 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            source.push(char::from(b'a' + (state % 26) as u8));
        }
        source.push_str("\" as N\n");
        line += 1;
    }
    source.push_str("@enduml");
    source
}

async fn assert_accessible(page: &Page, state: &str) {
    let violations = serious_violations(page).await;
    assert!(
        violations.is_empty(),
        "axe-core violations in {state}: {violations:#?}"
    );
}

async fn history_sources(page: &Page) -> Vec<(String, String)> {
    let value = page
        .js("return JSON.parse(localStorage.getItem('kroki-web.history') || '[]').map((e) => [e.type, e.source])")
        .await;
    serde_json::from_value(value).unwrap_or_default()
}

/// Defect 1: past MAX_URI_LENGTH the share link carries the state in the fragment (and opens
/// it), the address bar follows, and no image URL that would answer 414 is handed out.
#[tokio::test]
async fn large_diagrams_get_links_that_work() {
    browser_test("large_diagrams_get_links_that_work", |page| async move {
        page.open_editor("/").await;
        let short = "@startuml\nshort -> link\n@enduml";
        let before = page.renders_done().await;
        page.type_source(short).await;
        page.wait_render_after(before).await;
        page.wait_js(
            "the short share link",
            "return document.querySelector('#share-link').value.includes('/?type=plantuml')",
        )
        .await;
        assert!(page.js("return location.search").await.as_str().unwrap_or_default().contains("src="));
        assert!(!page.value("#image-url").await.is_empty());

        let source = large_source();
        let before = page.renders_done().await;
        page.paste_source(&source).await;
        page.wait_render_after(before).await;
        page.wait_for_image().await;
        let share = page
            .wait_js(
                "a fragment share link",
                "const v = document.querySelector('#share-link').value; return v.includes('/#type=') ? v : ''",
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(share.starts_with(&page.url("/#type=plantuml")), "{}", &share[..80.min(share.len())]);
        assert!(share.len() > 16_384, "the link is {} characters", share.len());
        assert_eq!(
            page.js("return location.href").await,
            json!(share),
            "the address bar does not follow the diagram"
        );
        assert_eq!(page.value("#image-url").await, "", "an image URL that cannot work");
        assert_eq!(page.value("#embed-markdown").await, "");
        assert!(page.find("#link-note").await.is_displayed().await.unwrap_or(false));
        assert!(page.text("#link-note-text").await.contains("too large for an image URL"));
        let curl = page.value("#curl-command").await;
        assert!(
            curl.starts_with("curl ") && curl.contains(&page.url("/plantuml/svg")),
            "{curl}"
        );
        page.js("window.scrollTo({ top: document.querySelector('.share-card').getBoundingClientRect().top + scrollY - 16, behavior: 'instant' })").await;
        page.screenshot("large-diagram-links").await;
        assert_accessible(&page, "the large diagram's links").await;

        // The link opens the large diagram (in a browser with no history of it).
        page.js("localStorage.clear()").await;
        page.client.goto("about:blank").await.expect("a blank page");
        page.client.goto(&share).await.expect("the share link opens");
        let opened = page
            .wait_js(
                "the linked diagram to render and be saved",
                "const h = JSON.parse(localStorage.getItem('kroki-web.history') || '[]'); return h.length ? h[0].source.length : null",
            )
            .await;
        assert_eq!(opened.as_u64(), Some(source.len() as u64));
        assert!(
            page.app.render_sources().iter().any(|body| body.len() > 40_000),
            "the large source never reached Kroki"
        );
        // A reload keeps the large diagram: the address is its link, not an older one.
        assert_eq!(page.js("return location.href").await, json!(share));
    })
    .await;
}

/// Defect 5: distinct diagrams are distinct history entries; edits of one update its entry.
#[tokio::test]
async fn history_keeps_each_diagram() {
    browser_test("history_keeps_each_diagram", |page| async move {
        page.open_editor("/").await;
        for text in [
            "@startuml\nAlice -> Bob : first diagram\n@enduml",
            "@startuml\nCarol -> Dave : second diagram\n@enduml",
        ] {
            let before = page.renders_done().await;
            page.type_source(text).await;
            page.wait_render_after(before).await;
            page.wait_for_image().await;
        }
        let before = page.renders_done().await;
        page.select("#type", "graphviz").await;
        page.wait_render_after(before).await;
        let entries = history_sources(&page).await;
        assert_eq!(
            entries.len(),
            3,
            "two diagrams and a type switch make three entries: {entries:?}"
        );
        // Editing the current diagram updates its entry instead of adding one.
        let before = page.renders_done().await;
        let editor = page.find(".cm-content").await;
        editor
            .send_keys(&format!("{}{}", char::from(fantoccini::key::Key::End), "\n"))
            .await
            .expect("typing");
        editor.send_keys("// edited").await.expect("typing");
        page.wait_render_after(before).await;
        page.wait_js(
            "the edit saved",
            "return JSON.parse(localStorage.getItem('kroki-web.history'))[0].source.includes('// edited')",
        )
        .await;
        let entries = history_sources(&page).await;
        assert_eq!(entries.len(), 3, "an edit added an entry: {entries:?}");
        assert_eq!(entries[0].0, "graphviz");
        assert!(entries[1].1.contains("second diagram") && entries[1].0 == "plantuml");
        assert!(entries[2].1.contains("first diagram"));
        page.screenshot("history-entries").await;
    })
    .await;
}

/// Defect 4: the outage banner clears once Kroki answers, and the editor never shows Kroki's
/// internal address.
#[tokio::test]
async fn the_outage_banner_clears_when_kroki_is_back() {
    browser_test(
        "the_outage_banner_clears_when_kroki_is_back",
        |page| async move {
            page.app.kroki.stop().await;
            page.open_editor("/").await;
            assert!(page
                .find(".notice.outage")
                .await
                .is_displayed()
                .await
                .unwrap_or(false));
            let shown = page.text("#error-panel").await;
            assert!(!shown.contains(&page.app.kroki.url()), "{shown}");
            assert!(!shown.contains("os error"), "{shown}");
            assert!(shown.contains("request id"), "{shown}");
            page.app.kroki.restart().await.expect("Kroki restarts");
            let before = page.renders_done().await;
            page.type_source("@startuml\nKroki -> Back\n@enduml").await;
            page.wait_render_after(before).await;
            page.wait_for_image().await;
            assert_eq!(
                page.js("return document.querySelectorAll('.notice.outage').length")
                    .await,
                json!(0),
                "the outage banner stays after a good render"
            );
        },
    )
    .await;
}

/// Defect 6: a refused import's message (with its long example URL) wraps instead of
/// widening the page, on a desktop and on a phone.
#[tokio::test]
async fn a_refused_import_keeps_the_page_width() {
    browser_test("a_refused_import_keeps_the_page_width", |page| async move {
        for phone in [false, true] {
            if phone {
                page.emulate_phone().await;
            }
            page.open_editor("/").await;
            let input = page.find("#import-url").await;
            input.send_keys("https://example.com/just/a/page").await.expect("typing");
            page.click("#import-form button[type=submit]").await;
            page.wait_js(
                "the import's message",
                "return document.querySelector('#import-message').textContent.includes('https://kroki.io/plantuml/svg/')",
            )
            .await;
            let widths = page
                .js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                .await;
            assert!(
                widths[0].as_i64() <= widths[1].as_i64(),
                "the page scrolls sideways (phone: {phone}): {widths}"
            );
        }
        page.screenshot("import-refused-phone").await;
        // An unknown type is named as such, not called "not a Kroki URL".
        let input = page.find("#import-url").await;
        input.clear().await.expect("clearing");
        input
            .send_keys("https://kroki.io/nosuchtype/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY")
            .await
            .expect("typing");
        page.click("#import-form button[type=submit]").await;
        let message = page
            .wait_js(
                "the unknown type's message",
                "const t = document.querySelector('#import-message').textContent; return t.includes('nosuchtype') ? t : ''",
            )
            .await;
        assert!(!message.as_str().unwrap_or_default().contains("not a Kroki"), "{message}");
        assert_accessible(&page, "a refused import on a phone").await;
    })
    .await;
}

/// Defect 7: what changes or fails says so: a format fallback, an invalid options line, a
/// stale preview with live preview off, Download of an older diagram.
#[tokio::test]
async fn changes_and_failures_are_said_where_they_happen() {
    browser_test("changes_and_failures_are_said_where_they_happen", |page| async move {
        page.open_editor("/").await;
        page.wait_for_image().await;
        // PlantUML as PNG, then D2 (SVG only): the fallback is said.
        let before = page.renders_done().await;
        page.select("#format", "png").await;
        page.wait_render_after(before).await;
        let before = page.renders_done().await;
        page.select("#type", "d2").await;
        page.wait_render_after(before).await;
        assert_eq!(page.value("#format").await, "svg");
        assert!(
            page.text("#notices").await.contains("D2 cannot be rendered as PNG; showing SVG instead"),
            "no notice of the format change"
        );

        // An invalid options line: the error shows beside the options, the status says so.
        page.click(".more-options summary").await;
        page.find("#options").await.send_keys("nonsense").await.expect("typing");
        page.wait_js(
            "the options error",
            "const e = document.querySelector('#options-error'); return !e.hidden && e.textContent.includes('line 1')",
        )
        .await;
        assert!(!page.text("#status").await.contains("Rendered"), "the status still says Rendered");
        assert!(page.find("#options-error").await.is_displayed().await.unwrap_or(false));
        page.screenshot("options-error").await;
        assert_accessible(&page, "an invalid options line").await;
        let options = page.find("#options").await;
        options.clear().await.expect("clearing");
        let before = page.renders_done().await;
        page.press_render_shortcut().await;
        page.wait_render_after(before).await;
        assert!(!page.find("#options-error").await.is_displayed().await.unwrap_or(true));

        // Live preview off: an edit marks the diagram stale until Render.
        page.click("#live").await;
        let before = page.renders_done().await;
        page.type_source("x -> y: changed").await;
        page.wait_js("the stale mark", "return document.querySelector('#viewport').classList.contains('is-stale')").await;
        assert!(page.text("#status").await.contains("press Render"));
        assert_eq!(page.renders_done().await, before, "rendered with live preview off");
        page.click("#render-button").await;
        page.wait_render_after(before).await;
        assert!(!page.js("return document.querySelector('#viewport').classList.contains('is-stale')").await.as_bool().unwrap_or(true));

        // An error: Download says it saves the previous diagram.
        let before = page.renders_done().await;
        page.type_source("SYNTAX_ERROR").await;
        page.click("#render-button").await;
        page.wait_render_after(before).await;
        page.wait_js("the error", "return !!document.querySelector('#error-panel .error-box')").await;
        assert_eq!(page.text("#download").await, "Download previous");
    })
    .await;
}

/// Feature 9: the actions in view at 1366x768, a divider (keys and drag, remembered), a full
/// screen view that Esc leaves.
#[tokio::test]
async fn the_layout_keeps_the_work_in_view() {
    let options = Options {
        height: 768,
        ..Options::default()
    };
    browser_test_with("the_layout_keeps_the_work_in_view", options, |page| async move {
        page.open_editor("/").await;
        page.wait_for_image().await;
        // A long source must not push the actions out of the window.
        let long: String = (0..80).map(|i| format!("A{i} -> B{i}\n")).collect();
        let before = page.renders_done().await;
        page.paste_source(&format!("@startuml\n{long}@enduml")).await;
        page.wait_render_after(before).await;
        let out_of_view = page
            .js("return ['#render-button', '#download', '#copy-png', '#share-button'].filter((s) => { const r = document.querySelector(s).getBoundingClientRect(); return !(r.height > 0 && r.top >= 0 && r.bottom <= innerHeight); })")
            .await;
        assert_eq!(out_of_view, json!([]), "actions below the fold at 1366x{}", page.js("return innerHeight").await);
        page.screenshot("layout-1366x768").await;

        // The divider: keys move it, the split is remembered across a reload.
        let width = |side: &str| format!("return document.querySelector('{side}').getBoundingClientRect().width");
        let source_before = page.js(&width(".source-pane")).await.as_f64().unwrap_or_default();
        page.find("#divider").await.send_keys(&format!("{}{}", char::from(fantoccini::key::Key::Right), char::from(fantoccini::key::Key::Right))).await.expect("keys");
        let source_after = page.js(&width(".source-pane")).await.as_f64().unwrap_or_default();
        assert!(source_after > source_before + 50.0, "{source_before} -> {source_after}");
        assert_eq!(page.js("return localStorage.getItem('kroki-web.split')").await, json!("60"));
        assert_eq!(page.js("return document.querySelector('#divider').getAttribute('aria-valuenow')").await, json!("60"));
        // A pointer drag to 30 %.
        page.js("const d = document.querySelector('#divider'); const w = document.querySelector('.workspace').getBoundingClientRect(); const at = (x) => ({ pointerId: 1, button: 0, clientX: x, clientY: w.top + 100, bubbles: true }); d.dispatchEvent(new PointerEvent('pointerdown', at(w.left + w.width / 2))); d.dispatchEvent(new PointerEvent('pointermove', at(w.left + w.width * 0.3))); d.dispatchEvent(new PointerEvent('pointerup', at(w.left + w.width * 0.3)));").await;
        assert_eq!(page.js("return localStorage.getItem('kroki-web.split')").await, json!("30"));
        page.reload_editor().await;
        assert_eq!(page.js("return document.querySelector('#divider').getAttribute('aria-valuenow')").await, json!("30"));
        page.screenshot("layout-divider-30").await;
        assert_accessible(&page, "the divider moved").await;

        // Full screen, then Esc.
        page.click("#fullscreen").await;
        let covered = page.js("const r = document.querySelector('.result-pane').getBoundingClientRect(); return r.left <= 0 && r.top <= 0 && r.width >= innerWidth && r.height >= innerHeight").await;
        assert_eq!(covered, json!(true), "the diagram does not fill the window");
        assert_eq!(page.js("return document.querySelector('#fullscreen').getAttribute('aria-pressed')").await, json!("true"));
        page.screenshot("layout-fullscreen").await;
        assert_accessible(&page, "full screen").await;
        page.find("#viewport").await.send_keys(&char::from(fantoccini::key::Key::Escape).to_string()).await.expect("Esc");
        assert_eq!(page.js("return document.querySelector('.result-pane').classList.contains('is-fullscreen')").await, json!(false), "Esc does not leave full screen");
    })
    .await;
}

/// Feature 9 on a phone: Source and Diagram tabs put the diagram in view without scrolling
/// past the editor; Render shows it.
#[tokio::test]
async fn on_a_phone_the_diagram_is_a_tap_away() {
    browser_test("on_a_phone_the_diagram_is_a_tap_away", |page| async move {
        page.emulate_phone().await;
        page.open_editor("/").await;
        page.wait_for_image().await;
        assert!(page.find("[data-show-pane=diagram]").await.is_displayed().await.unwrap_or(false));
        page.click("[data-show-pane=diagram]").await;
        let top = page
            .js("const r = document.querySelector('#viewport').getBoundingClientRect(); return r.height > 100 && r.top < innerHeight ? r.top : null")
            .await;
        assert!(top.is_number(), "the diagram is not in view: {top}");
        page.screenshot("phone-diagram-tab").await;
        assert_accessible(&page, "the phone's diagram tab").await;
        page.click("[data-show-pane=source]").await;
        assert!(page.find(".cm-content").await.is_displayed().await.unwrap_or(false));
        page.click("#render-button").await;
        page.wait_js("the diagram tab after Render", "return document.querySelector('.workspace').dataset.pane === 'diagram'").await;
        let widths = page.js("return [document.documentElement.scrollWidth, innerWidth]").await;
        assert!(widths[0].as_i64() <= widths[1].as_i64(), "{widths}");
        page.click("#theme-toggle").await;
        page.screenshot("phone-diagram-tab-dark").await;
        assert_accessible(&page, "the phone's diagram tab, dark").await;
    })
    .await;
}

/// Defect 4: Copy PNG says the PNG render failed (Kroki down) rather than blaming the browser.
#[tokio::test]
async fn copy_png_tells_a_failed_render_from_a_refused_copy() {
    browser_test("copy_png_tells_a_failed_render_from_a_refused_copy", |page| async move {
        page.open_editor("/").await;
        page.wait_for_image().await;
        page.app.kroki.stop().await;
        page.click("#copy-png").await;
        let said = page
            .wait_js(
                "Copy PNG's answer",
                "const t = document.querySelector('#action-status').textContent; return /PNG|browser/.test(t) ? t : ''",
            )
            .await;
        let said = said.as_str().unwrap_or_default();
        assert!(said.contains("The PNG could not be rendered (502 kroki_unreachable)"), "{said}");
        assert!(!said.contains("browser refused"), "{said}");
        assert!(!said.contains(&page.app.kroki.url()), "{said}");
    })
    .await;
}
