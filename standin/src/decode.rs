//! Decoding of GET sources, as Kroki does it (protocol page §2).
//!
//! * [`decode_kroki`]: `DiagramSource.decode`: strict URL-safe Base64 with the JDK's padding rules,
//!   zlib-wrapped inflate of any valid stream, lossy UTF-8, then Java `String.trim` unless disabled.
//! * [`decode_plantuml`]: `DiagramSource.plantumlDecode`: form-URL-decode, PlantUML's own encodings
//!   (`~0`/no prefix: 6-bit alphabet + raw deflate; `~h`: hex), then the Kroki decoder as fallback.
//!
//! Helpers for clients and tests: [`encode_kroki`] and [`plantuml_ascii_encode`].

use std::io::Write;

use base64::Engine as _;
use flate2::{Decompress, FlushDecompress, Status};

/// Decoded sources larger than this are refused (a guard against inflate bombs; Kroki has none).
const MAX_DECODED: usize = 64 * 1024 * 1024;

/// Why a source could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Blank input.
    Empty,
    /// Not valid URL-safe Base64.
    Base64,
    /// Not a valid zlib stream.
    Inflate,
    /// An exception Kroki does not catch (a bad `%` escape given to the PlantUML decoder): HTTP 500.
    Internal,
}

impl DecodeError {
    /// Kroki's message for this error.
    pub fn message(&self) -> &'static str {
        match self {
            DecodeError::Empty => "Unable to decode the source. Source must not be null or empty.",
            DecodeError::Base64 => {
                "Unable to decode the source. The source is not in valid Base64 scheme."
            }
            DecodeError::Inflate => "Unable to decode the source.",
            DecodeError::Internal => "Internal Server Error",
        }
    }
}

/// Java's `String.trim()`: strips chars <= U+0020 at both ends.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Java's `s.trim().isEmpty()`.
pub fn java_is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// `DiagramSource.decode(encoded, trim)`.
pub fn decode_kroki(encoded: &str, trim: bool) -> Result<String, DecodeError> {
    if java_is_blank(encoded) {
        return Err(DecodeError::Empty);
    }
    let bytes = java_base64_url_decode(encoded).ok_or(DecodeError::Base64)?;
    let inflated = inflate(&bytes, true).ok_or(DecodeError::Inflate)?;
    let text = String::from_utf8_lossy(&inflated);
    Ok(if trim {
        java_trim(&text).to_owned()
    } else {
        text.into_owned()
    })
}

/// `DiagramSource.plantumlDecode`: PlantUML's native encodings first, then [`decode_kroki`].
///
/// The native path returns the text as encoded (real Kroki also wraps it in `@startuml`/`@enduml`,
/// which PlantUML does anyway when rendering).
pub fn decode_plantuml(encoded: &str) -> Result<String, DecodeError> {
    let text = form_url_decode(encoded).ok_or(DecodeError::Internal)?;
    if let Some(decoded) = plantuml_native(&text) {
        return Ok(decoded);
    }
    decode_kroki(&text, true)
}

fn plantuml_native(code: &str) -> Option<String> {
    if let Some(rest) = code.strip_prefix("~0") {
        return plantuml_zlib(rest);
    }
    if code.starts_with("~1") || code.starts_with("~zip~") {
        // Legacy Huffman and zip encodings are not imitated.
        return None;
    }
    if let Some(rest) = code.strip_prefix("~h") {
        return hex_decode(rest).map(|b| String::from_utf8_lossy(&b).into_owned());
    }
    plantuml_zlib(code)
}

fn plantuml_zlib(code: &str) -> Option<String> {
    let data = plantuml_ascii_decode(code)?;
    let inflated = inflate(&data, false)?;
    Some(String::from_utf8_lossy(&inflated).into_owned())
}

const PLANTUML_ALPHABET: &[u8; 64] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

fn decode6bit(c: char) -> Option<u8> {
    if !c.is_ascii() {
        // ArrayIndexOutOfBoundsException in PlantUML's table.
        return None;
    }
    let b = c as u8;
    // Other ASCII characters map to 0, like PlantUML's zero-initialised table.
    Some(PLANTUML_ALPHABET.iter().position(|&a| a == b).unwrap_or(0) as u8)
}

/// PlantUML's `AsciiEncoder.decode` (6-bit alphabet `0-9A-Za-z-_`, groups of 4 padded with `0`).
fn plantuml_ascii_decode(s: &str) -> Option<Vec<u8>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::with_capacity(chars.len() * 3 / 4 + 3);
    for group in chars.chunks(4) {
        let mut c = [0u8; 4];
        for (i, slot) in c.iter_mut().enumerate() {
            *slot = match group.get(i) {
                Some(&ch) => decode6bit(ch)?,
                None => 0,
            };
        }
        out.push((c[0] << 2) | (c[1] >> 4));
        out.push(((c[1] & 0x0F) << 4) | (c[2] >> 2));
        out.push(((c[2] & 0x3) << 6) | c[3]);
    }
    Some(out)
}

