//! The render path every entry point shares (API, gateway, pages): the render cache in front
//! (memory, then Redis when `CACHE_REDIS_URL` is set), then a bound on concurrent renders sent
//! to Kroki, then the Kroki client.
//!
//! A memory miss asks Redis; a Redis hit fills memory; a render fills both. Misses for one key
//! on different replicas share one render: the first takes a short lock in Redis (`SET NX PX`,
//! the render timeout) and the others poll for its result, rendering themselves if the lock
//! disappears without a result (the holder failed or died) or Redis stops answering.
//!
//! Cache hits never wait for a render slot, so they are served whatever Kroki's load. Misses
//! for the same key share one Kroki request. Misses beyond `RENDER_CONCURRENCY` wait up to
//! `RENDER_QUEUE_TIMEOUT` for a slot, then get 503 with `Retry-After`.

use crate::cache::tier2::{Lock, Lookup, RedisTier};
use crate::cache::{CacheKey, CachedRender, ETag, RenderCache, UrlIndex, Variants};
use crate::config::Config;
use crate::domain::RenderRequest;
use crate::error::AppError;
use crate::kroki::{KrokiClient, KrokiError, KrokiVersions};
use crate::metrics::{Metrics, RenderGauges};
use actix_web::web::Bytes;
use prometheus_client::metrics::gauge::Gauge;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A rendered diagram, ready to send.
#[derive(Debug, Clone)]
pub struct Diagram {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// `bytes` compressed, when the cache holds variants (src/cache/variants.rs).
    pub encoded: Variants,
    /// The strong ETag of the content address.
    pub etag: ETag,
    pub cache_hit: bool,
    /// Found in Redis after a memory miss (`X-Cache: HIT-REDIS`).
    pub redis_hit: bool,
}

/// What a render can fail with; cloneable, because one failed render answers every caller
/// that was waiting for it.
#[derive(Debug, Clone)]
enum RenderFailure {
    Kroki(KrokiError),
    Overloaded,
}

pub struct Renderer {
    kroki: KrokiClient,
    cache: RenderCache,
    urls: UrlIndex,
    slots: Semaphore,
    queue_timeout: Duration,
    /// `renders_waiting` and `renders_in_flight`, moved by [`Counted`] guards.
    gauges: RenderGauges,
    metrics: Arc<Metrics>,
    versions: KrokiVersions,
    tier2: Option<RedisTier>,
}

/// What waiting on another replica's render ended with.
enum Waited {
    Render(CachedRender),
    /// The lock came free without a result: this caller holds it now and renders.
    Lock(String),
    /// Render without the lock (Redis stopped answering, or the wait ran out).
    Yourself,
}

/// Releases a single-flight lock if the render holding it is dropped or fails.
struct LockGuard<'a> {
    tier: &'a RedisTier,
    key: CacheKey,
    token: Option<String>,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.tier.release(self.key, token);
        }
    }
}

impl Renderer {
    pub fn new(config: &Config, kroki: KrokiClient, metrics: Arc<Metrics>) -> Renderer {
        let cache = RenderCache::new(
            config.cache_max_size,
            config.cache_ttl,
            metrics.cache_metrics(),
        );
        let versions = kroki.versions().clone();
        Renderer {
            kroki,
            urls: UrlIndex::new(cache.is_enabled(), versions.clone()),
            versions,
            tier2: None,
            cache,
            slots: Semaphore::new(config.render_concurrency),
            queue_timeout: config.render_queue_timeout,
            gauges: metrics.render_gauges(),
            metrics,
        }
    }

    /// Adds the Redis tier behind the memory one.
    pub fn with_tier2(mut self, tier2: Option<RedisTier>) -> Renderer {
        if let Some(tier) = &tier2 {
            let tier = tier.clone();
            self.cache.on_compressed(Arc::new(move |key, render| {
                tier.store_variants(key, render)
            }));
        }
        self.tier2 = tier2;
        self
    }

    pub async fn render(&self, request: &RenderRequest) -> Result<Diagram, AppError> {
        let key = self.key(request).await;
        self.render_keyed(request, key).await
    }

