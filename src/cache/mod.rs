//! The render cache: in memory, content-addressed, bounded by bytes.
//!
//! The key is a BLAKE3 digest of the version that renders the type (see
//! `kroki::versions`), the canonical type (aliases resolved), the format, the options
//! (sorted, lower-cased keys) and the exact source, so one diagram requested through the editor,
//! `/api/generate` or any Kroki-compatible route (GET or POST, padded or not) is one entry. The
//! same digest is the response's strong ETag. Only successful renders are stored. moka's
//! admission and eviction policy (TinyLFU) keeps hot entries when the byte budget is full.
//!
//! `url_index` remembers which content address a Kroki GET URL decoded to, so a repeated GET is
//! answered from the cache without decoding its URL again.
//!
//! An entry is a [`CachedRender`]: the bytes as Kroki sent them and, for compressible media types
//! (SVG, text, JSON), brotli, zstd and gzip variants. The variants are made once, off the request
//! path, when an entry is hit for the first time (a render asked for once, as most are, costs no
//! compression and no memory for it): the entry is handed to a background compressor (one job
//! at a time, at most `MAX_PENDING` waiting; beyond that the job is dropped, and the next hit
//! asks again), which puts the entry back with its variants. Until then the entry is served
//! compressed on the fly. The byte budget counts every variant.

pub mod tier2;
mod url_index;
mod variants;

pub use url_index::{UrlDigest, UrlIndex};
pub use variants::{is_compressible, CachedRender, Coding, Variants};

use crate::domain::RenderRequest;
use crate::metrics::CacheMetrics;
use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Renders waiting for the background compressor; more are not queued (a later hit retries).
const MAX_PENDING: usize = 64;

/// Counted against the budget for every entry beside its bytes (key, bookkeeping).
const ENTRY_OVERHEAD: usize = 160;

/// A content address of a render request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The address of `request` as rendered by `version` (a Kroki upgrade changes renders).
    pub fn of(request: &RenderRequest, version: &str) -> CacheKey {
        let mut hasher = blake3::Hasher::new();
        // Length-prefixed fields, so no two different requests hash the same input.
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(version.as_bytes());
        field(request.kind.name.as_bytes());
        field(request.format.name().as_bytes());
        for (key, value) in request.options.iter() {
            field(key.as_bytes());
            field(serde_json::to_string(value).unwrap_or_default().as_bytes());
        }
        field(request.source.as_str().as_bytes());
        CacheKey(*hasher.finalize().as_bytes())
    }

    /// The whole digest in hex (the Redis tier's key).
    pub fn hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// A strong ETag: the first 128 bits of the digest in hex, quoted. The answer in a content
    /// coding has its own (`coded_etag`, in `routes/responses.rs`).
    pub fn etag(&self) -> ETag {
        // By table rather than `write!`, and on the stack: this runs on every diagram response.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut etag = [b'"'; 34];
        for (i, byte) in self.0[..16].iter().enumerate() {
            etag[1 + 2 * i] = HEX[usize::from(byte >> 4)];
            etag[2 + 2 * i] = HEX[usize::from(byte & 0x0f)];
        }
        ETag(etag)
    }
}

/// A diagram's strong ETag ([`CacheKey::etag`]): a quoted hex digest, held inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ETag([u8; 34]);

impl ETag {
    pub fn as_str(&self) -> &str {
        // Made only of '"' and hex digits by `CacheKey::etag`.
        std::str::from_utf8(&self.0).unwrap_or("\"\"")
    }
}

