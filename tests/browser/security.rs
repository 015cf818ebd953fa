//! A diagram that carries script, opened directly from this app, runs nothing: SVG is a
//! document of its own, and Kroki renders what users wrote. The stand-in's raw-SVG hook serves
//! an SVG with a `<script>`, an `onload` handler, an `onclick` handler (the test clicks) and an
//! `<image onerror>`, each of which would call a loopback listener (its own path) and change
//! the page title or a DOM attribute. As a control, the same SVG served without the app's
//! headers (by the listener itself) runs every one of them, so the test can fail.

use crate::harness::{browser_test, Page};
use kroki_web::domain::encoding::encode;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn hostile_svg(beacon: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" onload="fetch('{beacon}/onload'); document.title = 'ran';">
<script>new Image().src = '{beacon}/script'; document.title = 'ran'; document.documentElement.setAttribute('data-ran', 'script');</script>
<image href="missing.png" width="1" height="1" onerror="fetch('{beacon}/onerror')"/>
<rect id="target" width="120" height="40" fill="teal" onclick="fetch('{beacon}/onclick'); this.setAttribute('data-clicked', 'ran');"/>
</svg>"#
    )
}

/// The paths the beacon listener was asked for (other than `/control.svg`).
type Hits = Arc<Mutex<Vec<String>>>;

/// A loopback listener that records the beacon requests it gets, and serves `/control.svg`
/// (the hostile SVG, without any protective header).
async fn beacon_listener(svg_for: impl Fn(&str) -> String) -> (String, Hits) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let svg = svg_for(&base);
    let hits: Hits = Arc::default();
    let recorded = hits.clone();
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
                let path = head.split_whitespace().nth(1).unwrap_or_default();
                recorded.lock().unwrap().push(path.to_owned());
                "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    (base, hits)
}

fn hits_of(hits: &Hits) -> Vec<String> {
    hits.lock().unwrap().clone()
}

/// What the payload would have changed: the title and two attributes.
async fn effects(page: &Page) -> serde_json::Value {
    page.js(
        "return [document.title, document.documentElement.getAttribute('data-ran'), \
         document.getElementById('target').getAttribute('data-clicked')]",
    )
    .await
}

/// Clicks the payload's `<rect onclick>` as a user would.
async fn click_target(page: &Page) {
    page.click("#target").await;
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
            assert_eq!(response.headers()["content-type"], "image/svg+xml");
            assert!(
                response.text().await.unwrap().contains("<script>"),
                "the SVG came through as is"
            );

            page.open(&path).await;
            click_target(&page).await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                hits_of(&hits),
                Vec::<String>::new(),
                "a script or handler reached the beacon"
            );
            let unchanged = effects(&page).await;
            assert_ne!(unchanged[0], "ran", "{unchanged}");
            assert!(
                unchanged[1].is_null() && unchanged[2].is_null(),
                "{unchanged}"
            );

            // Control: the same document without the app's headers runs its script and every
            // handler, so each negative assertion above could have failed.
            page.client
                .goto(&format!("{beacon}/control.svg"))
                .await
                .unwrap();
            click_target(&page).await;
            let wanted = ["/script", "/onload", "/onclick", "/onerror"];
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !wanted.iter().all(|w| hits_of(&hits).iter().any(|h| h == w))
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let seen = hits_of(&hits);
            for want in wanted {
                assert!(
                    seen.iter().any(|hit| hit == want),
                    "the control's {want} did not run: {seen:?}"
                );
            }
            assert_eq!(
                effects(&page).await,
                serde_json::json!(["ran", "script", "ran"])
            );
        },
    )
    .await;
}