    /// The content address of `request`, including the version that renders it. With the Redis
    /// tier on and no version known yet (just started), Kroki's `/health` is asked first
    /// (bounded), so the address can be shared with other replicas.
    pub async fn key(&self, request: &RenderRequest) -> CacheKey {
        if self.tier2.is_some() && !self.versions.is_known() {
            self.versions
                .refresh(&self.kroki, Duration::from_secs(1), Duration::from_secs(5))
                .await;
        }
        self.versions
            .with_version(request.kind.name, |version| CacheKey::of(request, version))
    }

    /// Renders with a key the caller already computed (to answer `If-None-Match` first).
    pub async fn render_keyed(
        &self,
        request: &RenderRequest,
        key: CacheKey,
    ) -> Result<Diagram, AppError> {
        let from_redis = AtomicBool::new(false);
        let result = self
            .cache
            .get_or_render(key, self.fill(request, key, &from_redis))
            .await;
        match result {
            Ok((render, cache_hit)) => Ok(Diagram {
                bytes: render.identity,
                content_type: render.content_type,
                encoded: render.encoded,
                etag: key.etag(),
                redis_hit: !cache_hit && from_redis.load(Ordering::Relaxed),
                cache_hit,
            }),
            Err(failure) => Err(match &*failure {
                RenderFailure::Kroki(error) => {
                    if error.status() >= 500 {
                        tracing::warn!(diagram_type = request.kind.name, format = %request.format, %error, "render failed upstream");
                    }
                    AppError::Kroki(error.clone())
                }
                RenderFailure::Overloaded => AppError::Overloaded {
                    retry_after_secs: 1,
                },
            }),
        }
    }

    /// The cached diagram for `key`, without rendering.
    pub async fn cached(&self, key: CacheKey) -> Option<Diagram> {
        let render = self.cache.get(&key).await?;
        Some(Diagram {
            bytes: render.identity,
            content_type: render.content_type,
            encoded: render.encoded,
            etag: key.etag(),
            cache_hit: true,
            redis_hit: false,
        })
    }

    /// Which content address each Kroki GET URL already rendered decoded to.
    pub fn urls(&self) -> &UrlIndex {
        &self.urls
    }

    /// A memory miss: Redis, or a render (shared with the other replicas through the lock).
    async fn fill(
        &self,
        request: &RenderRequest,
        key: CacheKey,
        from_redis: &AtomicBool,
    ) -> Result<CachedRender, RenderFailure> {
        // Only keys made with a known version that is still current are shared through Redis
        // (one more hash of the source, on a memory miss only).
        let Some(tier) = self.tier2.as_ref().filter(|_| {
            self.versions.is_known()
                && self
                    .versions
                    .with_version(request.kind.name, |version| CacheKey::of(request, version))
                    == key
        }) else {
            return self.render_upstream(request).await;
        };
        match tier.get(&key).await {
            Lookup::Hit(render) => {
                from_redis.store(true, Ordering::Relaxed);
                return Ok(render);
            }
            Lookup::Unavailable => return self.render_upstream(request).await,
            Lookup::Miss => {}
        }
        let token = match tier.lock(&key).await {
            Lock::Acquired(token) => Some(token),
            Lock::Unavailable => return self.render_upstream(request).await,
            Lock::Held => match wait_for(tier, &key).await {
                Waited::Render(render) => {
                    from_redis.store(true, Ordering::Relaxed);
                    return Ok(render);
                }
                Waited::Lock(token) => Some(token),
                Waited::Yourself => None,
            },
        };
        let mut guard = LockGuard { tier, key, token };
        let rendered = self.render_upstream(request).await?;
        tier.store(key, &rendered, guard.token.take());
        Ok(rendered)
    }

