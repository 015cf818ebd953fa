//! The end-to-end suite: every diagram type in every format it claims, through every way in,
//! checked down to the bytes of the output, plus the error cases and the health endpoints.
//!
//! Two targets, one suite:
//! - **The stand-in** (default, `cargo test --test e2e`): the app runs in-process on port 0
//!   against the stand-in Kroki (`kroki-standin`), which answers with real PNG, JPEG, PDF, SVG
//!   and text files and turns a `SYNTAX_ERROR` marker into Kroki's 400.
//! - **A real stack** (`E2E_BASE_URL=http://localhost:8080`, as `scripts/test-docker.sh` runs
//!   it against docker-compose.yml): real Kroki 0.32.1 and its companions. `E2E_COMPANIONS`
//!   (comma-separated) names the companions that stack runs (default: every companion the
//!   catalog names); types of a companion it does not run are skipped, and said so.
//!
//! Renders go through the JSON API (`POST /api/generate`), the Kroki-compatible GET
//! (`/{type}/{format}/{encoded}`) and POST (`/{type}/{format}`, text/plain). Rendering through
//! the browser editor's form is covered by the UI issue, together with the form itself.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use futures::stream::{self, StreamExt};
use kroki_test_support::{spawn_app_with, TestApp};
use kroki_web::domain::encoding::encode;
use kroki_web::domain::examples::{self, example};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

/// Renders in flight at once: enough to finish quickly, few enough not to swamp a small Kroki.
const CONCURRENCY: usize = 8;

/// The app under test and how to reach it.
struct Stack {
    base: String,
    client: reqwest::Client,
    /// Companions whose diagram types this stack can render.
    companions: BTreeSet<String>,
    /// Present when the app runs in-process against the stand-in; kept alive for the test.
    standin: Option<TestApp>,
}

impl Stack {
    async fn start() -> Stack {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        if let Some(base) = std::env::var("E2E_BASE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
        {
            let companions = match std::env::var("E2E_COMPANIONS") {
                Ok(list) => parse_companions(&list),
                Err(_) => catalog_companions(&client, base.trim_end_matches('/')).await,
            };
            return Stack {
                base: base.trim_end_matches('/').to_owned(),
                client,
                companions,
                standin: None,
            };
        }

        let all_companions = "mermaid,bpmn,excalidraw,diagramsnet";
        let app = spawn_app_with(&[
            // The stand-in runs every companion.
            ("KROKI_COMPANIONS", all_companions),
            // A busy test machine must not turn a slow probe into a "degraded" verdict.
            ("HEALTH_SLOW_THRESHOLD", "10s"),
            ("HEALTH_PROBE_TIMEOUT", "20s"),
        ])
        .await;
        Stack {
            base: app.address.clone(),
            client,
            companions: parse_companions(all_companions),
            standin: Some(app),
        }
    }

    fn on_standin(&self) -> bool {
        self.standin.is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn catalog(&self) -> Vec<DiagramType> {
        fetch_catalog(&self.client, &self.base).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Reply {
        let request = self.client.post(self.url(path)).json(body);
        Reply::read(request.send().await).await
    }

    async fn get(&self, path: &str) -> Reply {
        Reply::read(self.client.get(self.url(path)).send().await).await
    }

    async fn post_text(&self, path: &str, text: &str) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(text.to_owned());
        Reply::read(request.send().await).await
    }
}

fn parse_companions(list: &str) -> BTreeSet<String> {
    list.split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty() && name != "none")
        .collect()
}

async fn catalog_companions(client: &reqwest::Client, base: &str) -> BTreeSet<String> {
    fetch_catalog(client, base)
        .await
        .into_iter()
        .filter_map(|kind| kind.companion)
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
struct Catalog {
    diagram_types: Vec<DiagramType>,
}

#[derive(Debug, Clone, Deserialize)]
struct DiagramType {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    formats: Vec<String>,
    companion: Option<String>,
}

async fn fetch_catalog(client: &reqwest::Client, base: &str) -> Vec<DiagramType> {
    let response = client
        .get(format!("{base}/api/diagram-types"))
        .send()
        .await
        .expect("GET /api/diagram-types answers");
    assert_eq!(response.status(), 200, "GET /api/diagram-types");
    let catalog: Catalog = response.json().await.expect("the catalog is JSON");
    assert!(
        !catalog.diagram_types.is_empty(),
        "the catalog lists no diagram type"
    );
    catalog.diagram_types
}

/// One answer, read whole.
struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    async fn read(result: reqwest::Result<reqwest::Response>) -> Reply {
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = response
                    .bytes()
                    .await
                    .map(|bytes| bytes.to_vec())
                    .unwrap_or_else(|error| format!("(body broken off: {error})").into_bytes());
                Reply {
                    status,
                    content_type,
                    body,
                }
            }
            Err(error) => Reply {
                status: 0,
                content_type: String::new(),
                body: format!("(no answer: {error})").into_bytes(),
            },
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The start of the body, for failure messages.
    fn excerpt(&self) -> String {
        self.text().chars().take(300).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering every type in every format

#[derive(Debug, Clone, Copy)]
enum Route {
    ApiJson,
    GatewayGet,
    GatewayPostText,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::ApiJson => "POST /api/generate (JSON)",
            Route::GatewayGet => "GET /{type}/{format}/{encoded}",
            Route::GatewayPostText => "POST /{type}/{format} (text/plain)",
        })
    }
}

