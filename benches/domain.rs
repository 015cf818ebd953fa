//! Micro-benchmarks of the pure code on every diagram request: Kroki's GET encoding and
//! decoding (and PlantUML's native encoding), and the render cache's content address.
//!
//! `cargo bench --bench domain` (under a minute; figures in docs/benchmarks.md). Short warm-up
//! and measurement times keep it quick: the figures are for spotting regressions and orders of
//! magnitude, not for three-digit precision.

// Set-up code: a failure there is a broken benchmark, to be seen at once.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kroki_encoding::encode_plantuml;
use kroki_web::cache::CacheKey;
use kroki_web::domain::encoding::{decode, decode_plantuml, encode};
use kroki_web::domain::request::{parse_format, parse_type};
use kroki_web::domain::{DiagramOptions, DiagramSource, RenderRequest};
use std::hint::black_box;
use std::time::Duration;

const LIMIT: usize = 1024 * 1024;

/// A typical small diagram (the one the load benchmark requests is similar).
const SMALL: &str = "digraph G {\n  rankdir=LR;\n  browser -> app [label=\"GET\"];\n  \
                     app -> cache;\n  cache -> kroki [label=\"miss\"];\n}\n";

/// A ~50 KB diagram: many nodes and labelled edges, as large generated diagrams are.
fn large_source() -> String {
    let mut source = String::from("digraph large {\n  rankdir=LR;\n  node [shape=box];\n");
    let mut i = 0;
    while source.len() < 50 * 1024 {
        source.push_str(&format!(
            "  service_{i} -> service_{} [label=\"calls /api/v{}/resource_{} ({} ms)\"];\n",
            (i * 7 + 3) % 997,
            i % 3 + 1,
            (i * 13) % 101,
            (i * 37) % 250
        ));
        i += 1;
    }
    source.push_str("}\n");
    source
}

/// A PlantUML sequence diagram of about `bytes` bytes.
fn plantuml_source(bytes: usize) -> String {
    let mut source = String::from("@startuml\n");
    let mut i = 0;
    while source.len() < bytes {
        source.push_str(&format!(
            "Alice{} -> Bob{}: request {i}\nBob{} --> Alice{}: response {i}\n",
            i % 5,
            i % 7,
            i % 7,
            i % 5
        ));
        i += 1;
    }
    source.push_str("@enduml\n");
    source
}

fn render_request(
    kind: &str,
    format: &str,
    source: &str,
    options: &[(&str, &str)],
) -> RenderRequest {
    let kind = parse_type(kind).expect("a catalog type");
    let mut diagram_options = DiagramOptions::new();
    for (key, value) in options {
        diagram_options
            .insert_text(key, value)
            .expect("a valid option");
    }
    RenderRequest {
        kind,
        format: parse_format(kind, format).expect("a supported format"),
        source: DiagramSource::parse(source.to_owned(), LIMIT).expect("a valid source"),
        options: diagram_options,
        encoded: None,
    }
}

fn sources() -> [(&'static str, String); 2] {
    [("small", SMALL.to_owned()), ("50KB", large_source())]
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (name, source) in sources() {
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &source, |b, source| {
            b.iter(|| encode(black_box(source)));
        });
    }
    group.finish();
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, source) in sources() {
        let encoded = encode(&source);
        assert_eq!(decode(&encoded, LIMIT).as_deref(), Ok(source.as_str()));
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &encoded, |b, encoded| {
            b.iter(|| decode(black_box(encoded), LIMIT));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decode_plantuml_native");
    for (name, source) in [
        ("small", plantuml_source(150)),
        ("50KB", plantuml_source(50 * 1024)),
    ] {
        let encoded = encode_plantuml(&source);
        assert_eq!(
            decode_plantuml(&encoded, LIMIT).as_deref(),
            Ok(source.as_str())
        );
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &encoded, |b, encoded| {
            b.iter(|| decode_plantuml(black_box(encoded), LIMIT));
        });
    }
    group.finish();
}

fn bench_cache_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache_key");
    let options = [("theme", "dark"), ("scale", "2"), ("no-doctype", "true")];
    for (name, source) in sources() {
        let plain = render_request("graphviz", "svg", &source, &[]);
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::new("of", name), &plain, |b, request| {
            b.iter(|| CacheKey::of(black_box(request), "engine@14.1.3"));
        });
        let with_options = render_request("dot", "SVG", &source, &options);
        group.bench_with_input(
            BenchmarkId::new("of_3_options", name),
            &with_options,
            |b, request| b.iter(|| CacheKey::of(black_box(request), "engine@14.1.3")),
        );
    }
    let key = CacheKey::of(
        &render_request("graphviz", "svg", SMALL, &[]),
        "engine@14.1.3",
    );
    group.throughput(Throughput::Elements(1));
    group.bench_function("etag", |b| b.iter(|| black_box(key).etag()));
    group.finish();
}

/// The domain work of a cache hit on `GET /{type}/{format}/{encoded}`: decode the URL, check
/// the source, compute the content address and its ETag (the HTTP work is not included).
fn bench_get_hit_domain_work(c: &mut Criterion) {
    let mut group = c.benchmark_group("get_hit_domain_work");
    let kind = parse_type("graphviz").expect("a catalog type");
    for (name, source) in sources() {
        let encoded = encode(&source);
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &encoded, |b, encoded| {
            b.iter(|| {
                let text = decode(black_box(encoded), LIMIT).expect("decodes");
                let request = RenderRequest {
                    kind,
                    format: parse_format(kind, "svg").expect("a supported format"),
                    source: DiagramSource::parse(text, LIMIT).expect("a valid source"),
                    options: DiagramOptions::new(),
                    encoded: None,
                };
                let key = CacheKey::of(&request, "engine@14.1.3");
                (key, key.etag())
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = domain;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_encode, bench_decode, bench_cache_key, bench_get_hit_domain_work
}
criterion_main!(domain);
