//! Syntax highlighting (the grammar follows the diagram type, the colours follow the page's theme)
//! and the examples gallery (opens, filters by type, is keyboard usable and axe clean, and a picked
//! example is loaded and rendered).

use crate::accessibility::serious_violations;
use crate::harness::{browser_test, Page};
use kroki_web::domain::examples;
use serde_json::{json, Value};

/// The highlighted tokens of the editor: [text, colour] of each span that carries a class.
async fn tokens(page: &Page) -> Vec<(String, String)> {
    let value = page
        .js("return [...document.querySelectorAll('.cm-content .cm-line span[class]')].map((s) => [s.textContent, getComputedStyle(s).color])")
        .await;
    serde_json::from_value(value).unwrap_or_default()
}

async fn grammar(page: &Page) -> Value {
    page.js("return document.querySelector('.cm-content').dataset.grammar")
        .await
}

/// Waits until the editor applies the grammar `name` (grammars load on demand).
async fn wait_grammar(page: &Page, name: &str) {
    page.wait_js(
        &format!("the {name} grammar"),
        &format!("return document.querySelector('.cm-content').dataset.grammar === '{name}'"),
    )
    .await;
}

async fn choose_type(page: &Page, name: &str) {
    let before = page.renders_done().await;
    page.select("#type", name).await;
    page.wait_render_after(before).await;
}

#[tokio::test]
async fn mermaid_source_is_highlighted_in_the_colours_of_each_theme() {
    browser_test(
        "mermaid_source_is_highlighted_in_the_colours_of_each_theme",
        |page| async move {
            page.open_editor("/?type=mermaid&example=1").await;
            page.wait_for_image().await;
            wait_grammar(&page, "mermaid").await;
            let light = tokens(&page).await;
            assert!(light.len() >= 10, "few highlighted tokens: {light:?}");
            // `subgraph` is a keyword: the light palette's keyword red.
            let keyword = |list: &[(String, String)]| {
                list.iter()
                    .find(|(text, _)| text == "subgraph")
                    .map(|(_, colour)| colour.clone())
            };
            assert_eq!(
                keyword(&light).as_deref(),
                Some("rgb(207, 34, 46)"),
                "{light:?}"
            );
            page.screenshot("highlight-mermaid-light").await;
            page.click("#theme-toggle").await;
            page.wait_js(
                "the dark palette",
                "return [...document.querySelectorAll('.cm-content span[class]')].some((s) => s.textContent === 'subgraph' && getComputedStyle(s).color === 'rgb(255, 123, 114)')",
            )
            .await;
            page.screenshot("highlight-mermaid-dark").await;
            page.click("#theme-toggle").await;
            // A kind the package does not parse (a class diagram) gets the generic mode.
            page.type_source("classDiagram\nclass Order\nCustomer --> Order : places")
                .await;
            page.wait_js(
                "the class diagram's tokens",
                "const spans = [...document.querySelectorAll('.cm-content span[class]')]; return ['classDiagram', 'class', '-->', 'places'].every((t) => spans.some((s) => s.textContent === t))",
            )
            .await;
            page.screenshot("highlight-mermaid-class").await;
        },
    )
    .await;
}

#[tokio::test]
async fn the_grammar_switches_with_the_diagram_type() {
    browser_test(
        "the_grammar_switches_with_the_diagram_type",
        |page| async move {
            page.open_editor("/?type=mermaid&example=1").await;
            for (kind, expected, word) in [
                ("graphviz", "dot", "digraph"),
                ("plantuml", "plantuml", "@startuml"),
                ("d2", "d2", "direction"),
                ("seqdiag", "blockdiag", "seqdiag"),
                ("vegalite", "json", "\"$schema\""),
                ("bpmn", "xml", "definitions"),
                ("wireviz", "yaml", "connectors"),
                ("tikz", "stex", "\\documentclass"),
            ] {
                choose_type(&page, kind).await;
                wait_grammar(&page, expected).await;
                let list = tokens(&page).await;
                assert!(
                    list.iter().any(|(text, _)| text.contains(word)),
                    "{kind}: {word} is not a highlighted token: {list:?}"
                );
            }
            page.screenshot("highlight-d2-tikz").await;
            // A type without a grammar is plain text: no highlighted token at all.
            choose_type(&page, "ditaa").await;
            wait_grammar(&page, "none").await;
            assert_eq!(grammar(&page).await, json!("none"));
            assert_eq!(tokens(&page).await, Vec::<(String, String)>::new());
        },
    )
    .await;
}

