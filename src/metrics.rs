//! Prometheus metrics (`GET /metrics`, OpenMetrics text), with the official client library.
//! Labels are low-cardinality by construction: route patterns (never raw paths, which hold
//! diagrams), methods folded to the standard set plus `other`, status codes, diagram type names from the catalog and error codes.

use crate::health::{HealthReport, Status};
use crate::renderer::Renderer;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::borrow::Cow;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: Cow<'static, str>,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KrokiLabels {
    pub diagram_type: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    pub check: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: &'static str,
}

/// The render cache's counters, counted by the cache where each hit, miss and eviction happens
/// (clones of the registered counters: one shared value each). A scrape only reads them, so
/// any number of scrapes, at the same time or not, see the same totals.
#[derive(Clone, Debug, Default)]
pub struct CacheMetrics {
    pub hits: Counter,
    pub misses: Counter,
    pub evictions: Counter,
}

/// The render path's gauges that go up and down, moved by the renderer's guards
/// (`renderer::Counted`) as a render waits for a slot and runs.
#[derive(Clone, Debug, Default)]
pub struct RenderGauges {
    pub in_flight: Gauge,
    pub waiting: Gauge,
}

pub struct Metrics {
    registry: Registry,
    tier2_hits: Counter,
    tier2_misses: Counter,
    tier2_errors: Family<OperationLabels, Counter>,
    tier2_duration: Family<OperationLabels, Histogram>,
    tier2_written: Counter,
    tier2_up: Gauge,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
    kroki_requests: Family<KrokiLabels, Counter>,
    kroki_duration: Family<KrokiLabels, Histogram>,
    cache: CacheMetrics,
    cache_entries: Gauge,
    cache_bytes: Gauge,
    renders: RenderGauges,
    health: Family<CheckLabels, Gauge>,
    rate_limited: Counter,
    handler_panics: Counter,
    head_timeouts: Counter,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 33 s, doubling.
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kroki_web");
        let metrics = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_histogram),
            kroki_requests: Family::default(),
            kroki_duration: Family::new_with_constructor(latency_histogram),
            cache: CacheMetrics::default(),
            cache_entries: Gauge::default(),
            cache_bytes: Gauge::default(),
            renders: RenderGauges::default(),
            health: Family::default(),
            rate_limited: Counter::default(),
            handler_panics: Counter::default(),
            head_timeouts: Counter::default(),
            tier2_hits: Counter::default(),
            tier2_misses: Counter::default(),
            tier2_errors: Family::default(),
            tier2_duration: Family::new_with_constructor(|| {
                // 0.1 ms to about 0.8 s, doubling: Redis calls are sub-millisecond when well.
                Histogram::new(exponential_buckets(0.0001, 2.0, 14))
            }),
            tier2_written: Counter::default(),
            tier2_up: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "cache_tier2_hits",
            "Renders found in the Redis tier after a memory miss",
            metrics.tier2_hits.clone(),
        );
        registry.register(
            "cache_tier2_misses",
            "Lookups the Redis tier did not answer with a render",
            metrics.tier2_misses.clone(),
        );
        registry.register(
            "cache_tier2_errors",
            "Redis calls that failed or timed out, by operation (get, set, lock)",
            metrics.tier2_errors.clone(),
        );
        registry.register_with_unit(
            "cache_tier2_call_duration",
            "Redis call latency by operation",
            Unit::Seconds,
            metrics.tier2_duration.clone(),
        );
        registry.register_with_unit(
            "cache_tier2_written",
            "Bytes of renders written to the Redis tier",
            Unit::Bytes,
            metrics.tier2_written.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route pattern, method and status",
            metrics.http_requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency",
            Unit::Seconds,
            metrics.http_duration.clone(),
        );
        registry.register(
            "kroki_requests",
            "Renders sent to Kroki by diagram type and outcome",
            metrics.kroki_requests.clone(),
        );
        registry.register_with_unit(
            "kroki_request_duration",
            "Kroki render latency",
            Unit::Seconds,
            metrics.kroki_duration.clone(),
        );
        registry.register(
            "cache_hits",
            "Renders answered from the cache (or by joining a render under way)",
            metrics.cache.hits.clone(),
        );
        registry.register(
            "cache_misses",
            "Renders the cache did not have",
            metrics.cache.misses.clone(),
        );
        registry.register(
            "cache_evictions",
            "Cached renders evicted for room or age",
            metrics.cache.evictions.clone(),
        );
        registry.register(
            "cache_entries",
            "Renders in the cache",
            metrics.cache_entries.clone(),
        );
        registry.register_with_unit(
            "cache_size",
            "Bytes the cache holds, as weighed against its budget",
            Unit::Bytes,
            metrics.cache_bytes.clone(),
        );
        registry.register(
            "renders_in_flight",
            "Renders sent to Kroki and not yet answered",
            metrics.renders.in_flight.clone(),
        );
        registry.register(
            "renders_waiting",
            "Renders waiting for a slot to Kroki",
            metrics.renders.waiting.clone(),
        );
        registry.register(
            "health_check",
            "The last health verdict per check (1 for the current status)",
            metrics.health.clone(),
        );
        registry.register(
            "rate_limited_requests",
            "Requests refused with 429 by RATE_LIMIT",
            metrics.rate_limited.clone(),
        );
        registry.register(
            "handler_panics",
            "Requests whose handler panicked (answered with 500)",
            metrics.handler_panics.clone(),
        );
        registry.register(
            "request_head_timeouts",
            "Connections closed with 408 because a request head did not arrive within CLIENT_REQUEST_TIMEOUT",
            metrics.head_timeouts.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Registers `cache_tier2_up`, for deployments with the Redis tier configured.
    pub fn register_tier2_up(&mut self) {
        self.registry.register(
            "cache_tier2_up",
            "1 while the Redis tier is in use, 0 while it is unreachable and skipped",
            self.tier2_up.clone(),
        );
    }

    /// The cache's counters, for the cache to count at each event.
    pub fn cache_metrics(&self) -> CacheMetrics {
        self.cache.clone()
    }

    /// The renders waiting and in flight, for the renderer's guards.
    pub fn render_gauges(&self) -> RenderGauges {
        self.renders.clone()
    }

    pub fn count_tier2_hit(&self) {
        self.tier2_hits.inc();
    }

    pub fn count_tier2_miss(&self) {
        self.tier2_misses.inc();
    }

    pub fn count_tier2_error(&self, operation: &'static str) {
        self.tier2_errors
            .get_or_create(&OperationLabels { operation })
            .inc();
    }

    pub fn observe_tier2_call(&self, operation: &'static str, elapsed: Duration) {
        self.tier2_duration
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    pub fn count_tier2_written(&self, bytes: u64) {
        self.tier2_written.inc_by(bytes);
    }

    pub fn count_rate_limited(&self) {
        self.rate_limited.inc();
    }

    pub fn count_handler_panic(&self) {
        self.handler_panics.inc();
    }

    pub fn count_head_timeout(&self) {
        self.head_timeouts.inc();
    }

    /// Counts one request. `method` is folded by [`method_label`]: a client may send any token
    /// as a method, and each distinct label would be a series kept for the process's life.
    /// Counts one answered request. The labels borrow what they can (the method folded to the
    /// standard set, a route pattern known in advance): this runs for every request.
    pub fn observe_http(
        &self,
        method: &str,
        route: Cow<'static, str>,
        status: u16,
        elapsed: Duration,
    ) {
        let labels = HttpLabels {
            method: method_label(method),
            route,
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn observe_kroki(
        &self,
        diagram_type: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        let labels = KrokiLabels {
            diagram_type,
            outcome,
        };
        self.kroki_requests.get_or_create(&labels).inc();
        self.kroki_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition. Counters and the render gauges are counted where their events
    /// happen; a scrape only sets the gauges read from elsewhere (cache size, Redis tier state,
    /// health) to their current values, which any number of overlapping scrapes may do.
    pub async fn render(&self, renderer: &Renderer, health: Option<&HealthReport>) -> String {
        let cache = renderer.cache();
        // Applies pending inserts and evictions (counting the evictions) so the sizes are current.
        cache.sync().await;
        self.cache_entries
            .set(i64::try_from(cache.entry_count()).unwrap_or(i64::MAX));
        self.cache_bytes
            .set(i64::try_from(cache.weighted_size()).unwrap_or(i64::MAX));
        if let Some(up) = renderer.tier2_up() {
            self.tier2_up.set(i64::from(up));
        }
        if let Some(report) = health {
            for (check, result) in &report.checks {
                for status in [Status::Healthy, Status::Degraded, Status::Unhealthy] {
                    let labels = CheckLabels {
                        check: check.clone(),
                        status: status.as_str().to_owned(),
                    };
                    self.health
                        .get_or_create(&labels)
                        .set(i64::from(result.status == status));
                }
            }
        }
        let mut text = String::with_capacity(8 * 1024);
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// The methods of RFC 9110 and PATCH as themselves, anything else (any token a client invents,
/// up to the size of a request head) as `other`: the label for metrics and log lines.
pub fn method_label(method: &str) -> &'static str {
    const STANDARD: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .iter()
        .find(|standard| **standard == method)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_fold_to_the_standard_set_and_other() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "other", "methods are case-sensitive");
        assert_eq!(method_label(&"X".repeat(120_000)), "other");
        let metrics = Metrics::new();
        for n in 0..1000 {
            metrics.observe_http(
                &format!("INVENTED{n}"),
                Cow::Borrowed("/healthz"),
                404,
                Duration::ZERO,
            );
        }
        assert_eq!(
            metrics
                .http_requests
                .get_or_create(&HttpLabels {
                    method: "other",
                    route: Cow::Borrowed("/healthz"),
                    status: 404,
                })
                .get(),
            1000
        );
    }

    /// Scrapes from several threads at once (an HA pair of Prometheus servers, and more) while
    /// the cache hits and misses: each hit and miss is counted once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    #[allow(clippy::unwrap_used)]
    async fn concurrent_scrapes_count_each_hit_and_miss_once() {
        use crate::cache::{CacheKey, CachedRender};
        use crate::config::Config;
        use crate::domain::request::{parse_format, parse_type};
        use crate::domain::{DiagramOptions, DiagramSource, RenderRequest};
        use crate::kroki::KrokiClient;
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;

        let config = Config::from_lookup(|name| {
            (name == "KROKI_URL").then(|| "http://127.0.0.1:9".to_owned())
        })
        .unwrap();
        let metrics = Arc::new(Metrics::new());
        let kroki = KrokiClient::new(&config).unwrap();
        let renderer = Arc::new(Renderer::new(&config, kroki, Arc::clone(&metrics)));
        let hits = Arc::new(AtomicU64::new(0));
        const TASKS: u64 = 8;
        const ROUNDS: u64 = 500;
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (metrics, renderer, hits) = (
                    Arc::clone(&metrics),
                    Arc::clone(&renderer),
                    Arc::clone(&hits),
                );
                tokio::spawn(async move {
                    for round in 0..ROUNDS {
                        let kind = parse_type("graphviz").unwrap();
                        // Each task's own diagrams, each asked for twice: a miss, then a hit.
                        let request = RenderRequest {
                            kind,
                            format: parse_format(kind, "svg").unwrap(),
                            source: DiagramSource::parse(
                                format!("digraph {{ t{task} r{} }}", round / 2),
                                1 << 20,
                            )
                            .unwrap(),
                            options: DiagramOptions::new(),
                            encoded: None,
                        };
                        let (_, hit) = renderer
                            .cache()
                            .get_or_render(CacheKey::of(&request, "test"), async {
                                Ok::<_, ()>(CachedRender::new(
                                    "image/svg+xml",
                                    actix_web::web::Bytes::from_static(b"<svg/>"),
                                ))
                            })
                            .await
                            .unwrap();
                        if hit {
                            hits.fetch_add(1, Ordering::Relaxed);
                        }
                        metrics.render(&renderer, None).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let text = metrics.render(&renderer, None).await;
        let hits = hits.load(Ordering::Relaxed);
        assert_eq!(hits, TASKS * ROUNDS / 2);
        for expected in [
            format!("\nkroki_web_cache_hits_total {hits}\n"),
            format!("\nkroki_web_cache_misses_total {}\n", TASKS * ROUNDS - hits),
        ] {
            assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
        }
    }
}
