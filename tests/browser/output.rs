//! The result: download, share link, Kroki-URL import, image URL and embed snippets, the
//! clipboard, and zooming and panning the preview.

use crate::harness::{browser_test, escape, Page, WAIT};
use kroki_web::domain::encoding::encode;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

async fn wait_for_download(page: &Page, name: &str) -> Vec<u8> {
    let path = page.downloads.join(name);
    let started = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(&path) {
            if !bytes.is_empty() && !Path::new(&format!("{}.crdownload", path.display())).exists() {
                return bytes;
            }
        }
        let listing: Vec<_> = std::fs::read_dir(&page.downloads)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .map(|entry| entry.file_name())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            started.elapsed() < WAIT,
            "no download {name}; the folder holds {listing:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn grant_clipboard(page: &Page) {
    page.cdp(
        "Browser.grantPermissions",
        json!({"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"], "origin": page.app.address}),
    )
    .await;
}

async fn clipboard_text(page: &Page) -> String {
    page.client
        .execute_async(
            "const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, (e) => done('refused: ' + e));",
            vec![],
        )
        .await
        .expect("the clipboard can be read")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn download_saves_a_file_named_for_the_type_and_format() {
    browser_test(
        "download_saves_a_file_named_for_the_type_and_format",
        |page| async move {
            page.open_editor("/?type=graphviz").await;
            page.wait_for_image().await;
            page.click("#download").await;
            let svg = wait_for_download(&page, "graphviz-diagram.svg").await;
            assert!(String::from_utf8_lossy(&svg).contains("<svg"));

            let before = page.renders_done().await;
            page.select("#format", "png").await;
            page.wait_render_after(before).await;
            page.wait_for_image().await;
            page.click("#download").await;
            let png = wait_for_download(&page, "graphviz-diagram.png").await;
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        },
    )
    .await;
}

#[tokio::test]
async fn a_share_link_reopens_the_same_diagram_with_or_without_javascript() {
    browser_test("a_share_link_reopens_the_same_diagram_with_or_without_javascript", |page| async move {
        grant_clipboard(&page).await;
        page.open_editor("/?type=mermaid").await;
        let before = page.renders_done().await;
        page.select("#theme", "forest").await;
        page.wait_render_after(before).await;
        let source = "graph TD\nShare --> Link & more";
        let before = page.renders_done().await;
        page.type_source(source).await;
        page.wait_render_after(before).await;
        page.wait_for_image().await;
        page.click("#share-button").await;
        page.wait_js("the copy to be confirmed", "return document.querySelector('#action-status').textContent.includes('Share link copied')").await;
        let link = page.value("#share-link").await;
        let prefix = page.url("/?type=mermaid&format=svg&theme=forest&src=");
        assert!(link.starts_with(&prefix), "{link}");
        assert_eq!(clipboard_text(&page).await, link);
        // The address bar follows the diagram, so reloading keeps it too.
        assert_eq!(page.client.current_url().await.map(|u| u.to_string()).ok(), Some(link.clone()));

        page.js("localStorage.clear()").await;
        page.client.goto(&link).await.expect("the share link opens");
        page.wait_js("the editor", "return !!document.querySelector('.cm-content')").await;
        assert_eq!(page.source().await, source);
        assert_eq!(page.value("#type").await, "mermaid");
        assert_eq!(page.value("#theme").await, "forest");
        page.wait_for_image().await;

        // Without JavaScript the same link renders on the server.
        let response = page.app.client.get(&link).send().await.expect("the link answers");
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains(&escape(source)), "the source is not in the form");
        assert!(html.contains("<img id=\"diagram\" src=\"/mermaid/svg/"), "no image");
        assert!(html.contains("?theme=forest"), "the theme is not in the image URL");
    })
    .await;
}

