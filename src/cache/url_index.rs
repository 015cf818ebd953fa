//! Kroki GET URL → content address, for the URLs already rendered.
//!
//! A GET diagram URL holds its source compressed; finding its cache entry the long way means
//! inflating it and hashing the source. Documentation sites request the same URLs again and
//! again, so the address each URL decoded to is remembered: a repeated GET costs one hash of its
//! URL. Only URLs whose render succeeded are remembered, so the index never maps a URL that the
//! full parsing would refuse, and an address whose render was evicted just falls back to the
//! full path.

use super::CacheKey;
use crate::kroki::KrokiVersions;
use actix_web::http::header::HeaderMap;
use moka::sync::Cache;

/// How many URLs are remembered: 16 384 entries of two 32-byte digests and moka's bookkeeping
/// stay under 3 MiB, beside the render cache's budget.
const CAPACITY: u64 = 16_384;

/// A digest of everything a Kroki GET render depends on: the path (type, format and encoded
/// source), the query string (options, `output_format`, `source_encoded`) and the
/// `Kroki-Diagram-Options-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UrlDigest([u8; 32]);

impl UrlDigest {
    pub fn of(path: &str, query: &str, headers: &HeaderMap, option_prefix: &str) -> UrlDigest {
        let mut hasher = blake3::Hasher::new();
        // Length-prefixed fields, so no two different requests hash the same input.
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(path.as_bytes());
        field(query.as_bytes());
        for (name, value) in headers {
            // Header names arrive lower-cased; the prefix check ignores case as the parsing does.
            let name = name.as_str();
            if name
                .get(..option_prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(option_prefix))
            {
                field(name.as_bytes());
                field(value.as_bytes());
            }
        }
        UrlDigest(*hasher.finalize().as_bytes())
    }
}

/// The remembered URLs; disabled (remembers nothing) when the render cache is.
///
/// Each address is remembered with the generation of Kroki's versions it was computed under
/// (the address includes the version): after a Kroki upgrade the old addresses are not used.
pub struct UrlIndex {
    entries: Option<Cache<UrlDigest, (CacheKey, u64)>>,
    versions: KrokiVersions,
}

impl UrlIndex {
    pub fn new(enabled: bool, versions: KrokiVersions) -> UrlIndex {
        UrlIndex {
            entries: enabled.then(|| Cache::new(CAPACITY)),
            versions,
        }
    }

    /// Whether URLs are remembered at all: with the cache off a GET makes no digest.
    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    pub fn get(&self, url: &UrlDigest) -> Option<CacheKey> {
        let (key, generation) = self.entries.as_ref()?.get(url)?;
        (generation == self.versions.generation()).then_some(key)
    }

    /// Remembers the address a URL decoded to, after its render succeeded.
    pub fn remember(&self, url: UrlDigest, key: CacheKey) {
        if let Some(entries) = &self.entries {
            entries.insert(url, (key, self.versions.generation()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    const PREFIX: &str = "kroki-diagram-options-";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_digest_covers_path_query_and_option_headers_only() {
        let base = UrlDigest::of("/graphviz/svg/eNo", "", &headers(&[]), PREFIX);
        let same = UrlDigest::of(
            "/graphviz/svg/eNo",
            "",
            &headers(&[("accept", "image/png"), ("user-agent", "x")]),
            PREFIX,
        );
        assert_eq!(base, same, "headers that are not options do not matter");
        let others = [
            UrlDigest::of("/graphviz/png/eNo", "", &headers(&[]), PREFIX),
            UrlDigest::of("/graphviz/svg/eNo", "theme=dark", &headers(&[]), PREFIX),
            UrlDigest::of(
                "/graphviz/svg/eNo",
                "",
                &headers(&[("Kroki-Diagram-Options-Theme", "dark")]),
                PREFIX,
            ),
            // Field boundaries count: the same bytes split differently are another request.
            UrlDigest::of("/graphviz/svg/eN", "o", &headers(&[]), PREFIX),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn remembers_only_when_enabled() {
        let url = UrlDigest::of("/a/b/c", "", &headers(&[]), PREFIX);
        let key = CacheKey([7; 32]);
        let versions = KrokiVersions::new(None);
        let enabled = UrlIndex::new(true, versions.clone());
        assert_eq!(enabled.get(&url), None);
        enabled.remember(url, key);
        assert_eq!(enabled.get(&url), Some(key));
        // A version change forgets the addresses computed before it.
        let health = serde_json::json!({"kroki": {"number": "0.33.0"}});
        versions.update(health.as_object().unwrap());
        assert_eq!(enabled.get(&url), None);
        assert!(enabled.is_enabled());
        let disabled = UrlIndex::new(false, versions);
        assert!(!disabled.is_enabled());
        disabled.remember(url, key);
        assert_eq!(disabled.get(&url), None);
    }
}
