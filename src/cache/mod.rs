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

pub mod tier2;
mod url_index;

pub use url_index::{UrlDigest, UrlIndex};

use crate::domain::RenderRequest;
use actix_web::web::Bytes;
use moka::future::Cache;
use moka::notification::RemovalCause;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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

    /// A strong ETag: the first 128 bits of the digest in hex, quoted.
    pub fn etag(&self) -> String {
        // By table rather than `write!`: this runs on every diagram response.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut etag = String::with_capacity(34);
        etag.push('"');
        for byte in &self.0[..16] {
            etag.push(char::from(HEX[usize::from(byte >> 4)]));
            etag.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        etag.push('"');
        etag
    }
}

/// A cached render: the bytes as Kroki sent them and their Content-Type.
#[derive(Debug, Clone)]
pub struct CachedRender {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

/// Counters for metrics and the benchmark.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
}

#[derive(Clone)]
pub struct RenderCache {
    entries: Option<Cache<CacheKey, CachedRender>>,
    counters: Arc<CacheCounters>,
}

impl RenderCache {
    /// A cache holding at most `max_bytes` of renders; 0 disables it.
    pub fn new(max_bytes: u64, time_to_live: Option<Duration>) -> RenderCache {
        let counters = Arc::new(CacheCounters::default());
        let entries = (max_bytes > 0).then(|| {
            let evictions = Arc::clone(&counters);
            let mut builder = Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &CacheKey, value: &CachedRender| {
                    u32::try_from(value.bytes.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
                })
                .eviction_listener(move |_key, _value, cause| {
                    if matches!(cause, RemovalCause::Size | RemovalCause::Expired) {
                        evictions.evictions.fetch_add(1, Ordering::Relaxed);
                    }
                });
            if let Some(ttl) = time_to_live {
                builder = builder.time_to_live(ttl);
            }
            builder.build()
        });
        RenderCache { entries, counters }
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The cached render for `key`, if there is one (counted as a hit; a miss is counted by
    /// the render that follows it).
    pub async fn get(&self, key: &CacheKey) -> Option<CachedRender> {
        let value = self.entries.as_ref()?.get(key).await?;
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
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
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((value, true));
        }
        let ran = std::sync::atomic::AtomicBool::new(false);
        let result = entries
            .try_get_with(key, async {
                ran.store(true, Ordering::Relaxed);
                render.await
            })
            .await;
        // A caller that joined another's render counts as a hit: Kroki saw one request.
        let hit = !ran.load(Ordering::Relaxed);
        let counter = if hit {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result.map(|value| (value, hit))
    }

    pub fn counters(&self) -> &CacheCounters {
        &self.counters
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
        CachedRender {
            bytes: Bytes::from_static(bytes),
            content_type: "image/svg+xml",
        }
    }

    #[tokio::test]
    async fn stores_successes_only() {
        let cache = RenderCache::new(1 << 20, None);
        let key = key_of(&request("graphviz", "svg", "x", &[]));
        let failed = cache
            .get_or_render(key, async { Err::<CachedRender, _>("boom") })
            .await;
        assert!(failed.is_err());
        let (value, hit) = cache
            .get_or_render(key, async { Ok::<_, &str>(render(b"<svg/>")) })
            .await
            .unwrap();
        assert_eq!((value.bytes.as_ref(), hit), (&b"<svg/>"[..], false));
        let (_, hit) = cache
            .get_or_render(key, async { Ok::<_, &str>(render(b"other")) })
            .await
            .unwrap();
        assert!(hit);
        assert_eq!(cache.counters().hits.load(Ordering::Relaxed), 1);
        assert_eq!(cache.counters().misses.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = RenderCache::new(1 << 20, None);
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
        let cache = RenderCache::new(100_000, None);
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
    }

    #[tokio::test]
    async fn a_zero_budget_disables_caching() {
        let cache = RenderCache::new(0, None);
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
