//! Kroki going away under load and coming back: 32 clients render distinct diagrams (cache
//! misses) through the API and the gateway while the stand-in stops and restarts. Every answer
//! is an image or a clear 502/503/504 in its audience's shape (JSON for the API, Kroki's
//! `Error NNN: ...` text for the gateway), each within `KROKI_TIMEOUT` plus a margin;
//! `/health` follows Kroki down and up again, and renders work afterwards, all without
//! restarting the app.

use crate::helpers::{content_type, encode, spawn_app_with, TestApp};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KROKI_TIMEOUT: Duration = Duration::from_secs(2);
/// Generous: this binary runs its tests in parallel on a small, busy machine.
const MARGIN: Duration = Duration::from_secs(3);
const CLIENTS: usize = 32;

/// One finished request: when it ended, its status, how long it took, and what was wrong with
/// it (`None` if it was a well-formed image or error).
struct Outcome {
    ended: Instant,
    status: u16,
    took: Duration,
    problem: Option<String>,
}

/// Renders the `n`th distinct diagram, through the API (even `n`) or the gateway (odd `n`),
/// and checks the shape of whatever comes back. Never panics: the caller reports.
async fn render(app: &TestApp, n: usize) -> Outcome {
    let started = Instant::now();
    let source = format!("digraph {{ load{n} -> done }}");
    let via_api = n % 2 == 0;
    let sent = if via_api {
        app.client
            .post(app.url("/api/generate"))
            .json(&json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": source}))
            .send()
            .await
    } else {
        app.client
            .get(app.url(&format!("/graphviz/svg/{}", encode(&source))))
            .send()
            .await
    };
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Outcome {
                ended: Instant::now(),
                status: 0,
                took: started.elapsed(),
                problem: Some(format!("no answer: {error}")),
            }
        }
    };
    let status = response.status().as_u16();
    let kind = content_type(&response);
    let body = response.bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let problem = match status {
        200 if kind == "image/svg+xml" && text.contains("<svg") => None,
        502..=504 if via_api => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(error)
                if kind == "application/json"
                    && error["status"] == status
                    && error["code"].as_str().is_some_and(|c| !c.is_empty())
                    && error["error"].as_str().is_some_and(|m| !m.is_empty()) =>
            {
                None
            }
            _ => Some(format!("API {status} error not in shape: {kind} {text}")),
        },
        502..=504 if text.starts_with(&format!("Error {status}: ")) && text.len() > 11 => None,
        _ => Some(format!("unexpected {status} {kind}: {text:.200}")),
    };
    Outcome {
        ended: Instant::now(),
        status,
        took: started.elapsed(),
        problem,
    }
}

async fn health(app: &TestApp) -> (u16, String) {
    let response = app.get("/health").await;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["status"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Polls /health until it answers `want` (status and verdict), for at most `within`.
async fn health_becomes(app: &TestApp, want: (u16, &str), within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let (status, verdict) = health(app).await;
        if (status, verdict.as_str()) == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kroki_stopping_and_restarting_under_load_gives_only_images_or_clear_errors() {
    let app = Arc::new(
        spawn_app_with(&[
            ("KROKI_TIMEOUT", "2s"),
            ("KROKI_CONNECT_TIMEOUT", "1s"),
            ("HEALTH_CACHE_TTL", "100ms"),
            ("KROKI_COMPANIONS", "none"),
        ])
        .await,
    );
    assert_eq!(health(&app).await, (200, "healthy".to_owned()));

    let running = Arc::new(AtomicBool::new(true));
    let counter = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (app, running, counter) = (app.clone(), running.clone(), counter.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while running.load(Ordering::Relaxed) {
                    seen.push(render(&app, counter.fetch_add(1, Ordering::Relaxed)).await);
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopped = Instant::now();
    app.kroki.stop().await;
    let went_down = health_becomes(&app, (503, "unhealthy"), Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.kroki.restart().await.unwrap();
    let restarted = Instant::now();
    let came_back = health_becomes(&app, (200, "healthy"), Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, Ordering::Relaxed);

    let mut outcomes = Vec::new();
    for client in clients {
        outcomes.extend(client.await.unwrap());
    }
    let count = |status: u16| outcomes.iter().filter(|o| o.status == status).count();
    let slowest = outcomes.iter().map(|o| o.took).max().unwrap();
    eprintln!(
        "faults_load: {} requests by {CLIENTS} clients: {} ok, {} 502, {} 503, {} 504; \
         slowest {slowest:?}",
        outcomes.len(),
        count(200),
        count(502),
        count(503),
        count(504)
    );
    assert!(went_down, "/health did not report Kroki gone");
    assert!(
        came_back,
        "/health did not report Kroki back without an app restart"
    );
    let problems: Vec<&String> = outcomes.iter().filter_map(|o| o.problem.as_ref()).collect();
    assert!(
        problems.is_empty(),
        "{} bad answers, e.g. {:?}",
        problems.len(),
        &problems[..problems.len().min(5)]
    );
    assert!(
        slowest < KROKI_TIMEOUT + MARGIN,
        "a request took {slowest:?}"
    );
    let before = outcomes.iter().filter(|o| o.ended < stopped);
    assert!(before.clone().count() > 0 && before.clone().all(|o| o.status == 200));
    assert!(
        outcomes.iter().any(|o| o.status != 200),
        "Kroki's absence was seen"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| o.status == 200 && o.ended > restarted),
        "renders succeeded again under load"
    );
    let after = render(&app, usize::MAX - 1).await;
    assert_eq!((after.status, after.problem), (200, None));
}