impl std::ops::Deref for ETag {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<String> for ETag {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<ETag> for String {
    fn eq(&self, other: &ETag) -> bool {
        self == other.as_str()
    }
}

/// Told of each render whose variants were just compressed into the memory tier.
pub type OnCompressed = Arc<dyn Fn(CacheKey, &CachedRender) + Send + Sync>;

#[derive(Clone)]
pub struct RenderCache {
    entries: Option<Cache<CacheKey, CachedRender>>,
    /// Counted here, at each hit, miss and eviction (`/metrics` reads the same counters).
    metrics: CacheMetrics,
    compressor: Arc<Compressor>,
    /// The Redis tier's upgrade of its stored value, when the tier is on.
    on_compressed: Option<OnCompressed>,
}

/// The background compressor's bookkeeping: the keys queued or being compressed, and one slot,
/// so compression takes at most one core however many renders arrive.
#[derive(Debug)]
struct Compressor {
    pending: Mutex<HashSet<CacheKey>>,
    slot: Arc<Semaphore>,
}

/// Takes a key off the pending set however its job ends (done, failed or cancelled).
struct PendingGuard {
    compressor: Arc<Compressor>,
    key: CacheKey,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.compressor.pending.lock() {
            pending.remove(&self.key);
        }
    }
}

impl RenderCache {
    /// A cache holding at most `max_bytes` of renders (0 disables it), counting its hits,
    /// misses and evictions in `metrics`.
    pub fn new(
        max_bytes: u64,
        time_to_live: Option<Duration>,
        metrics: CacheMetrics,
    ) -> RenderCache {
        let entries = (max_bytes > 0).then(|| {
            let evictions = metrics.evictions.clone();
            let mut builder = Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &CacheKey, value: &CachedRender| {
                    u32::try_from(value.total_bytes() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
                })
                .eviction_listener(move |_key, _value, cause| {
                    if matches!(cause, RemovalCause::Size | RemovalCause::Expired) {
                        evictions.inc();
                    }
                });
            if let Some(ttl) = time_to_live {
                builder = builder.time_to_live(ttl);
            }
            builder.build()
        });
        let compressor = Arc::new(Compressor {
            pending: Mutex::new(HashSet::new()),
            slot: Arc::new(Semaphore::new(1)),
        });
        RenderCache {
            entries,
            metrics,
            compressor,
            on_compressed: None,
        }
    }

