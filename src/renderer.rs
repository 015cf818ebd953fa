//! The render path every entry point shares (API, gateway, pages): the render cache in front,
//! then a bound on concurrent renders sent to Kroki, then the Kroki client.
//!
//! Cache hits never wait for a render slot, so they are served whatever Kroki's load. Misses
//! for the same key share one Kroki request. Misses beyond `RENDER_CONCURRENCY` wait up to
//! `RENDER_QUEUE_TIMEOUT` for a slot, then get 503 with `Retry-After`.

use crate::cache::{CacheKey, CachedRender, RenderCache, UrlIndex, Variants};
use crate::config::Config;
use crate::domain::RenderRequest;
use crate::error::AppError;
use crate::kroki::{KrokiClient, KrokiError};
use crate::metrics::Metrics;
use actix_web::web::Bytes;
use std::sync::atomic::{AtomicI64, Ordering};
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
    pub etag: String,
    pub cache_hit: bool,
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
    in_flight: AtomicI64,
    waiting: AtomicI64,
    metrics: Arc<Metrics>,
}

impl Renderer {
    pub fn new(config: &Config, kroki: KrokiClient, metrics: Arc<Metrics>) -> Renderer {
        let cache = RenderCache::new(config.cache_max_size, config.cache_ttl);
        Renderer {
            kroki,
            urls: UrlIndex::new(cache.is_enabled()),
            cache,
            slots: Semaphore::new(config.render_concurrency),
            queue_timeout: config.render_queue_timeout,
            in_flight: AtomicI64::new(0),
            waiting: AtomicI64::new(0),
            metrics,
        }
    }

    pub async fn render(&self, request: &RenderRequest) -> Result<Diagram, AppError> {
        self.render_keyed(request, CacheKey::of(request)).await
    }

    /// Renders with a key the caller already computed (to answer `If-None-Match` first).
    pub async fn render_keyed(
        &self,
        request: &RenderRequest,
        key: CacheKey,
    ) -> Result<Diagram, AppError> {
        let result = self
            .cache
            .get_or_render(key, self.render_upstream(request))
            .await;
        match result {
            Ok((render, cache_hit)) => Ok(Diagram {
                bytes: render.identity,
                content_type: render.content_type,
                encoded: render.encoded,
                etag: key.etag(),
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
        })
    }

    /// Which content address each Kroki GET URL already rendered decoded to.
    pub fn urls(&self) -> &UrlIndex {
        &self.urls
    }

    async fn render_upstream(
        &self,
        request: &RenderRequest,
    ) -> Result<CachedRender, RenderFailure> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let Ok(Ok(_permit)) = permit else {
            return Err(RenderFailure::Overloaded);
        };
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let _in_flight = InFlight(&self.in_flight);
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

    /// Renders sent to Kroki and not yet answered.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Renders waiting for a slot.
    pub fn waiting(&self) -> i64 {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// Decrements the in-flight gauge however the render ends (success, error or cancellation).
struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
