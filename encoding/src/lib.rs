//! Kroki's GET encoding (UTF-8, zlib level 9, URL-safe base64) and the decoders a Kroki server
//! accepts, including PlantUML's own encodings for the plantuml types: the one implementation
//! that kroki-web, the stand-in Kroki (`kroki-standin`) and the benchmark scripts (through
//! `kroki-standin encode`) share.
//!
//! Decoding is lenient where Kroki is (padding optional, non-zero trailing bits, any valid zlib
//! stream, invalid UTF-8 replaced) and strict where Kroki is (URL-safe alphabet only, padding
//! correct when present as `java.util.Base64` wants it, zlib header and checksum checked).
//! Inflation is bounded: a short string that would inflate to gigabytes stops at the limit.
//!
//! What differs between the app and the stand-in stays with them: the app's limit and error
//! statuses, the stand-in's imitation of the exception Kroki throws on a malformed `%` escape.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::cell::RefCell;
use std::fmt;

/// URL-safe base64, unpadded out; in, the unpadded body left once [`strip_jdk_padding`] has
/// checked the padding as `java.util.Base64` does. Non-zero trailing bits are tolerated, as the
/// JDK tolerates them.
const URL_SAFE_UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// PlantUML's 6-bit alphabet (`AsciiEncoder`).
const PLANTUML_ALPHABET: &[u8; 64] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// Why an encoded diagram could not be read. The messages are Kroki's own, word for word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Blank input (Java's `trim().isEmpty()`).
    Empty,
    /// Not URL-safe base64 as `java.util.Base64.getUrlDecoder()` reads it.
    InvalidBase64,
    /// Not a complete zlib stream (or, for PlantUML's encoding, a raw deflate stream).
    InvalidCompression,
    /// The decoded source would exceed the caller's limit (Kroki has none).
    TooLarge { limit: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => {
                f.write_str("Unable to decode the source. Source must not be null or empty.")
            }
            DecodeError::InvalidBase64 => f.write_str(
                "Unable to decode the source. The source is not in valid Base64 scheme.",
            ),
            DecodeError::InvalidCompression => f.write_str("Unable to decode the source."),
            DecodeError::TooLarge { limit } => write!(
                f,
                "The decoded diagram source is larger than the limit of {limit} bytes."
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes a diagram source for `GET /{type}/{format}/{encoded}` (unpadded, which every Kroki
/// server accepts and which keeps URLs short).
pub fn encode(source: &str) -> String {
    URL_SAFE_UNPADDED.encode(deflate(source.as_bytes(), true))
}

/// PlantUML's native encoding of a source: raw deflate (level 9) in PlantUML's 6-bit alphabet,
/// which the plantuml types accept with or without the `~0` prefix.
pub fn encode_plantuml(source: &str) -> String {
    plantuml_ascii_encode(&deflate(source.as_bytes(), false))
}

/// Decodes Kroki's encoding: URL-safe base64 of a zlib stream of UTF-8 text.
pub fn decode(encoded: &str, limit: usize) -> Result<String, DecodeError> {
    let bytes = decode_base64(encoded)?;
    into_text(inflate(&bytes, true, limit)?, limit)
}

/// Decodes a source sent to the plantuml types: form-URL-decoding (`+` a space, `%XX` a byte, a
/// malformed escape kept as it is), then [`decode_plantuml_native`], then Kroki's encoding.
pub fn decode_plantuml(encoded: &str, limit: usize) -> Result<String, DecodeError> {
    let form_decoded = percent_decode(encoded, true);
    decode_plantuml_native(&form_decoded, limit).unwrap_or_else(|| decode(&form_decoded, limit))
}

/// PlantUML's native encodings of an already form-decoded source, as Kroki's `TranscoderSmart`
/// tries them: `~h` hex (an odd last digit ignored), or `~0`/no prefix: PlantUML's 6-bit
/// alphabet over raw deflate. `None` when the text is none of them (the legacy `~1` and `~zip~`
/// encodings are not read): the caller falls back to Kroki's encoding ([`decode`]). A native
/// source over the limit is refused as one in Kroki's encoding is, not retried as Kroki's
/// encoding, which would fail as undecodable.
pub fn decode_plantuml_native(text: &str, limit: usize) -> Option<Result<String, DecodeError>> {
    let bytes = if let Some(hex) = text.strip_prefix("~h") {
        Ok(decode_hex(hex)?)
    } else if text.starts_with("~1") || text.starts_with("~zip~") {
        return None;
    } else {
        let body = text.strip_prefix("~0").unwrap_or(text);
        match inflate(&decode_plantuml_ascii(body)?, false, limit) {
            Err(DecodeError::TooLarge { .. }) => Err(DecodeError::TooLarge { limit }),
            Err(_) => return None,
            Ok(bytes) => Ok(bytes),
        }
    };
    Some(bytes.and_then(|bytes| {
        if bytes.len() > limit {
            Err(DecodeError::TooLarge { limit })
        } else {
            into_text(bytes, limit)
        }
    }))
}

/// Java's `String.trim()`: strips every char at or below U+0020 at both ends.
pub fn java_trim(source: &str) -> &str {
    source.trim_matches(|c: char| c <= '\u{20}')
}

/// Percent-decoding that never fails: `%XX` is a byte, a malformed escape stays as it is, `+`
/// is a space when `plus_is_space` (form and query semantics) and stays `+` otherwise (a path
/// segment, Vert.x's `decodeURIComponent(value, false)`). Bytes that are not UTF-8 are replaced.
pub fn percent_decode(input: &str, plus_is_space: bool) -> String {
    let escaped = input.contains('%') || (plus_is_space && input.contains('+'));
    if !escaped {
        return input.to_owned();
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// PlantUML's `AsciiEncoder.encode`: three bytes to four characters of its 6-bit alphabet, the
/// last group padded with zero bits (used for PlantUML URLs and for Kroki's ETag).
pub fn plantuml_ascii_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
        let (b1, b2, b3) = (byte(0), byte(1), byte(2));
        for value in [
            b1 >> 2,
            ((b1 & 0x3) << 4) | (b2 >> 4),
            ((b2 & 0xf) << 2) | (b3 >> 6),
            b3 & 0x3f,
        ] {
            out.push(char::from(PLANTUML_ALPHABET[usize::from(value)]));
        }
    }
    out
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

fn decode_base64(encoded: &str) -> Result<Vec<u8>, DecodeError> {
    if java_trim(encoded).is_empty() {
        return Err(DecodeError::Empty);
    }
    let body = strip_jdk_padding(encoded).ok_or(DecodeError::InvalidBase64)?;
    URL_SAFE_UNPADDED
        .decode(body)
        .map_err(|_| DecodeError::InvalidBase64)
}

/// `java.util.Base64`'s padding rule: optional, but when present exactly what the last group
/// needs (`==` after two characters, `=` after three) and nothing after it.
fn strip_jdk_padding(encoded: &str) -> Option<&str> {
    let body = encoded.trim_end_matches('=');
    let padding = encoded.len() - body.len();
    let fits = matches!((padding, body.len() % 4), (0, _) | (2, 2) | (1, 3));
    (fits && !body.contains('=')).then_some(body)
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
/// Anything after the end of the stream is ignored, as Java's `InflaterInputStream` ignores it.
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

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| char::from(c).to_digit(16);
    match pair {
        [high, low] => u8::try_from(digit(*high)? * 16 + digit(*low)?).ok(),
        _ => None,
    }
}

/// PlantUML's hex encoding; like PlantUML, an odd last digit is ignored. Each pair is read as
/// Java's `Integer.parseInt(pair, 16)` reads it, so a leading `+` is a sign, not an error.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// PlantUML's `AsciiEncoder.decode`: four characters to three bytes, the last group padded with
/// `0`. Its table is zero-initialised, so an ASCII character outside the alphabet reads as 0; a
/// character beyond ASCII is out of the table's bounds (an exception: not this encoding).
fn decode_plantuml_ascii(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            b'-' => 62,
            b'_' => 63,
            _ => 0,
        }
    }
    if !text.is_ascii() {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4 + 3);
    for chunk in text.as_bytes().chunks(4) {
        let c = |i: usize| chunk.get(i).copied().map_or(0, value);
        out.push((c(0) << 2) | (c(1) >> 4));
        out.push(((c(1) & 0x0f) << 4) | (c(2) >> 2));
        out.push(((c(2) & 0x03) << 6) | c(3));
    }
    Some(out)
}

#[cfg(test)]
mod tests;
