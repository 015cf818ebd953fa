//! One cached render in every content coding it is served in: the bytes as Kroki sent them
//! (identity) and, for compressible media types, the same bytes compressed once with brotli,
//! zstd and gzip, so that a cache hit sends stored bytes instead of compressing them again.
//!
//! [`CachedRender`] is the whole entry: what the in-memory cache weighs, and what a second cache
//! tier stores and reads back ([`CachedRender::with_variants`] takes variants already compressed,
//! so a refill costs no compression).

use actix_web::web::Bytes;
use std::io::Write;

/// A content coding this app serves (RFC 9110 section 8.4.1). `Identity` is no coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Identity,
    Brotli,
    Zstd,
    Gzip,
}

impl Coding {
    /// The compressed codings, in the order the server prefers them when a client accepts
    /// several with the same weight: the smallest stored variants first.
    pub const COMPRESSED: [Coding; 3] = [Coding::Brotli, Coding::Zstd, Coding::Gzip];

    /// The token of `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    /// The coding a token names (any letter case; `x-gzip` is gzip, as RFC 9110 asks).
    pub fn from_token(token: &str) -> Option<Coding> {
        [Coding::Identity, Coding::Brotli, Coding::Zstd, Coding::Gzip]
            .into_iter()
            .find(|coding| token.eq_ignore_ascii_case(coding.token()))
            .or_else(|| token.eq_ignore_ascii_case("x-gzip").then_some(Coding::Gzip))
    }
}