async fn open_gallery(page: &Page) {
    page.click("#gallery-button").await;
    page.wait_js(
        "the gallery's examples",
        "return document.querySelector('#gallery').open && document.querySelectorAll('#gallery-grid .gallery-item').length > 0",
    )
    .await;
}

async fn gallery_items(page: &Page) -> Vec<(String, String)> {
    let value = page
        .js("return [...document.querySelectorAll('#gallery-grid .gallery-item')].map((b) => [b.dataset.type, b.dataset.name])")
        .await;
    serde_json::from_value(value).unwrap_or_default()
}

#[tokio::test]
async fn the_gallery_opens_on_the_types_examples_and_loads_the_one_picked() {
    browser_test(
        "the_gallery_opens_on_the_types_examples_and_loads_the_one_picked",
        |page| async move {
            page.open_editor("/?type=mermaid&example=1").await;
            page.wait_for_image().await;
            open_gallery(&page).await;
            // It starts on the editor's type, with focus on the filter.
            assert_eq!(page.value("#gallery-type").await, "mermaid");
            assert_eq!(
                page.js("return document.activeElement.id").await,
                json!("gallery-type")
            );
            let items = gallery_items(&page).await;
            let mermaid: Vec<_> = examples::all()
                .iter()
                .filter(|e| e.kind == "mermaid")
                .map(|e| ("mermaid".to_owned(), e.name.to_owned()))
                .collect();
            assert_eq!(items, mermaid);
            // Thumbnails are the app's own GET URLs, and they load.
            page.wait_js(
                "the thumbnails",
                "const imgs = [...document.querySelectorAll('#gallery-grid img')].slice(0, 3); return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0)",
            )
            .await;
            let first = page
                .js("return new URL(document.querySelector('#gallery-grid img').src).pathname")
                .await;
            assert!(
                first.as_str().is_some_and(|p| p.starts_with("/mermaid/svg/")),
                "{first}"
            );
            page.screenshot("gallery-mermaid").await;
            let violations = serious_violations(&page).await;
            assert!(violations.is_empty(), "axe, gallery open: {violations:#?}");
            // The page behind the modal dialog is inert: switch the theme from a script.
            page.js("document.getElementById('theme-toggle').click()").await;
            page.wait_js("dark mode", "return document.documentElement.dataset.theme === 'dark'").await;
            page.screenshot("gallery-mermaid-dark").await;
            let violations = serious_violations(&page).await;
            assert!(violations.is_empty(), "axe, gallery open, dark: {violations:#?}");
            page.js("document.getElementById('theme-toggle').click()").await;

            // Pick the sequence diagram: the dialog closes, the source is loaded and rendered.
            let before = page.renders_done().await;
            page.click("#gallery-grid .gallery-item[data-name='sequence']")
                .await;
            page.wait_render_after(before).await;
            assert_eq!(page.js("return document.querySelector('#gallery').open").await, json!(false));
            let sequence = examples::all()
                .iter()
                .find(|e| e.kind == "mermaid" && e.name == "sequence")
                .map(|e| e.source)
                .unwrap_or_default();
            assert_eq!(page.source().await, sequence);
            assert!(page
                .app
                .render_sources()
                .iter()
                .any(|sent| sent.contains("sequenceDiagram")));
            page.wait_for_image().await;
            page.screenshot("gallery-picked-sequence").await;

            // Another type's example: the filter, then a pick; the type and grammar follow.
            open_gallery(&page).await;
            page.select("#gallery-type", "plantuml").await;
            let items = gallery_items(&page).await;
            assert!(items.iter().all(|(kind, _)| kind == "plantuml"), "{items:?}");
            assert_eq!(items.len(), 8);
            let before = page.renders_done().await;
            page.click("#gallery-grid .gallery-item[data-name='usecase']")
                .await;
            page.wait_render_after(before).await;
            assert_eq!(page.value("#type").await, "plantuml");
            wait_grammar(&page, "plantuml").await;
            assert!(page.source().await.contains("usecase \"Place order\""));
            assert_eq!(page.csp_violations().await, Vec::<String>::new());
        },
    )
    .await;
}