struct Job {
    /// The URL name used (the type's name or one of its aliases).
    url_name: String,
    format: String,
    route: Route,
    source: &'static str,
}

impl Job {
    async fn run(&self, stack: &Stack) -> Result<(), String> {
        let reply = match self.route {
            Route::ApiJson => {
                let body = json!({
                    "diagram_type": self.url_name,
                    "output_format": self.format,
                    "diagram_source": self.source,
                });
                stack.post_json("/api/generate", &body).await
            }
            Route::GatewayGet => {
                let path = format!("/{}/{}/{}", self.url_name, self.format, encode(self.source));
                stack.get(&path).await
            }
            Route::GatewayPostText => {
                let path = format!("/{}/{}", self.url_name, self.format);
                stack.post_text(&path, self.source).await
            }
        };
        check_output(&self.format, &reply).map_err(|problem| {
            format!(
                "{} {} via {}: {problem}",
                self.url_name, self.format, self.route
            )
        })
    }
}

/// The Content-Type Kroki gives each format (kroki-protocol.md §1.4).
fn expected_content_type(format: &str) -> Option<&'static str> {
    Some(match format {
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "jpeg" => "image/jpeg",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "utxt" => "text/plain; charset=utf-8",
        "base64" => "text/plain; charset=x-user-defined",
        _ => return None,
    })
}

fn normalize_media_type(value: &str) -> String {
    value
        .split(';')
        .map(|part| part.trim().to_ascii_lowercase())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Kroki's base64 output is URL-safe with padding; accept either alphabet, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    let text = text.trim();
    URL_SAFE_LENIENT
        .decode(text)
        .or_else(|_| STANDARD_LENIENT.decode(text))
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| STANDARD.decode(text))
        .ok()
}

