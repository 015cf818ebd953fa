//! Request-size limits: long GET lines, decompression bombs.

use crate::helpers::{content_type, encode, spawn_app, spawn_app_with};
use std::time::{Duration, Instant};

#[tokio::test]
async fn request_lines_of_10000_characters_are_served() {
    let app = spawn_app().await;
    // Varied text compresses poorly, so the URL is long.
    let source: String = (0..2500)
        .map(|i| format!("n{i} -> n{} ;", (i * 7919) % 2503))
        .collect();
    let encoded = encode(&format!("digraph {{ {source} }}"));
    assert!(encoded.len() > 10_000, "{}", encoded.len());
    let response = app.get(&format!("/graphviz/svg/{encoded}")).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn request_lines_over_the_limit_get_414() {
    let app = spawn_app_with(&[("MAX_URI_LENGTH", "2048")]).await;
    let response = app
        .get(&format!("/graphviz/svg/{}", "A".repeat(3000)))
        .await;
    assert_eq!(response.status(), 414);
    assert_eq!(content_type(&response), "text/plain");
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("Error 414: The request URI's length exceeds 2048."));
    assert!(app.renders().is_empty());
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_quickly_without_kroki() {
    let app = spawn_app().await;
    // 64 MiB of one letter: a URL of about 90 KB (414); 8 MiB: about 11 KB, which inflates
    // 8 times past the 1 MiB source limit.
    let bomb = encode(&"a".repeat(8 * 1024 * 1024));
    assert!(bomb.len() < 16_000, "{}", bomb.len());
    let started = Instant::now();
    let response = app.get(&format!("/graphviz/svg/{bomb}")).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.text().await.unwrap(),
        "Error 413: The decoded diagram source is larger than the limit of 1048576 bytes."
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(app.renders().is_empty());
}
