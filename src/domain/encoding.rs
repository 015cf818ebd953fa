//! Kroki's GET encoding (UTF-8, zlib level 9, URL-safe base64) and the decoders a Kroki server
//! accepts, including PlantUML's own encodings for the plantuml types.
//!
//! Decoding is lenient where Kroki is (padding optional, any valid zlib stream, invalid UTF-8
//! replaced) and strict where Kroki is (URL-safe alphabet only, zlib header and checksum checked).
//! Inflation is bounded: a short string that would inflate to gigabytes stops at the limit.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::cell::RefCell;
use thiserror::Error;

/// URL-safe base64 that reads padded and unpadded input alike, as `java.util.Base64` does.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why an encoded diagram could not be read. The messages are Kroki's own, word for word.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("Unable to decode the source. Source must not be null or empty.")]
    Empty,
    #[error("Unable to decode the source. The source is not in valid Base64 scheme.")]
    InvalidBase64,
    #[error("Unable to decode the source.")]
    InvalidCompression,
    #[error("The decoded diagram source is larger than the limit of {limit} bytes.")]
    TooLarge { limit: usize },
}

/// Encodes a diagram source for `GET /{type}/{format}/{encoded}` (unpadded, which every Kroki
/// server accepts and which keeps URLs short).
pub fn encode(source: &str) -> String {
    URL_SAFE_LENIENT.encode(deflate(source.as_bytes(), true))
}

/// Decodes Kroki's encoding: URL-safe base64 of a zlib stream of UTF-8 text.
pub fn decode(encoded: &str, limit: usize) -> Result<String, DecodeError> {
    let bytes = decode_base64(encoded)?;
    into_text(inflate(&bytes, true, limit)?, limit)
}

/// Decodes a source sent to the plantuml types: PlantUML's native encodings first (`~h` hex, or
/// `~0`/no prefix: PlantUML's 6-bit alphabet over raw deflate), then Kroki's encoding.
pub fn decode_plantuml(encoded: &str, limit: usize) -> Result<String, DecodeError> {
    let form_decoded = form_url_decode(encoded);
    let native = if let Some(hex) = form_decoded.strip_prefix("~h") {
        decode_hex(hex).map(Ok)
    } else {
        let body = form_decoded.strip_prefix("~0").unwrap_or(&form_decoded);
        decode_plantuml_base64(body).map(|bytes| inflate(&bytes, false, limit))
    };
    match native {
        // A native source over the limit is refused as one in Kroki's encoding is (413), not
        // retried as Kroki's encoding, which would fail as undecodable (400).
        Some(Err(DecodeError::TooLarge { .. })) => Err(DecodeError::TooLarge { limit }),
        Some(Ok(bytes)) if bytes.len() > limit => Err(DecodeError::TooLarge { limit }),
        Some(Ok(bytes)) => into_text(bytes, limit),
        Some(Err(_)) | None => decode(&form_decoded, limit),
    }
}

/// The decoded bytes as text, invalid UTF-8 replaced as Kroki does. Each bad byte becomes a
/// three-byte U+FFFD, so the text is held to the limit again (found by the `decode` fuzz target).
fn into_text(bytes: Vec<u8>, limit: usize) -> Result<String, DecodeError> {
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
    if text.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(text)
}

/// Java's `String.trim()`: strips every char at or below U+0020 at both ends.
pub fn java_trim(source: &str) -> &str {
    source.trim_matches(|c: char| c <= '\u{20}')
}

fn decode_base64(encoded: &str) -> Result<Vec<u8>, DecodeError> {
    if encoded.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    URL_SAFE_LENIENT
        .decode(encoded)
        .map_err(|_| DecodeError::InvalidBase64)
}

fn deflate(input: &[u8], zlib_header: bool) -> Vec<u8> {
    let mut compressor = Compress::new(Compression::best(), zlib_header);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        out.reserve(1024);
        let consumed = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
        let remaining = input.get(consumed..).unwrap_or_default();
        match compressor.compress_vec(remaining, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(_) => continue,
            // Compressing into a growing Vec cannot fail; an empty result would fail to decode.
            Err(_) => return out,
        }
    }
}