    async fn render_upstream(
        &self,
        request: &RenderRequest,
    ) -> Result<CachedRender, RenderFailure> {
        let waiting = Counted::up(&self.gauges.waiting);
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.acquire()).await;
        drop(waiting);
        let Ok(Ok(_permit)) = permit else {
            return Err(RenderFailure::Overloaded);
        };
        let _in_flight = Counted::up(&self.gauges.in_flight);
        let started = Instant::now();
        let result = self.kroki.render(request).await;
        let outcome = result.as_ref().map_or_else(KrokiError::code, |_| "ok");
        self.metrics
            .observe_kroki(request.kind.name, outcome, started.elapsed());
        let rendered = result.map_err(RenderFailure::Kroki)?;
        Ok(CachedRender::new(rendered.content_type, rendered.bytes))
    }

    pub fn cache(&self) -> &RenderCache {
        &self.cache
    }

    /// Whether the Redis tier is in use (`None`: not configured), read at each scrape.
    pub fn tier2_up(&self) -> Option<bool> {
        self.tier2.as_ref().map(RedisTier::is_up)
    }
}

/// Waits for the replica holding `key`'s lock to store its render, bounded by the lock's life.
async fn wait_for(tier: &RedisTier, key: &CacheKey) -> Waited {
    let deadline = Instant::now() + tier.settings().lock_ttl;
    let mut pause = Duration::from_millis(10);
    while Instant::now() < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_millis(100));
        match tier.peek(key).await {
            None => return Waited::Yourself,
            Some((Some(render), _)) => return Waited::Render(render),
            Some((None, true)) => {}
            // No render and no lock: the holder failed or died.
            Some((None, false)) => match tier.lock(key).await {
                Lock::Acquired(token) => return Waited::Lock(token),
                Lock::Held => {}
                Lock::Unavailable => return Waited::Yourself,
            },
        }
    }
    Waited::Yourself
}

/// One unit of a gauge that goes up and down (renders waiting, renders in flight): counted up
/// when made and down when dropped, however the wait or the render ends (success, error, or the
/// client going away, which drops the request's future mid-wait).
struct Counted<'a>(&'a Gauge);

impl<'a> Counted<'a> {
    fn up(gauge: &'a Gauge) -> Counted<'a> {
        gauge.inc();
        Counted(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::domain::request::{parse_format, parse_type};
    use crate::domain::{DiagramOptions, DiagramSource};

    fn renderer(concurrency: &str) -> Renderer {
        let config = Config::from_lookup(|name| match name {
            // Never contacted: the test holds the only render slot.
            "KROKI_URL" => Some("http://127.0.0.1:9".to_owned()),
            "RENDER_CONCURRENCY" => Some(concurrency.to_owned()),
            _ => None,
        })
        .unwrap();
        let kroki = KrokiClient::new(&config).unwrap();
        Renderer::new(&config, kroki, Arc::new(Metrics::new()))
    }

    fn request(source: &str) -> RenderRequest {
        let kind = parse_type("graphviz").unwrap();
        RenderRequest {
            kind,
            format: parse_format(kind, "svg").unwrap(),
            source: DiagramSource::parse(source.to_owned(), 1 << 20).unwrap(),
            options: DiagramOptions::new(),
            encoded: None,
        }
    }

    /// A request dropped while it waits for a render slot (its client went away, a timeout
    /// around it fired) is no longer counted as waiting, in the gauge `/metrics` exposes.
    #[tokio::test]
    async fn a_wait_for_a_render_slot_that_is_dropped_is_counted_down() {
        let renderer = renderer("1");
        let exposed = |name: &str| {
            let renderer = &renderer;
            let name = name.to_owned();
            async move {
                let text = renderer.metrics.render(renderer, None).await;
                text.lines()
                    .find_map(|line| line.strip_prefix(&name)?.strip_prefix(' ')?.parse().ok())
                    .unwrap_or(-1_i64)
            }
        };
        let _held = renderer.slots.acquire().await.unwrap();
        let request = request("digraph { waits }");
        let mut waiting = Box::pin(renderer.render(&request));
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "the render should still be waiting"
        );
        assert_eq!(exposed("kroki_web_renders_waiting").await, 1);
        drop(waiting);
        assert_eq!(exposed("kroki_web_renders_waiting").await, 0);
        assert_eq!(exposed("kroki_web_renders_in_flight").await, 0);
    }
}