/// The answer is a real file of `format`, with Kroki's Content-Type.
fn check_output(format: &str, reply: &Reply) -> Result<(), String> {
    if reply.status != 200 {
        return Err(format!("status {}: {}", reply.status, reply.excerpt()));
    }
    let expected =
        expected_content_type(format).ok_or_else(|| format!("unknown format {format}"))?;
    if normalize_media_type(&reply.content_type) != expected {
        return Err(format!(
            "Content-Type {:?}, expected {expected:?}",
            reply.content_type
        ));
    }
    let body = &reply.body;
    let ok = match format {
        "png" => body.starts_with(PNG_SIGNATURE),
        "jpeg" => body.starts_with(&[0xFF, 0xD8, 0xFF]),
        "pdf" => {
            let tail = &body[body.len().saturating_sub(1024)..];
            body.starts_with(b"%PDF-") && tail.windows(5).any(|window| window == b"%%EOF")
        }
        "svg" => reply.text().contains("<svg"),
        "txt" => !reply.text().trim().is_empty(),
        "utxt" => std::str::from_utf8(body).is_ok_and(|text| !text.trim().is_empty()),
        "base64" => {
            let text = reply.text();
            text.strip_prefix("data:image/png;base64,")
                .and_then(decode_base64)
                .is_some_and(|png| png.starts_with(PNG_SIGNATURE))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} bytes that are not a {format} file: {:?}",
            body.len(),
            reply.excerpt()
        ))
    }
}