/// Inflates `input`, producing at most `limit` bytes. Stops as soon as the output would exceed
/// the limit, so memory and time are bounded by the limit, never by the compression ratio.
fn inflate(input: &[u8], zlib_header: bool, limit: usize) -> Result<Vec<u8>, DecodeError> {
    INFLATERS.with(|inflaters| {
        let mut inflaters = inflaters.borrow_mut();
        let slot = &mut inflaters[usize::from(zlib_header)];
        let decompressor = match slot {
            Some(decompressor) => {
                decompressor.reset(zlib_header);
                decompressor
            }
            None => slot.insert(Decompress::new(zlib_header)),
        };
        inflate_with(decompressor, input, limit)
    })
}

thread_local! {
    /// One inflater per thread and stream kind (raw deflate, zlib), reset between streams: a
    /// new one zeroes tens of kilobytes of state, which cost more than inflating a typical
    /// diagram (see docs/benchmarks.md).
    static INFLATERS: RefCell<[Option<Decompress>; 2]> = const { RefCell::new([None, None]) };
}

fn inflate_with(
    decompressor: &mut Decompress,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(4).min(limit) + 1);
    loop {
        if out.len() == out.capacity() {
            if out.len() > limit {
                return Err(DecodeError::TooLarge { limit });
            }
            let grow = out.len().max(4096).min(limit + 1 - out.len());
            out.reserve_exact(grow);
        }
        let consumed = usize::try_from(decompressor.total_in()).unwrap_or(usize::MAX);
        let remaining = input.get(consumed..).unwrap_or_default();
        let before = (decompressor.total_in(), decompressor.total_out());
        let status = decompressor
            .decompress_vec(remaining, &mut out, FlushDecompress::None)
            .map_err(|_| DecodeError::InvalidCompression)?;
        if out.len() > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        match status {
            Status::StreamEnd => return Ok(out),
            _ if out.len() < out.capacity()
                && before == (decompressor.total_in(), decompressor.total_out()) =>
            {
                // No progress with room to spare: the stream is truncated.
                return Err(DecodeError::InvalidCompression);
            }
            _ => {}
        }
    }
}