/// PlantUML's `AsciiEncoder.encode` (used for the ETag and for PlantUML-native URLs).
pub fn plantuml_ascii_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b1 = chunk[0];
        let b2 = chunk.get(1).copied().unwrap_or(0);
        let b3 = chunk.get(2).copied().unwrap_or(0);
        let c = [
            b1 >> 2,
            ((b1 & 0x3) << 4) | (b2 >> 4),
            ((b2 & 0xF) << 2) | (b3 >> 6),
            b3 & 0x3F,
        ];
        for v in c {
            out.push(char::from(PLANTUML_ALPHABET[usize::from(v & 0x3F)]));
        }
    }
    out
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    // Like PlantUML, an odd trailing character is ignored.
    bytes
        .chunks_exact(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// `java.util.Base64.getUrlDecoder().decode(String)`: alphabet `A-Za-z0-9-_` only, padding optional
/// but correct when present, nothing after the padding, non-zero trailing bits tolerated.
pub fn java_base64_url_decode(s: &str) -> Option<Vec<u8>> {
    fn value(b: u8) -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let src = s.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
    let mut bits: u32 = 0;
    let mut shift: i32 = 18;
    let mut sp = 0;
    while sp < src.len() {
        let b = src[sp];
        sp += 1;
        if b == b'=' {
            // shift == 6: two chars read, a second '=' is required; shift == 18: nothing to end.
            if (shift == 6 && (sp == src.len() || src[sp] != b'=')) || shift == 18 {
                return None;
            }
            if shift == 6 {
                sp += 1;
            }
            break;
        }
        let v = value(b)?;
        bits |= v << shift;
        shift -= 6;
        if shift < 0 {
            out.push((bits >> 16) as u8);
            out.push((bits >> 8) as u8);
            out.push(bits as u8);
            shift = 18;
            bits = 0;
        }
    }
    match shift {
        6 => out.push((bits >> 16) as u8),
        0 => {
            out.push((bits >> 16) as u8);
            out.push((bits >> 8) as u8);
        }
        12 => return None,
        _ => {}
    }
    if sp < src.len() {
        return None;
    }
    Some(out)
}

/// Inflates a complete deflate stream (`zlib` = with the RFC 1950 header and Adler-32 check).
/// Anything after the end of the stream is ignored, as `InflaterInputStream` does.
fn inflate(data: &[u8], zlib: bool) -> Option<Vec<u8>> {
    let mut inflater = Decompress::new(zlib);
    let mut out: Vec<u8> = Vec::with_capacity(data.len() * 4 + 64);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= MAX_DECODED {
                return None;
            }
            out.reserve(out.len().max(1024));
        }
        let consumed = usize::try_from(inflater.total_in()).ok()?;
        let before_out = out.len();
        let input = data.get(consumed..)?;
        let status = inflater
            .decompress_vec(input, &mut out, FlushDecompress::Finish)
            .ok()?;
        match status {
            Status::StreamEnd => return Some(out),
            Status::Ok | Status::BufError => {
                let now_in = usize::try_from(inflater.total_in()).ok()?;
                if now_in == consumed && out.len() == before_out && out.len() < out.capacity() {
                    // No progress with room left: the stream is truncated.
                    return None;
                }
            }
        }
    }
}

/// `URLDecoder.decode(s, UTF-8)`: `+` becomes a space, `%XX` sequences are UTF-8 bytes.
/// Returns `None` for a malformed escape (Java throws `IllegalArgumentException`).
pub fn form_url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Lenient form decoding for query strings: like [`form_url_decode`] but malformed escapes stay as they are.
pub fn query_decode(s: &str) -> String {
    decode_percent(s, true)
}

/// Path-segment decoding (`decodeURIComponent(value, false)`): `%XX` decoded, `+` kept.
/// Malformed escapes stay as they are.
pub fn path_decode(s: &str) -> String {
    decode_percent(s, false)
}