#[tokio::test]
async fn a_kroki_image_url_opens_for_editing() {
    browser_test("a_kroki_image_url_opens_for_editing", |page| async move {
        page.open_editor("/").await;
        let url = format!(
            "https://kroki.io/graphviz/png/{}?layout=circo",
            encode("digraph { imported -> here }")
        );
        page.find("#import-url")
            .await
            .send_keys(&url)
            .await
            .expect("pasting the URL");
        let before = page.renders_done().await;
        page.click("#import-form button[type=submit]").await;
        page.wait_render_after(before).await;
        assert_eq!(page.value("#type").await, "graphviz");
        assert_eq!(page.value("#format").await, "png");
        assert_eq!(page.source().await, "digraph { imported -> here }");
        assert_eq!(page.value("#options").await, "layout=circo");
        assert!(page
            .text("#import-message")
            .await
            .contains("Opened a Graphviz diagram"));
        page.wait_for_image().await;

        // PlantUML's own encoding, as kroki.io's PlantUML links use.
        let input = page.find("#import-url").await;
        input
            .send_keys("https://kroki.io/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000")
            .await
            .expect("pasting");
        page.click("#import-form button[type=submit]").await;
        page.wait_js(
            "the PlantUML source",
            "return document.querySelector('#type').value === 'plantuml'",
        )
        .await;
        page.wait_js(
            "the decoded source",
            "return document.querySelector('.cm-content').textContent === 'Bob -> Alice : hello'",
        )
        .await;

        // Not a diagram URL: said next to the box, nothing else changes.
        page.find("#import-url")
            .await
            .send_keys("https://example.com/nothing")
            .await
            .expect("typing");
        page.click("#import-form button[type=submit]").await;
        page.wait_js(
            "the import error",
            "return document.querySelector('#import-url').getAttribute('aria-invalid') === 'true'",
        )
        .await;
        assert!(page
            .text("#import-message")
            .await
            .contains("not a Kroki diagram URL"));
        assert_eq!(page.source().await, "Bob -> Alice : hello");
    })
    .await;
}

#[tokio::test]
async fn the_image_url_embeds_and_clipboard_copies_work() {
    browser_test("the_image_url_embeds_and_clipboard_copies_work", |page| async move {
        grant_clipboard(&page).await;
        page.open_editor("/?type=graphviz").await;
        page.wait_for_image().await;
        page.wait_js("the image URL", "return document.querySelector('#image-url').value").await;
        let image = page.value("#image-url").await;
        assert!(image.starts_with(&page.url("/graphviz/svg/e")), "{image}");
        let response = page.app.client.get(&image).send().await.expect("the image URL answers");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("image/svg+xml")
        );
        assert_eq!(page.value("#embed-markdown").await, format!("![Graphviz diagram]({image})"));
        assert_eq!(page.value("#embed-html").await, format!("<img src=\"{image}\" alt=\"Graphviz diagram\">"));
        assert_eq!(page.value("#embed-asciidoc").await, format!("image::{image}[Graphviz diagram]"));

        page.click("button[data-copy='embed-markdown']").await;
        page.wait_js("the copy", "return document.querySelector('#action-status').textContent.includes('copied')").await;
        assert_eq!(clipboard_text(&page).await, format!("![Graphviz diagram]({image})"));

        page.click("#copy-png").await;
        page.wait_js("the PNG copy", "return document.querySelector('#action-status').textContent.includes('PNG copied')").await;
        let types = page
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; navigator.clipboard.read().then((items) => done(items.flatMap((i) => i.types)), (e) => done(['refused: ' + e]));",
                vec![],
            )
            .await
            .expect("the clipboard can be read");
        assert_eq!(types, json!(["image/png"]));
    })
    .await;
}

#[tokio::test]
async fn the_preview_zooms_pans_and_fits() {
    browser_test("the_preview_zooms_pans_and_fits", |page| async move {
        page.open_editor("/?type=graphviz").await;
        page.wait_for_image().await;
        let zoom = || async { page.text("#zoom-level").await.trim_end_matches('%').parse::<f64>().unwrap_or(0.0) };
        page.click("#zoom-actual").await;
        assert_eq!(zoom().await, 100.0);
        page.click("#zoom-in").await;
        assert_eq!(zoom().await, 125.0);
        page.click("#zoom-out").await;
        page.click("#zoom-out").await;
        assert_eq!(zoom().await, 80.0);
        page.click("#zoom-fit").await;
        let expected = page
            .js("const v = document.querySelector('#viewport'); const img = document.querySelector('#preview img'); return Math.round((v.clientWidth - 32) / img.naturalWidth * 100)")
            .await;
        assert_eq!(json!(zoom().await as i64), expected);
        // Keyboard: + zooms, arrows pan.
        page.find("#viewport").await.send_keys("+").await.expect("a key");
        assert!(zoom().await > expected.as_f64().unwrap_or(0.0));
        let before = page.js("return document.querySelector('#preview').style.transform").await;
        page.find("#viewport").await.send_keys(&char::from(fantoccini::key::Key::Right).to_string()).await.expect("a key");
        assert_ne!(page.js("return document.querySelector('#preview').style.transform").await, before);
    })
    .await;
}