/// `java.net.URLDecoder` semantics: `+` is a space and `%XX` a byte; bad escapes are kept as is.
fn form_url_decode(input: &str) -> String {
    if !input.contains(['+', '%']) {
        return input.to_owned();
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
                    std::str::from_utf8(pair)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                });
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// PlantUML's 6-bit alphabet: `0-9A-Za-z-_`, four characters to three bytes.
fn decode_plantuml_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'A'..=b'Z' => Some(c - b'A' + 10),
            b'a'..=b'z' => Some(c - b'a' + 36),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    if text.is_empty() {
        return None;
    }
    let values: Vec<u8> = text.bytes().map(value).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(values.len() * 3 / 4 + 3);
    for chunk in values.chunks(4) {
        let c = |i: usize| chunk.get(i).copied().unwrap_or(0);
        out.push((c(0) << 2) | (c(1) >> 4));
        out.push(((c(1) & 0x0f) << 4) | (c(2) >> 2));
        out.push(((c(2) & 0x03) << 6) | c(3));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1024 * 1024;

    /// The vectors of the protocol page, section 9: (source, reference encoding, Go's encoding).
    const VECTORS: &[(&str, &str, &str)] = &[
        (
            "@startuml\nAlice -> Bob: Hello\nBob --> Alice: Hi\n@enduml",
            "eNpzKC5JLCopzc3hcszJTE5V0LVTcMpPslLwSM3JyecCMhV0gUJgOaBgJpdDal4KUDUA728RXg==",
            "eNpyKC5JLCopzc3hcszJTE5V0LVTcMpPslLwSM3Jyedyyk9S0NW1UwDLWSl4ZHI5pOallObmAAIAAP__728RXg==",
        ),
        (
            "graph TD\n  A[Start] --> B{Ok?}\n  B -->|Yes| C[Done]\n  B -->|No| A",
            "eNpLL0osyFAIceFSUHCMDi5JLCqJVdDVtVNwqvbPtq8FijqBuDWRqcU1Cs7RLvl5qbFwQb_8GgVHAG98Eo8=",
            "eNpKL0osyFAIceFSUHCMDi5JLCqJVdDVtVNwqvbPtq_lUlBwAnFrIlOLaxSco13y81Jj4YJ--TUKjoAAAAD__298Eo8=",
        ),
        (
            "digraph G {\n  Hello -> World\n}",
            "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo=",
            "eNpKyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFBAAA__-T2Ala",
        ),
        (
            "digraph G {\n  a [label=\"é→日本\"]\n  a -> \"日本\"\n}",
            "eNpLyUwvSizIUHBXqOZSUEhUiM5JTErNsVU6vPJR26Rn05c-m7NGKRYso2unoAQV4KoFAEq_Fg0=",
            "eNpKyUwvSizIUHBXqOZSUEhUiM5JTErNsVU6vPJR26Rn05c-m7NGKRYso2unoAQV4KoFBAAA__9KvxYN",
        ),
        ("", "eNoDAAAAAAE=", "eNoBAAD__wAAAAE="),
        ("\n", "eNrjAgAACwAL", "eNriAgQAAP__AAsACw=="),
    ];

    #[test]
    fn decodes_the_reference_and_go_encodings() {
        for (source, reference, go) in VECTORS {
            assert_eq!(
                decode(reference, LIMIT).as_deref(),
                Ok(*source),
                "{reference}"
            );
            assert_eq!(decode(go, LIMIT).as_deref(), Ok(*source), "{go}");
        }
    }

    #[test]
    fn decodes_padded_and_unpadded_alike() {
        for (source, reference, go) in VECTORS {
            for encoded in [reference, go] {
                let unpadded = encoded.trim_end_matches('=');
                assert_eq!(decode(unpadded, LIMIT).as_deref(), Ok(*source));
            }
        }
        assert_eq!(
            decode("eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ", LIMIT).as_deref(),
            Ok("digraph G {Hello->World}\n")
        );
        assert_eq!(
            decode("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT).as_deref(),
            Ok("digraph { a -> b }")
        );
    }

    #[test]
    fn encoding_round_trips_and_starts_like_zlib_level_9() {
        for (source, _, _) in VECTORS {
            let encoded = encode(source);
            assert!(encoded.starts_with("eN"), "{encoded}");
            assert!(!encoded.contains(['=', '+', '/']));
            assert_eq!(decode(&encoded, LIMIT).as_deref(), Ok(*source));
        }
        let big = "x -> y\n".repeat(20_000);
        assert!(
            decode(&encode(&big), LIMIT) == Ok(big),
            "a 140 KB source does not round-trip"
        );
    }

    #[test]
    fn rejects_what_kroki_rejects() {
        assert_eq!(decode("", LIMIT), Err(DecodeError::Empty));
        assert_eq!(decode("   ", LIMIT), Err(DecodeError::Empty));
        // Standard base64 characters, whitespace and bad padding are not URL-safe base64.
        assert_eq!(
            decode("eNpL+UwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode("eNpL/UwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode("eNpL UwvSizIUKhWSFTQtVNIUqgFADrsBaY", LIMIT),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode("eNoDAAAAAAE==", LIMIT),
            Err(DecodeError::InvalidBase64)
        );
        // Valid base64 of something that is not a zlib stream.
        assert_eq!(
            decode("aGVsbG8gd29ybGQ=", LIMIT),
            Err(DecodeError::InvalidCompression)
        );
        // A truncated zlib stream and a stream with a broken checksum.
        let good = URL_SAFE_LENIENT
            .decode("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY")
            .unwrap_or_default();
        let truncated = URL_SAFE_LENIENT.encode(&good[..good.len() - 6]);
        assert_eq!(
            decode(&truncated, LIMIT),
            Err(DecodeError::InvalidCompression)
        );
        let mut corrupt = good.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        assert_eq!(
            decode(&URL_SAFE_LENIENT.encode(&corrupt), LIMIT),
            Err(DecodeError::InvalidCompression)
        );
        // Raw deflate (no zlib header) is refused, as Java's InflaterInputStream refuses it.
        let raw = URL_SAFE_LENIENT.encode(deflate(b"digraph { a -> b }", false));
        assert_eq!(decode(&raw, LIMIT), Err(DecodeError::InvalidCompression));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let encoded = URL_SAFE_LENIENT.encode(deflate(b"a \xff b", true));
        assert_eq!(decode(&encoded, LIMIT).as_deref(), Ok("a \u{fffd} b"));
    }

    #[test]
    fn replacement_characters_count_against_the_limit() {
        // 100 invalid bytes inflate within a limit of 150 but become 300 bytes of U+FFFD.
        let kroki = URL_SAFE_LENIENT.encode(deflate(&[0xff; 100], true));
        assert_eq!(decode(&kroki, 300).map(|s| s.len()), Ok(300));
        assert_eq!(
            decode(&kroki, 150),
            Err(DecodeError::TooLarge { limit: 150 })
        );
        let hex = format!("~h{}", "ff".repeat(100));
        assert_eq!(decode_plantuml(&hex, 300).map(|s| s.len()), Ok(300));
        assert_eq!(
            decode_plantuml(&hex, 150),
            Err(DecodeError::TooLarge { limit: 150 })
        );
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        // 64 MiB of zeros compresses to about 64 KiB of zlib; the limit is 1 MiB.
        let bomb = URL_SAFE_LENIENT.encode(deflate(&vec![0u8; 64 * 1024 * 1024], true));
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let started = std::time::Instant::now();
        assert_eq!(
            decode(&bomb, LIMIT),
            Err(DecodeError::TooLarge { limit: LIMIT })
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Exactly at the limit is fine, one byte over is not.
        let exact = URL_SAFE_LENIENT.encode(deflate(&vec![b'a'; 1000], true));
        assert_eq!(decode(&exact, 1000).map(|s| s.len()), Ok(1000));
        assert_eq!(
            decode(&exact, 999),
            Err(DecodeError::TooLarge { limit: 999 })
        );
    }

    #[test]
    fn plantuml_native_encodings_decode() {
        assert_eq!(
            decode_plantuml("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT).as_deref(),
            Ok("Bob -> Alice : hello")
        );
        assert_eq!(
            decode_plantuml("~0SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT).as_deref(),
            Ok("Bob -> Alice : hello")
        );
        assert_eq!(decode_plantuml("~h426f62", LIMIT).as_deref(), Ok("Bob"));
        // Kroki's own encoding is the fallback.
        assert_eq!(
            decode_plantuml(
                "eNrjciguSSwqKc3N4XLKT1LQtVNwzMlMTlWwUshIzcnJ53JIzUsBSQIABnMM1A==",
                LIMIT
            )
            .as_deref(),
            Ok("\n@startuml\nBob -> Alice : hello\n@enduml\n")
        );
        assert_eq!(
            decode_plantuml("!!!", LIMIT),
            Err(DecodeError::InvalidBase64)
        );
    }

    #[test]
    fn java_trim_strips_control_characters_too() {
        assert_eq!(java_trim("\n\t a -> b \r\n\u{1}"), "a -> b");
        assert_eq!(java_trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
    }

    #[test]
    fn form_decoding_follows_url_decoder() {
        assert_eq!(form_url_decode("a+b%41%zz"), "a bA%zz");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_text_round_trips(source in "\\PC{0,2000}") {
                prop_assert_eq!(decode(&encode(&source), 1 << 20), Ok(source));
            }

            #[test]
            fn decoding_never_panics_on_any_string(input in "\\PC{0,400}") {
                let _ = decode(&input, 1 << 16);
                let _ = decode_plantuml(&input, 1 << 16);
            }

            #[test]
            fn decoding_never_panics_on_any_base64_of_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
                let encoded = URL_SAFE_LENIENT.encode(&bytes);
                let _ = decode(&encoded, 1 << 16);
                let _ = decode_plantuml(&encoded, 1 << 16);
            }

            #[test]
            fn output_never_exceeds_the_limit(source in "[a-c]{0,5000}", limit in 0usize..3000) {
                match decode(&encode(&source), limit) {
                    Ok(decoded) => prop_assert!(decoded.len() <= limit),
                    Err(error) => prop_assert_eq!(error, DecodeError::TooLarge { limit }),
                }
            }
        }
    }
}