fn decode_percent(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let decoded = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = decoded {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Kroki's reference encoding: zlib level 9 then URL-safe Base64 with padding.
pub fn encode_kroki(source: &str) -> String {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(source.as_bytes());
    let compressed = encoder.finish().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE.encode(compressed)
}

/// PlantUML's native encoding: raw deflate then PlantUML's 6-bit alphabet.
pub fn encode_plantuml(source: &str) -> String {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(source.as_bytes());
    let compressed = encoder.finish().unwrap_or_default();
    plantuml_ascii_encode(&compressed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// (source, reference encoding, Go's encoding) from §9 of the protocol page.
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
    fn all_vectors_decode_untrimmed() {
        for (source, reference, go) in VECTORS {
            assert_eq!(
                decode_kroki(reference, false).as_deref(),
                Ok(*source),
                "{reference}"
            );
            assert_eq!(decode_kroki(go, false).as_deref(), Ok(*source), "{go}");
        }
    }

    #[test]
    fn vectors_decode_unpadded_and_trimmed() {
        for (source, reference, go) in VECTORS {
            for enc in [reference, go] {
                let unpadded = enc.trim_end_matches('=');
                assert_eq!(
                    decode_kroki(unpadded, true).as_deref(),
                    Ok(java_trim(source)),
                    "{unpadded}"
                );
            }
        }
    }

    #[test]
    fn docs_examples_decode() {
        assert_eq!(
            decode_kroki("eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ", true).as_deref(),
            Ok("digraph G {Hello->World}")
        );
        assert_eq!(
            decode_kroki("eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ", false).as_deref(),
            Ok("digraph G {Hello->World}\n")
        );
        assert_eq!(
            decode_kroki("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=", true).as_deref(),
            Ok("digraph { a -> b }")
        );
    }

    #[test]
    fn encoder_round_trips() {
        for (source, _, _) in VECTORS {
            assert_eq!(
                decode_kroki(&encode_kroki(source), false).as_deref(),
                Ok(*source)
            );
        }
        assert!(encode_kroki("digraph G {Hello->World}\n").starts_with("eN"));
    }

    #[test]
    fn empty_input_is_rejected() {
        assert_eq!(decode_kroki("", true), Err(DecodeError::Empty));
        assert_eq!(decode_kroki("  \t", true), Err(DecodeError::Empty));
        assert_eq!(decode_plantuml(""), Err(DecodeError::Empty));
    }

    #[test]
    fn bad_alphabet_is_rejected() {
        let good = "eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=";
        for bad in [
            good.replace('-', "+"),
            "eNpLyUwv/SizIUKhWSFTQtVNIUqgFADrsBaY=".to_owned(),
            "eNpLyUwv SizIUKhWSFTQtVNIUqgFADrsBaY=".to_owned(),
            "eNpLyUwv\nSizIUKhWSFTQtVNIUqgFADrsBaY=".to_owned(),
            "eNpLyUwv?SizIUKhWSFTQtVNIUqgFADrsBaY=".to_owned(),
            "eNpLyUwvé".to_owned(),
        ] {
            if bad == good {
                continue;
            }
            assert_eq!(decode_kroki(&bad, true), Err(DecodeError::Base64), "{bad}");
        }
    }

    #[test]
    fn padding_rules_follow_the_jdk() {
        // "YQ" is "a": unpadded, correctly padded.
        assert_eq!(java_base64_url_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(java_base64_url_decode("YQ=="), Some(b"a".to_vec()));
        // Incomplete padding, extra padding, data after padding, a lone char.
        assert_eq!(java_base64_url_decode("YQ="), None);
        assert_eq!(java_base64_url_decode("YWI=="), None);
        assert_eq!(java_base64_url_decode("YQ==YQ"), None);
        assert_eq!(java_base64_url_decode("Y"), None);
        assert_eq!(java_base64_url_decode("="), None);
        assert_eq!(java_base64_url_decode("YWI="), Some(b"ab".to_vec()));
        assert_eq!(java_base64_url_decode("YWJj"), Some(b"abc".to_vec()));
        // Non-zero trailing bits are tolerated by the JDK.
        assert_eq!(java_base64_url_decode("YR"), Some(b"a".to_vec()));
        assert_eq!(
            decode_kroki("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY", true).as_deref(),
            Ok("digraph { a -> b }")
        );
    }

    #[test]
    fn bad_zlib_is_rejected() {
        use base64::engine::general_purpose::URL_SAFE;
        // Raw deflate (no zlib header).
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        raw.write_all(b"digraph { a -> b }").unwrap();
        let raw = URL_SAFE.encode(raw.finish().unwrap());
        assert_eq!(decode_kroki(&raw, true), Err(DecodeError::Inflate));
        // Gzip.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(b"digraph { a -> b }").unwrap();
        let gz = URL_SAFE.encode(gz.finish().unwrap());
        assert_eq!(decode_kroki(&gz, true), Err(DecodeError::Inflate));
        // Not compressed at all.
        let plain = URL_SAFE.encode(b"digraph { a -> b }");
        assert_eq!(decode_kroki(&plain, true), Err(DecodeError::Inflate));
        // Truncated stream.
        let full = URL_SAFE
            .decode("eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo=")
            .unwrap();
        let truncated = URL_SAFE.encode(&full[..full.len() - 6]);
        assert_eq!(decode_kroki(&truncated, true), Err(DecodeError::Inflate));
        // Bad Adler-32.
        let mut corrupt = full.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xFF;
        assert_eq!(
            decode_kroki(&URL_SAFE.encode(&corrupt), true),
            Err(DecodeError::Inflate)
        );
        // Trailing garbage after the stream is ignored.
        let mut trailing = full;
        trailing.extend_from_slice(b"garbage");
        assert_eq!(
            decode_kroki(&URL_SAFE.encode(&trailing), false).as_deref(),
            Ok("digraph G {\n  Hello -> World\n}")
        );
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        use base64::engine::general_purpose::URL_SAFE;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(b"a\xFFb").unwrap();
        let enc = URL_SAFE.encode(z.finish().unwrap());
        assert_eq!(decode_kroki(&enc, true).as_deref(), Ok("a\u{FFFD}b"));
    }

    #[test]
    fn trimming_is_java_trim() {
        let enc = encode_kroki("\u{0} \t\n  +--+\n  |  |\n  +--+\n\n");
        assert_eq!(
            decode_kroki(&enc, true).as_deref(),
            Ok("+--+\n  |  |\n  +--+")
        );
        assert_eq!(
            decode_kroki(&enc, false).as_deref(),
            Ok("\u{0} \t\n  +--+\n  |  |\n  +--+\n\n")
        );
        // U+00A0 is not trimmed by Java.
        assert_eq!(java_trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
    }

    #[test]
    fn plantuml_native_encoding() {
        assert_eq!(
            decode_plantuml("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000").as_deref(),
            Ok("Bob -> Alice : hello")
        );
        assert_eq!(
            decode_plantuml("~0SyfFKj2rKt3CoKnELR1Io4ZDoSa70000").as_deref(),
            Ok("Bob -> Alice : hello")
        );
        let source = "@startuml\nAlice -> Bob: é\n@enduml";
        assert_eq!(
            decode_plantuml(&encode_plantuml(source)).as_deref(),
            Ok(source)
        );
    }

    #[test]
    fn plantuml_hex_encoding() {
        assert_eq!(
            decode_plantuml("~h426f62202d3e20416c696365").as_deref(),
            Ok("Bob -> Alice")
        );
    }

    #[test]
    fn plantuml_falls_back_to_kroki() {
        assert_eq!(
            decode_plantuml("eNrjciguSSwqKc3N4XLKT1LQtVNwzMlMTlWwUshIzcnJ53JIzUsBSQIABnMM1A==")
                .as_deref(),
            Ok("@startuml\nBob -> Alice : hello\n@enduml")
        );
        for (source, reference, go) in VECTORS {
            assert_eq!(decode_plantuml(reference).as_deref(), Ok(java_trim(source)));
            assert_eq!(decode_plantuml(go).as_deref(), Ok(java_trim(source)));
        }
    }

    #[test]
    fn plantuml_form_decodes_first() {
        // '+' becomes a space, which is neither PlantUML nor Base64: the Kroki decoder rejects it.
        assert_eq!(
            decode_plantuml("eNpLyUwv+SizIUKhWSFTQtVNIUqgFADrsBaY="),
            Err(DecodeError::Base64)
        );
        // Percent escapes are decoded.
        assert_eq!(
            decode_plantuml("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY%3D").as_deref(),
            Ok("digraph { a -> b }")
        );
        // A malformed escape is an uncaught exception in Kroki.
        assert_eq!(decode_plantuml("abc%zz"), Err(DecodeError::Internal));
        // Garbage: not decodable at all.
        assert_eq!(decode_plantuml("not*valid"), Err(DecodeError::Base64));
    }

    #[test]
    fn plantuml_ascii_encoding_of_md5_is_24_chars() {
        assert_eq!(plantuml_ascii_encode(&[0u8; 16]).len(), 24);
        assert_eq!(plantuml_ascii_encode(&[0xFF, 0xFF, 0xFF]), "____");
        assert_eq!(plantuml_ascii_encode(&[0, 0, 0]), "0000");
    }

    #[test]
    fn form_and_path_decoding() {
        assert_eq!(form_url_decode("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(form_url_decode("%E2%86%92").as_deref(), Some("→"));
        assert_eq!(form_url_decode("%2"), None);
        assert_eq!(path_decode("a+b%20c%zz"), "a+b c%zz");
        assert_eq!(query_decode("a+b%20c%zz"), "a b c%zz");
    }
}