/// Whether a media type gains from compression: text, SVG, JSON and XML do; PNG, JPEG, PDF
/// (already compressed inside) and anything else do not.
pub fn is_compressible(content_type: &str) -> bool {
    // Without allocating: this runs on every response.
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let bytes = essence.as_bytes();
    let starts = |prefix: &str| {
        bytes
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    let ends = |suffix: &str| {
        bytes
            .len()
            .checked_sub(suffix.len())
            .is_some_and(|at| bytes[at..].eq_ignore_ascii_case(suffix.as_bytes()))
    };
    starts("text/")
        || [
            "image/svg+xml",
            "application/json",
            "application/xml",
            "application/javascript",
        ]
        .iter()
        .any(|known| essence.eq_ignore_ascii_case(known))
        || ends("+json")
        || ends("+xml")
}

/// The compressed variants of one render (none until compressed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variants {
    brotli: Option<Bytes>,
    zstd: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// Up to this size a render gets the slowest, smallest settings (brotli 11, zstd 19): at most
/// ~0.1 s of one core off the request path. Larger ones get brotli 10 and zstd 15 (a 300 KB
/// Graphviz-like SVG: ~0.3 s in all), and beyond `LARGE` brotli 9 and zstd 12, so one huge render
/// cannot hold the compressor for seconds. Measured figures: docs/benchmarks.md.
const SMALL: usize = 64 * 1024;
const LARGE: usize = 1024 * 1024;

impl Variants {
    /// No variants.
    pub fn none() -> Variants {
        Variants::default()
    }

    /// These variants with `bytes` as the `coding` one (identity is not a variant: ignored).
    pub fn with(mut self, coding: Coding, bytes: Bytes) -> Variants {
        match coding {
            Coding::Identity => {}
            Coding::Brotli => self.brotli = Some(bytes),
            Coding::Zstd => self.zstd = Some(bytes),
            Coding::Gzip => self.gzip = Some(bytes),
        }
        self
    }

    /// The bytes of `coding`, if stored (never for identity).
    pub fn get(&self, coding: Coding) -> Option<&Bytes> {
        match coding {
            Coding::Identity => None,
            Coding::Brotli => self.brotli.as_ref(),
            Coding::Zstd => self.zstd.as_ref(),
            Coding::Gzip => self.gzip.as_ref(),
        }
    }

    /// Every stored variant with its coding.
    pub fn iter(&self) -> impl Iterator<Item = (Coding, &Bytes)> {
        Coding::COMPRESSED
            .into_iter()
            .filter_map(|coding| self.get(coding).map(|bytes| (coding, bytes)))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The bytes of every stored variant.
    pub fn total_bytes(&self) -> usize {
        self.iter().map(|(_, bytes)| bytes.len()).sum()
    }

    /// `identity` compressed with every coding, at the qualities above. CPU-bound (up to
    /// ~0.3 s for 300 KB): run it off the request path.
    pub fn compress(identity: &[u8]) -> Variants {
        let (brotli_quality, zstd_level) = match identity.len() {
            n if n <= SMALL => (11, 19),
            n if n <= LARGE => (10, 15),
            _ => (9, 12),
        };
        let mut brotli = Vec::with_capacity(identity.len() / 4);
        {
            // lgwin 22 (4 MiB window), as actix-web's encoder uses.
            let mut writer =
                brotli::CompressorWriter::new(&mut brotli, 32 * 1024, brotli_quality, 22);
            // Writing to a Vec cannot fail.
            let _ = writer.write_all(identity);
        }
        let zstd = zstd::bulk::compress(identity, zstd_level).unwrap_or_default();
        let mut gzip = flate2::write::GzEncoder::new(
            Vec::with_capacity(identity.len() / 3),
            flate2::Compression::new(9),
        );
        let _ = gzip.write_all(identity);
        let gzip = gzip.finish().unwrap_or_default();
        let mut variants = Variants::none();
        for (coding, bytes) in [
            (Coding::Brotli, brotli),
            (Coding::Zstd, zstd),
            (Coding::Gzip, gzip),
        ] {
            // An empty output is a compressor that failed: that coding is compressed on the fly.
            if !bytes.is_empty() || identity.is_empty() {
                variants = variants.with(coding, Bytes::from(bytes));
            }
        }
        variants
    }
}

/// A cached render: its Content-Type, the bytes as Kroki sent them, and their compressed
/// variants (empty for media types that are not compressible, and until compressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedRender {
    pub content_type: &'static str,
    pub identity: Bytes,
    pub encoded: Variants,
}

impl CachedRender {
    /// A fresh render, not compressed yet.
    pub fn new(content_type: &'static str, identity: Bytes) -> CachedRender {
        CachedRender::with_variants(content_type, identity, Variants::none())
    }

    /// A render with variants compressed before (read back from another cache tier).
    pub fn with_variants(
        content_type: &'static str,
        identity: Bytes,
        encoded: Variants,
    ) -> CachedRender {
        CachedRender {
            content_type,
            identity,
            encoded,
        }
    }

    /// This render with its identity bytes in an allocation of their own and exactly their size.
    /// A body read from Kroki in one piece is a slice of the HTTP client's read buffer, which
    /// may be many times larger; kept in the cache, the slice would pin that whole buffer while
    /// the byte budget counts only the slice (the load test's resident memory grew by a fifth).
    pub fn compacted(self) -> CachedRender {
        CachedRender {
            identity: Bytes::copy_from_slice(&self.identity),
            ..self
        }
    }

    /// The bytes to send for `coding`: the identity bytes, or a stored variant.
    pub fn variant(&self, coding: Coding) -> Option<&Bytes> {
        match coding {
            Coding::Identity => Some(&self.identity),
            _ => self.encoded.get(coding),
        }
    }

    /// The bytes of the identity and of every variant: what the entry holds.
    pub fn total_bytes(&self) -> usize {
        self.identity.len() + self.encoded.total_bytes()
    }

    /// Whether its media type is compressed for clients that accept it.
    pub fn is_compressible(&self) -> bool {
        is_compressible(self.content_type)
    }

    /// Compressible and not compressed yet.
    pub fn needs_variants(&self) -> bool {
        self.encoded.is_empty() && self.is_compressible()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn tokens_round_trip_in_any_case() {
        for coding in [Coding::Identity, Coding::Brotli, Coding::Zstd, Coding::Gzip] {
            assert_eq!(Coding::from_token(coding.token()), Some(coding));
            assert_eq!(
                Coding::from_token(&coding.token().to_ascii_uppercase()),
                Some(coding)
            );
        }
        assert_eq!(Coding::from_token("x-gzip"), Some(Coding::Gzip));
        assert_eq!(Coding::from_token("deflate"), None);
        assert_eq!(Coding::from_token("*"), None);
    }

    #[test]
    fn only_text_like_media_types_are_compressible() {
        for yes in [
            "image/svg+xml",
            "text/plain; charset=utf-8",
            "application/json",
            "application/health+json",
            "TEXT/HTML",
        ] {
            assert!(is_compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "application/pdf",
            "",
            "image/gif",
        ] {
            assert!(!is_compressible(no), "{no}");
        }
    }

    #[test]
    fn every_variant_decompresses_to_the_identity_bytes() {
        let identity: Vec<u8> = (0..3_000)
            .flat_map(|i| format!("<text x=\"{i}\">node {}</text>\n", i % 97).into_bytes())
            .collect();
        let variants = Variants::compress(&identity);
        let mut out = Vec::new();
        brotli::Decompressor::new(variants.get(Coding::Brotli).unwrap().as_ref(), 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, identity);
        let zstd = zstd::stream::decode_all(variants.get(Coding::Zstd).unwrap().as_ref()).unwrap();
        assert_eq!(zstd, identity);
        let mut gzip = Vec::new();
        flate2::read::GzDecoder::new(variants.get(Coding::Gzip).unwrap().as_ref())
            .read_to_end(&mut gzip)
            .unwrap();
        assert_eq!(gzip, identity);
        assert!(variants.total_bytes() < identity.len() / 3);
    }

    #[test]
    fn an_entry_serves_identity_and_its_variants_and_counts_them_all() {
        let identity = Bytes::from_static(b"<svg>hello hello hello</svg>");
        let fresh = CachedRender::new("image/svg+xml", identity.clone());
        assert!(fresh.needs_variants());
        assert_eq!(fresh.variant(Coding::Identity), Some(&identity));
        assert_eq!(fresh.variant(Coding::Brotli), None);
        assert_eq!(fresh.total_bytes(), identity.len());

        let encoded = Variants::none()
            .with(Coding::Brotli, Bytes::from_static(b"br!"))
            .with(Coding::Gzip, Bytes::from_static(b"gzip!"));
        let refilled = CachedRender::with_variants("image/svg+xml", identity.clone(), encoded);
        assert!(!refilled.needs_variants());
        assert_eq!(
            refilled.variant(Coding::Brotli).map(Bytes::as_ref),
            Some(&b"br!"[..])
        );
        assert_eq!(refilled.variant(Coding::Zstd), None);
        assert_eq!(refilled.total_bytes(), identity.len() + 3 + 5);

        let png = CachedRender::new("image/png", Bytes::from_static(b"\x89PNG"));
        assert!(!png.needs_variants());
    }
}