#[tokio::test]
async fn every_type_renders_in_every_format_through_the_api_and_the_gateway() {
    let stack = Stack::start().await;
    let started = Instant::now();
    let catalog = stack.catalog().await;
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    for kind in &catalog {
        if let Some(companion) = &kind.companion {
            if !stack.companions.contains(companion) {
                skipped.push(format!("{} (needs the {companion} companion)", kind.name));
                continue;
            }
        }
        let Some(source) = example(&kind.name) else {
            problems.push(format!(
                "{}: no example source in domain::examples",
                kind.name
            ));
            continue;
        };
        if kind.formats.is_empty() {
            problems.push(format!("{}: the catalog claims no format", kind.name));
        }
        for format in &kind.formats {
            for route in [Route::ApiJson, Route::GatewayGet, Route::GatewayPostText] {
                jobs.push(Job {
                    url_name: kind.name.clone(),
                    format: format.clone(),
                    route,
                    source,
                });
            }
        }
        // Each alias (`dot` for graphviz) is served by the gateway like its canonical name.
        for alias in &kind.aliases {
            if let Some(format) = kind.formats.first() {
                jobs.push(Job {
                    url_name: alias.clone(),
                    format: format.clone(),
                    route: Route::GatewayGet,
                    source,
                });
            }
        }
    }
    let renders = jobs.len();
    let failures: Vec<String> = stream::iter(jobs.iter())
        .map(|job| job.run(&stack))
        .buffer_unordered(CONCURRENCY)
        .filter_map(|result| async move { result.err() })
        .collect()
        .await;
    problems.extend(failures);
    println!(
        "e2e: {renders} renders of {} types in {:.1} s through {} ({})",
        catalog.len() - skipped.len(),
        started.elapsed().as_secs_f64(),
        stack.base,
        if stack.on_standin() {
            "stand-in Kroki"
        } else {
            "real Kroki"
        },
    );
    if !skipped.is_empty() {
        println!("e2e: skipped {}", skipped.join(", "));
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "{} of {renders} renders or checks failed:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// Every example the editor's gallery offers (several per type for Mermaid, PlantUML, C4 and D2)
/// renders in every format of its type its engine can draw it in (`formats_not_drawn`) through
/// the API, and its gallery thumbnail (the path
/// `GET /api/examples` gives) renders through the Kroki-compatible GET.
#[tokio::test]
async fn every_gallery_example_renders_in_every_format_and_as_its_thumbnail() {
    let stack = Stack::start().await;
    let catalog = stack.catalog().await;
    let listed = stack.get("/api/examples").await;
    assert_eq!(
        listed.status,
        200,
        "GET /api/examples: {}",
        listed.excerpt()
    );
    let listed = listed.json();
    let listed = listed["examples"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        listed.len(),
        examples::all().len(),
        "/api/examples lists them all"
    );
    let mut jobs = Vec::new();
    let mut thumbnails = Vec::new();
    let mut skipped = BTreeSet::new();
    for shipped in examples::all() {
        let kind = catalog
            .iter()
            .find(|kind| kind.name == shipped.kind)
            .unwrap_or_else(|| panic!("{} is not in the catalog", shipped.kind));
        if let Some(companion) = &kind.companion {
            if !stack.companions.contains(companion) {
                skipped.insert(kind.name.clone());
                continue;
            }
        }
        let not_drawn = examples::formats_not_drawn(shipped);
        for format in kind
            .formats
            .iter()
            .filter(|f| !not_drawn.contains(&f.as_str()))
        {
            jobs.push(Job {
                url_name: kind.name.clone(),
                format: format.clone(),
                route: Route::ApiJson,
                source: shipped.source,
            });
        }
        let entry = listed
            .iter()
            .find(|e| e["diagram_type"] == shipped.kind && e["name"] == shipped.name)
            .unwrap_or_else(|| panic!("{}/{} is not listed", shipped.kind, shipped.name));
        thumbnails.push((
            format!("{}/{}", shipped.kind, shipped.name),
            entry["output_format"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            entry["image"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let mut problems: Vec<String> = stream::iter(jobs.iter())
        .map(|job| job.run(&stack))
        .buffer_unordered(CONCURRENCY)
        .filter_map(|result| async move { result.err() })
        .collect()
        .await;
    let stack = &stack;
    let thumbnail_problems: Vec<String> = stream::iter(thumbnails.iter())
        .map(|(name, format, path)| async move {
            let reply = stack.get(path).await;
            check_output(format, &reply)
                .err()
                .map(|problem| format!("{name} thumbnail {path:.60}: {problem}"))
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|problem| async move { problem })
        .collect()
        .await;
    problems.extend(thumbnail_problems);
    println!(
        "e2e: {} example renders and {} thumbnails of {} examples",
        jobs.len(),
        thumbnails.len(),
        examples::all().len()
    );
    if !skipped.is_empty() {
        println!("e2e: skipped the examples of {skipped:?}");
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "{} example renders failed:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

fn error_code(reply: &Reply) -> String {
    reply.json()["code"].as_str().unwrap_or_default().to_owned()
}

fn graphviz_source() -> &'static str {
    example("graphviz").unwrap_or("digraph G { Hello -> World }")
}

#[tokio::test]
async fn an_unknown_type_is_404_on_the_gateway_and_400_unknown_diagram_type_on_the_api() {
    let stack = Stack::start().await;

    let gateway = stack
        .get(&format!("/nosuchtype/svg/{}", encode("a -> b")))
        .await;
    assert_eq!(gateway.status, 404, "gateway: {}", gateway.excerpt());

    let api = stack
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "nosuchtype", "output_format": "svg", "diagram_source": "a -> b"}),
        )
        .await;
    assert_eq!(api.status, 400, "api: {}", api.excerpt());
    assert_eq!(
        error_code(&api),
        "unknown_diagram_type",
        "{}",
        api.excerpt()
    );
    let valid: Vec<Value> = api.json()["valid_values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(valid.contains(&json!("graphviz")), "{}", api.excerpt());
}

#[tokio::test]
async fn an_unsupported_format_is_400_with_the_valid_values() {
    let stack = Stack::start().await;
    let catalog = stack.catalog().await;
    // Mermaid renders png and svg only; its companion is not needed to refuse a format.
    let mermaid = catalog
        .iter()
        .find(|kind| kind.name == "mermaid")
        .expect("mermaid is in the catalog");
    assert!(!mermaid.formats.iter().any(|format| format == "pdf"));
    let source = example("mermaid").unwrap_or("graph TD\n  A --> B");

    let api = stack
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "mermaid", "output_format": "pdf", "diagram_source": source}),
        )
        .await;
    assert_eq!(api.status, 400, "api: {}", api.excerpt());
    assert_eq!(error_code(&api), "unsupported_format", "{}", api.excerpt());
    assert_eq!(
        api.json()["valid_values"],
        json!(mermaid.formats),
        "{}",
        api.excerpt()
    );

    let gateway = stack.get(&format!("/mermaid/pdf/{}", encode(source))).await;
    assert_eq!(gateway.status, 400, "gateway: {}", gateway.excerpt());
    assert!(
        gateway
            .text()
            .contains("Unsupported output format: pdf for mermaid"),
        "gateway: {}",
        gateway.excerpt()
    );
}

#[tokio::test]
async fn an_empty_source_is_400() {
    let stack = Stack::start().await;

    let api = stack
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": "  \n"}),
        )
        .await;
    assert_eq!(api.status, 400, "api: {}", api.excerpt());
    assert_eq!(error_code(&api), "empty_source", "{}", api.excerpt());

    let gateway = stack.post_text("/graphviz/svg", "").await;
    assert_eq!(gateway.status, 400, "gateway: {}", gateway.excerpt());
    assert!(
        gateway.text().contains("must not be empty"),
        "gateway: {}",
        gateway.excerpt()
    );
}

#[tokio::test]
async fn a_diagram_with_a_syntax_error_is_400_with_the_engine_message() {
    let stack = Stack::start().await;
    // The stand-in's marker gives a known message; real Graphviz rejects unbalanced braces with
    // a message of its own, which must reach the caller all the same.
    let (source, expected) = if stack.on_standin() {
        (
            "digraph G {\n  SYNTAX_ERROR\n}",
            Some("syntax error in line 2"),
        )
    } else {
        ("digraph G {\n  a -> \n", None)
    };

    let api = stack
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": source}),
        )
        .await;
    assert_eq!(api.status, 400, "api: {}", api.excerpt());
    assert_eq!(error_code(&api), "diagram_error", "{}", api.excerpt());
    let message = api.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(!message.trim().is_empty(), "api: no engine message");
    if let Some(expected) = expected {
        assert!(message.contains(expected), "api message: {message}");
    }

    let gateway = stack.post_text("/graphviz/svg", source).await;
    assert_eq!(gateway.status, 400, "gateway: {}", gateway.excerpt());
    if let Some(expected) = expected {
        assert!(
            gateway.text().contains(expected),
            "gateway: {}",
            gateway.excerpt()
        );
    }

    // The well-formed example still renders: the error was the source's, not the stack's.
    let fine = stack
        .post_json(
            "/api/generate",
            &json!({"diagram_type": "graphviz", "output_format": "svg", "diagram_source": graphviz_source()}),
        )
        .await;
    check_output("svg", &fine).unwrap_or_else(|problem| panic!("graphviz example: {problem}"));
}

// ---------------------------------------------------------------------------------------------
// Health

#[tokio::test]
async fn health_is_healthy_with_kroki_and_every_companion_checked() {
    let stack = Stack::start().await;

    let liveness = stack.get("/healthz").await;
    assert_eq!(liveness.status, 200, "/healthz: {}", liveness.excerpt());

    // On a real stack the other tests render at the same time, and a companion probe queued
    // behind them can be slow enough to read "degraded" for one round: wait for a healthy
    // round (each is reused for HEALTH_CACHE_TTL) rather than judge a single one.
    let patience = if stack.on_standin() { 10 } else { 90 };
    let deadline = Instant::now() + Duration::from_secs(patience);
    let expected: Vec<&str> = std::iter::once("kroki")
        .chain(stack.companions.iter().map(String::as_str))
        .collect();
    loop {
        let health = stack.get("/health").await;
        let report = health.json();
        let checks = report["checks"].as_object().cloned().unwrap_or_default();
        let unhealthy: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|name| {
                checks.get(*name).map(|check| &check["status"]) != Some(&json!("healthy"))
            })
            .collect();
        if health.status == 200 && report["status"] == "healthy" && unhealthy.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/health was not healthy with checks for {expected:?} within {patience} s \
             (status {}, not healthy: {unhealthy:?}): {report:#}",
            health.status
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
