//! A diagram that carries script, opened directly from this app, runs nothing: SVG is a
//! document of its own, and Kroki renders what users wrote. The stand-in's raw-SVG hook serves
//! an SVG with a `<script>`, an `onload` handler and an `<image onerror>`, each of which would
//! call a loopback listener and change the page title. As a control, the same SVG served
//! without the app's headers (by the listener itself) does run, so the test can fail.

use crate::harness::{browser_test, Page};
use kroki_web::domain::encoding::encode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn hostile_svg(beacon: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" onload="fetch('{beacon}/onload'); document.title = 'ran';">
<script>new Image().src = '{beacon}/script'; document.title = 'ran';</script>
<image href="missing.png" width="1" height="1" onerror="fetch('{beacon}/onerror')"/>
<rect width="120" height="40" fill="teal"/>
</svg>"#
    )
}

/// A loopback listener that counts the beacon requests it gets, and serves `/control.svg`
/// (the hostile SVG, without any protective header).
async fn beacon_listener(svg_for: impl Fn(&str) -> String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let svg = svg_for(&base);
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut request = vec![0u8; 4096];
            let n = stream.read(&mut request).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..n]).into_owned();
            let response = if head.starts_with("GET /control.svg ") {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/svg+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{svg}",
                    svg.len()
                )
            } else {
                counted.fetch_add(1, Ordering::SeqCst);
                "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    (base, hits)
}

async fn title(page: &Page) -> String {
    page.js("return document.title")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_svg_with_script_opened_directly_runs_nothing() {
    browser_test(
        "an_svg_with_script_opened_directly_runs_nothing",
        |page| async move {
            let (beacon, hits) = beacon_listener(hostile_svg).await;
            let source = format!("STANDIN_RAW_SVG\n{}", hostile_svg(&beacon));
            let path = format!("/graphviz/svg/{}", encode(&source));

            let response = reqwest::get(page.url(&path)).await.unwrap();
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                csp.contains("sandbox") && csp.contains("default-src 'none'"),
                "{csp}"
            );
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert!(
                response.text().await.unwrap().contains("<script>"),
                "the SVG came through as is"
            );

            page.open(&path).await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                hits.load(Ordering::SeqCst),
                0,
                "a script or handler reached the beacon"
            );
            assert_ne!(title(&page).await, "ran");

            // Control: the same document without the app's headers runs its script and handlers.
            page.client
                .goto(&format!("{beacon}/control.svg"))
                .await
                .unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while hits.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                hits.load(Ordering::SeqCst) > 0,
                "the control SVG's script did not run"
            );
            assert_eq!(title(&page).await, "ran");
        },
    )
    .await;
}