    /// Calls `hook` after the variants of a render are compressed and stored in memory (the
    /// Redis tier stores them too, so other replicas need not compress again).
    pub fn on_compressed(&mut self, hook: OnCompressed) {
        self.on_compressed = Some(hook);
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The cached render for `key`, if there is one (counted as a hit; a miss is counted by
    /// the render that follows it).
    pub async fn get(&self, key: &CacheKey) -> Option<CachedRender> {
        let value = self.entries.as_ref()?.get(key).await?;
        self.metrics.hits.inc();
        self.compress_later(*key, &value);
        Some(value)
    }

    /// The cached render for `key`, or the result of `render`, which runs once however many
    /// callers miss the same key at the same time (the others wait for it and share its result).
    /// Failures are shared with the waiting callers but never stored.
    pub async fn get_or_render<F, E>(
        &self,
        key: CacheKey,
        render: F,
    ) -> Result<(CachedRender, bool), Arc<E>>
    where
        F: std::future::Future<Output = Result<CachedRender, E>>,
        E: Send + Sync + 'static,
    {
        let Some(entries) = &self.entries else {
            return render.await.map(|value| (value, false)).map_err(Arc::new);
        };
        if let Some(value) = entries.get(&key).await {
            self.metrics.hits.inc();
            self.compress_later(key, &value);
            return Ok((value, true));
        }
        let ran = std::sync::atomic::AtomicBool::new(false);
        // Boxed: moka's single-flight future is about 9 KiB, and held inline it would make the
        // future of every diagram request that large (hits and uncached renders too), copied
        // whole each time a layer of middleware boxes it. Only a miss of the memory tier pays
        // for this allocation.
        let result = Box::pin(entries.try_get_with(key, async {
            ran.store(true, Ordering::Relaxed);
            // Stored for long: in its own allocation (see `CachedRender::compacted`).
            render.await.map(CachedRender::compacted)
        }))
        .await;
        // A caller that joined another's render counts as a hit: Kroki saw one request.
        let hit = !ran.load(Ordering::Relaxed);
        let counter = if hit {
            &self.metrics.hits
        } else {
            &self.metrics.misses
        };
        counter.inc();
        if let (Ok(value), true) = (&result, hit) {
            self.compress_later(key, value);
        }
        result.map(|value| (value, hit))
    }

    /// On a hit: hands `value` to the background compressor if it is compressible and has no variants
    /// yet, unless it is queued already or the queue is full. Needs a Tokio runtime (the server
    /// runs in one); without one it does nothing, and the entry is compressed on the fly.
    fn compress_later(&self, key: CacheKey, value: &CachedRender) {
        if !value.needs_variants() {
            return;
        }
        let (Some(entries), Ok(runtime)) = (&self.entries, tokio::runtime::Handle::try_current())
        else {
            return;
        };
        {
            let Ok(mut pending) = self.compressor.pending.lock() else {
                return;
            };
            if pending.len() >= MAX_PENDING || !pending.insert(key) {
                return;
            }
        }
        let guard = PendingGuard {
            compressor: Arc::clone(&self.compressor),
            key,
        };
        let entries = entries.clone();
        let value = value.clone();
        let on_compressed = self.on_compressed.clone();
        runtime.spawn(async move {
            let _guard = guard;
            let Ok(_slot) = Arc::clone(&_guard.compressor.slot).acquire_owned().await else {
                return;
            };
            let identity = value.identity.clone();
            let Ok(encoded) =
                tokio::task::spawn_blocking(move || Variants::compress(&identity)).await
            else {
                return;
            };
            let compressed =
                CachedRender::with_variants(value.content_type, value.identity, encoded);
            // Put back only over the same render still without variants: never revive an
            // evicted entry, never overwrite a newer one.
            let mut put = false;
            entries
                .entry(key)
                .and_compute_with(|current| {
                    let op = match current {
                        Some(entry)
                            if entry.value().encoded.is_empty()
                                && entry.value().identity == compressed.identity =>
                        {
                            put = true;
                            Op::Put(compressed.clone())
                        }
                        _ => Op::Nop,
                    };
                    std::future::ready(op)
                })
                .await;
            if let (true, Some(hook)) = (put, on_compressed) {
                hook(key, &compressed);
            }
        });
    }

    /// Waits until no render is queued for compression or being compressed (bounded by
    /// `timeout`); true if none is. For tests and benchmarks.
    pub async fn compressed(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self
                .compressor
                .pending
                .lock()
                .map_or(true, |pending| pending.is_empty());
            if idle {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn entry_count(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::entry_count)
    }

    pub fn weighted_size(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::weighted_size)
    }

    /// Applies pending inserts and evictions, so the counts above are current.
    pub async fn sync(&self) {
        if let Some(entries) = &self.entries {
            entries.run_pending_tasks().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{parse_format, parse_type};
    use crate::domain::{DiagramOptions, DiagramSource, OptionValue};
    use actix_web::web::Bytes;
    use std::sync::atomic::AtomicU64;

    fn key_of(request: &RenderRequest) -> CacheKey {
        CacheKey::of(request, "engine@1")
    }

    #[test]
    fn key_and_etag_change_with_the_rendering_version() {
        let request = request("graphviz", "svg", "digraph { a }", &[]);
        let old = CacheKey::of(&request, "engine@14.1.3");
        let new = CacheKey::of(&request, "engine@14.2.0");
        assert_ne!(old, new);
        assert_ne!(old.etag(), new.etag());
        assert_eq!(old.hex().len(), 64);
        assert!(old.etag()[1..33] == old.hex()[..32]);
    }

    fn request(kind: &str, format: &str, source: &str, options: &[(&str, &str)]) -> RenderRequest {
        let kind = parse_type(kind).unwrap();
        let mut diagram_options = DiagramOptions::new();
        for (key, value) in options {
            diagram_options.insert_text(key, value).unwrap();
        }
        RenderRequest {
            kind,
            format: parse_format(kind, format).unwrap(),
            source: DiagramSource::parse(source.to_owned(), 1 << 20).unwrap(),
            options: diagram_options,
            encoded: None,
        }
    }

    #[test]
    fn key_is_canonical_over_aliases_case_and_option_order() {
        let a = key_of(&request(
            "dot",
            "SVG",
            "digraph { a }",
            &[("b", "2"), ("A", "1")],
        ));
        let b = key_of(&request(
            "graphviz",
            "svg",
            "digraph { a }",
            &[("a", "1"), ("b", "2")],
        ));
        assert_eq!(a, b);
        assert_eq!(a.etag(), b.etag());
        assert_eq!(a.etag().len(), 34);
    }

    #[test]
    fn etag_is_the_quoted_hex_of_the_first_half_of_the_digest() {
        let key = CacheKey([0xa5; 32]);
        assert_eq!(key.etag(), format!("\"{}\"", "a5".repeat(16)));
        let mut bytes = [0u8; 32];
        bytes[0] = 0x0f;
        bytes[15] = 0xf0;
        bytes[16] = 0xff;
        assert_eq!(
            CacheKey(bytes).etag(),
            format!("\"0f{}f0\"", "00".repeat(14))
        );
    }

    #[test]
    fn key_tells_apart_every_field() {
        let base = key_of(&request("graphviz", "svg", "digraph { a }", &[]));
        let others = [
            request("graphviz", "png", "digraph { a }", &[]),
            request("erd", "svg", "digraph { a }", &[]),
            request("graphviz", "svg", "digraph { a } ", &[]),
            request("graphviz", "svg", "digraph { a }", &[("theme", "dark")]),
        ];
        for other in &others {
            assert_ne!(base, key_of(other));
        }
        // A number and a string with the same text are different options.
        let mut number = request("graphviz", "svg", "x", &[]);
        number
            .options
            .insert("scale", OptionValue::Number(2.into()))
            .unwrap();
        let text = request("graphviz", "svg", "x", &[("scale", "2")]);
        assert_ne!(key_of(&number), key_of(&text));
        // Length prefixes: moving a byte between fields changes the key.
        let split_a = request("graphviz", "svg", "x", &[("ab", "c")]);
        let split_b = request("graphviz", "svg", "x", &[("a", "bc")]);
        assert_ne!(key_of(&split_a), key_of(&split_b));
    }

    fn render(bytes: &'static [u8]) -> CachedRender {
        CachedRender::new("image/svg+xml", Bytes::from_static(bytes))
    }

    #[tokio::test]
    async fn stores_its_own_copy_of_a_body_sliced_from_a_larger_buffer() {
        // As hyper hands over a one-piece body: a slice split off its larger read buffer.
        let mut buffer = actix_web::web::BytesMut::with_capacity(64 << 10);
        buffer.extend_from_slice(&[b'x'; 64 << 10]);
        let body = buffer.split_to(100).freeze();
        let sliced_at = body.as_ptr();
        let cache = RenderCache::new(1 << 20, None, CacheMetrics::default());
        let key = key_of(&request("graphviz", "svg", "x", &[]));
        let rendered = CachedRender::new("image/svg+xml", body);
        let (value, _) = cache
            .get_or_render(key, async { Ok::<_, &str>(rendered) })
            .await
            .unwrap();
        assert_eq!(value.identity.as_ref(), &[b'x'; 100][..]);
        let stored = cache.get(&key).await.unwrap();
        assert_ne!(
            stored.identity.as_ptr(),
            sliced_at,
            "the cache kept the slice"
        );
        drop(buffer);
    }

    #[tokio::test]
    async fn stores_successes_only() {
        let metrics = CacheMetrics::default();
        let cache = RenderCache::new(1 << 20, None, metrics.clone());
        let key = key_of(&request("graphviz", "svg", "x", &[]));
        let failed = cache
            .get_or_render(key, async { Err::<CachedRender, _>("boom") })
            .await;
        assert!(failed.is_err());
        let (value, hit) = cache
            .get_or_render(key, async { Ok::<_, &str>(render(b"<svg/>")) })
            .await
            .unwrap();
        assert_eq!((value.identity.as_ref(), hit), (&b"<svg/>"[..], false));
        let (_, hit) = cache
            .get_or_render(key, async { Ok::<_, &str>(render(b"other")) })
            .await
            .unwrap();
        assert!(hit);
        assert_eq!(metrics.hits.get(), 1);
        assert_eq!(metrics.misses.get(), 2);
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = RenderCache::new(1 << 20, None, CacheMetrics::default());
        let key = key_of(&request("graphviz", "svg", "x", &[]));
        let renders = Arc::new(AtomicU64::new(0));
        let callers = (0..20).map(|_| {
            let renders = Arc::clone(&renders);
            let cache = cache.clone();
            async move {
                cache
                    .get_or_render(key, async move {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, &str>(render(b"<svg/>"))
                    })
                    .await
            }
        });
        let results = futures_util::future::join_all(callers).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stays_within_its_byte_budget() {
        let metrics = CacheMetrics::default();
        let cache = RenderCache::new(100_000, None, metrics.clone());
        static CHUNK: [u8; 10_000] = [b'x'; 10_000];
        for i in 0..100 {
            let key = key_of(&request("graphviz", "svg", &format!("n{i}"), &[]));
            cache
                .get_or_render(key, async { Ok::<_, &str>(render(&CHUNK)) })
                .await
                .unwrap();
        }
        cache.sync().await;
        assert!(
            cache.weighted_size() <= 100_000,
            "{}",
            cache.weighted_size()
        );
        assert!(cache.entry_count() <= 10);
        // Every render not kept was counted as an eviction when it left (or was not admitted).
        assert_eq!(metrics.evictions.get() + cache.entry_count(), 100);
        assert_eq!(metrics.misses.get(), 100);
    }

    fn large_svg() -> CachedRender {
        let text: String = (0..2_000)
            .map(|i| format!("<text x=\"{i}\">node {}</text>\n", i % 89))
            .collect();
        CachedRender::new("image/svg+xml", Bytes::from(text))
    }

    #[tokio::test]
    async fn a_compressible_render_gets_its_variants_once_and_the_budget_counts_them() {
        let cache = RenderCache::new(1 << 20, None, CacheMetrics::default());
        let key = CacheKey::of(&request("graphviz", "svg", "big", &[]), "14.1.3");
        let svg = large_svg();
        let identity_len = svg.identity.len();
        let (served, hit) = cache
            .get_or_render(key, async { Ok::<_, &str>(svg) })
            .await
            .unwrap();
        assert!(!hit);
        assert!(
            served.encoded.is_empty(),
            "the miss is not held up by compression"
        );
        assert!(
            cache.compressor.pending.lock().unwrap().is_empty(),
            "nothing is compressed until a hit"
        );
        assert!(cache.get(&key).await.unwrap().encoded.is_empty());
        assert!(cache.compressed(Duration::from_secs(20)).await);
        let stored = cache.get(&key).await.unwrap();
        for coding in Coding::COMPRESSED {
            assert!(stored.variant(coding).is_some(), "{coding:?}");
        }
        assert!(stored.total_bytes() > identity_len);
        cache.sync().await;
        assert_eq!(
            cache.weighted_size(),
            (stored.total_bytes() + ENTRY_OVERHEAD) as u64
        );
        // Hits on an entry with variants queue nothing more.
        cache.get(&key).await.unwrap();
        assert!(cache.compressor.pending.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_render_the_full_queue_dropped_is_compressed_after_a_later_hit() {
        let cache = RenderCache::new(1 << 20, None, CacheMetrics::default());
        // A queue full of jobs that are never going to finish.
        {
            let mut pending = cache.compressor.pending.lock().unwrap();
            for i in 0..MAX_PENDING {
                pending.insert(CacheKey([u8::try_from(i).unwrap(); 32]));
            }
        }
        let key = CacheKey::of(&request("graphviz", "svg", "dropped", &[]), "14.1.3");
        cache
            .get_or_render(key, async { Ok::<_, &str>(large_svg()) })
            .await
            .unwrap();
        let hit = cache.get(&key).await.unwrap();
        assert!(hit.encoded.is_empty());
        assert!(!cache.compressor.pending.lock().unwrap().contains(&key));
        // Room again: the next hit queues it.
        cache.compressor.pending.lock().unwrap().clear();
        assert!(cache.get(&key).await.unwrap().encoded.is_empty());
        assert!(cache.compressed(Duration::from_secs(20)).await);
        assert!(!cache.get(&key).await.unwrap().encoded.is_empty());
    }

    #[tokio::test]
    async fn images_are_stored_as_they_came() {
        let cache = RenderCache::new(1 << 20, None, CacheMetrics::default());
        let key = CacheKey::of(&request("graphviz", "png", "x", &[]), "14.1.3");
        let png = CachedRender::new("image/png", Bytes::from(vec![7u8; 50_000]));
        cache
            .get_or_render(key, async { Ok::<_, &str>(png) })
            .await
            .unwrap();
        assert!(cache.compressed(Duration::from_secs(5)).await);
        let stored = cache.get(&key).await.unwrap();
        assert!(stored.encoded.is_empty());
        cache.sync().await;
        assert_eq!(cache.weighted_size(), (50_000 + ENTRY_OVERHEAD) as u64);
    }

    #[tokio::test]
    async fn a_zero_budget_disables_caching() {
        let cache = RenderCache::new(0, None, CacheMetrics::default());
        assert!(!cache.is_enabled());
        let key = key_of(&request("graphviz", "svg", "x", &[]));
        for _ in 0..2 {
            let (_, hit) = cache
                .get_or_render(key, async { Ok::<_, &str>(render(b"a")) })
                .await
                .unwrap();
            assert!(!hit);
        }
    }
}