#[tokio::test]
async fn the_gallery_works_from_the_keyboard() {
    browser_test("the_gallery_works_from_the_keyboard", |page| async move {
        use fantoccini::key::Key;
        let key = |k: Key| char::from(k).to_string();
        page.open_editor("/?type=d2&example=1").await;
        let button = page.find("#gallery-button").await;
        button.send_keys(&key(Key::Enter)).await.ok();
        page.wait_js(
            "the gallery",
            "return document.querySelector('#gallery').open && document.querySelectorAll('#gallery-grid .gallery-item').length === 5",
        )
        .await;
        // Escape closes it and gives focus back to the button.
        let filter = page.find("#gallery-type").await;
        filter.send_keys(&key(Key::Escape)).await.ok();
        page.wait_js(
            "the gallery to close",
            "return !document.querySelector('#gallery').open && document.activeElement.id === 'gallery-button'",
        )
        .await;
        // Open again, Tab to an example, Enter loads it.
        button.send_keys(&key(Key::Enter)).await.ok();
        page.wait_js("the gallery", "return document.querySelector('#gallery').open")
            .await;
        // From the filter, Tab passes the close button and the first example to the second.
        for _ in 0..3 {
            let focused = page.client.active_element().await.expect("a focused element");
            focused.send_keys(&key(Key::Tab)).await.ok();
        }
        let focused = page
            .js("const e = document.activeElement; return [e.className, e.dataset.name || null]")
            .await;
        assert_eq!(focused, json!(["gallery-item", "shapes"]));
        let before = page.renders_done().await;
        let focused = page.client.active_element().await.expect("a focused element");
        focused.send_keys(&key(Key::Enter)).await.ok();
        page.wait_render_after(before).await;
        assert_eq!(page.js("return document.querySelector('#gallery').open").await, json!(false));
        let shapes = examples::all()
            .iter()
            .find(|e| e.kind == "d2" && e.name == "shapes")
            .map(|e| e.source)
            .unwrap_or_default();
        assert_eq!(page.source().await, shapes);
    })
    .await;
}

#[tokio::test]
async fn the_api_page_with_its_examples_has_no_serious_violations() {
    browser_test(
        "the_api_page_with_its_examples_has_no_serious_violations",
        |page| async move {
            page.open("/api/docs").await;
            page.find("pre.example-request").await;
            let violations = serious_violations(&page).await;
            assert!(violations.is_empty(), "axe, /api/docs: {violations:#?}");
            page.js("document.querySelector('#post--api-generate').scrollIntoView()")
                .await;
            page.screenshot("api-docs-generate").await;
        },
    )
    .await;
}

/// The script chunks (`/static/editor-*.js`) the page has fetched so far.
const CHUNKS: &str = "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => /^\\/static\\/editor-.*\\.js$/.test(p))";

/// The chunks once there are more than `count`: Chromium adds a module's resource timing entry
/// when its load is reported finished, which can come after the module has run.
async fn chunks_beyond(page: &Page, count: usize) -> Vec<String> {
    let value = page
        .wait_js(
            &format!("more than {count} script chunks"),
            &format!("const chunks = {CHUNKS}; return chunks.length > {count} ? chunks : null"),
        )
        .await;
    serde_json::from_value(value).unwrap_or_default()
}

#[tokio::test]
async fn grammars_load_only_when_a_type_needs_them() {
    browser_test(
        "grammars_load_only_when_a_type_needs_them",
        |page| async move {
            page.open_editor("/?type=ditaa&example=1").await;
            let before = chunks_beyond(&page, 0).await;
            // Only what the page itself needs (CodeMirror's shared chunk), no grammar.
            assert_eq!(before.len(), 1, "{before:?}");
            choose_type(&page, "mermaid").await;
            wait_grammar(&page, "mermaid").await;
            let after = chunks_beyond(&page, before.len()).await;
            assert!(after.len() > before.len(), "{after:?}");
            // Served immutable: the chunk's name carries esbuild's content hash.
            let cache = page
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then((r) => done(r.headers.get('cache-control')), (e) => done(String(e)));",
                    vec![json!(after.last().cloned().unwrap_or_default())],
                )
                .await
                .expect("the chunk is fetched");
            assert_eq!(cache, json!("public, max-age=31536000, immutable"));
        },
    )
    .await;
}

#[tokio::test]
async fn the_gallery_fits_a_phone() {
    browser_test("the_gallery_fits_a_phone", |page| async move {
        page.emulate_phone().await;
        page.open_editor("/?type=plantuml&example=1").await;
        open_gallery(&page).await;
        let widths = page
            .js("const d = document.querySelector('#gallery'); return [d.getBoundingClientRect().right, d.scrollWidth, d.clientWidth, window.innerWidth]")
            .await;
        let number = |i: usize| widths[i].as_f64().unwrap_or(f64::MAX);
        assert!(number(0) <= number(3), "the dialog overflows: {widths}");
        assert!(number(1) <= number(2), "the dialog scrolls sideways: {widths}");
        page.screenshot("gallery-phone").await;
        let violations = serious_violations(&page).await;
        assert!(violations.is_empty(), "axe, gallery on a phone: {violations:#?}");
    })
    .await;
}
