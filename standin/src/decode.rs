//! Decoding of GET sources, as Kroki does it (protocol page §2), over the app's own encoding
//! (the workspace crate `kroki-encoding`): what is Kroki's and not the app's stays here.
//!
//! * [`decode_kroki`]: `DiagramSource.decode`: the shared decoder, then Java `String.trim`
//!   unless the type keeps whitespace.
//! * [`decode_plantuml`]: `DiagramSource.plantumlDecode`: `URLDecoder.decode` (which throws on a
//!   malformed `%` escape: Kroki's 500), PlantUML's own encodings, then the Kroki decoder.
//! * [`DecodeError::message`]: Kroki's message for each failure.

pub use kroki_encoding::{java_trim, plantuml_ascii_encode};

/// Decoded sources larger than this are refused (a guard against inflate bombs; Kroki has none).
const MAX_DECODED: usize = 64 * 1024 * 1024;

/// Why a source could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Blank input.
    Empty,
    /// Not valid URL-safe Base64.
    Base64,
    /// Not a valid zlib stream (or larger than the stand-in's guard).
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

impl From<kroki_encoding::DecodeError> for DecodeError {
    fn from(error: kroki_encoding::DecodeError) -> DecodeError {
        match error {
            kroki_encoding::DecodeError::Empty => DecodeError::Empty,
            kroki_encoding::DecodeError::InvalidBase64 => DecodeError::Base64,
            kroki_encoding::DecodeError::InvalidCompression
            | kroki_encoding::DecodeError::TooLarge { .. } => DecodeError::Inflate,
        }
    }
}

/// Java's `s.trim().isEmpty()`.
pub fn java_is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// `DiagramSource.decode(encoded, trim)`.
pub fn decode_kroki(encoded: &str, trim: bool) -> Result<String, DecodeError> {
    let text = kroki_encoding::decode(encoded, MAX_DECODED)?;
    Ok(if trim {
        java_trim(&text).to_owned()
    } else {
        text
    })
}

/// `DiagramSource.plantumlDecode`: PlantUML's native encodings first, then [`decode_kroki`].
///
/// The native path returns the text as encoded (real Kroki also wraps it in `@startuml`/`@enduml`,
/// which PlantUML does anyway when rendering).
pub fn decode_plantuml(encoded: &str) -> Result<String, DecodeError> {
    let text = form_url_decode(encoded).ok_or(DecodeError::Internal)?;
    match kroki_encoding::decode_plantuml_native(&text, MAX_DECODED) {
        Some(decoded) => Ok(decoded?),
        None => decode_kroki(&text, true),
    }
}

/// `URLDecoder.decode(s, UTF-8)`: `+` becomes a space, `%XX` sequences are UTF-8 bytes.
/// Returns `None` for a malformed escape (Java throws `IllegalArgumentException`).
pub fn form_url_decode(s: &str) -> Option<String> {
    let mut rest = s;
    while let Some(at) = rest.find('%') {
        let escape = rest.as_bytes().get(at + 1..at + 3)?;
        if !escape.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        rest = &rest[at + 3..];
    }
    Some(kroki_encoding::percent_decode(s, true))
}

/// Lenient form decoding for query strings: like [`form_url_decode`] but malformed escapes stay as they are.
pub fn query_decode(s: &str) -> String {
    kroki_encoding::percent_decode(s, true)
}

/// Path-segment decoding (`decodeURIComponent(value, false)`): `%XX` decoded, `+` kept.
/// Malformed escapes stay as they are.
pub fn path_decode(s: &str) -> String {
    kroki_encoding::percent_decode(s, false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! What the stand-in adds to the shared encoding (whose own tests hold the vectors): the
    //! trimming, Kroki's messages, and the exception on a malformed escape.
    use super::*;

    #[test]
    fn get_sources_are_trimmed_unless_asked_not_to() {
        let encoded = kroki_encoding::encode("\u{0} \t\n  +--+\n  |  |\n  +--+\n\n");
        assert_eq!(
            decode_kroki(&encoded, true).as_deref(),
            Ok("+--+\n  |  |\n  +--+")
        );
        assert_eq!(
            decode_kroki(&encoded, false).as_deref(),
            Ok("\u{0} \t\n  +--+\n  |  |\n  +--+\n\n")
        );
        // The PlantUML decoder's fallback to Kroki's encoding trims; its native path does not.
        assert_eq!(
            decode_plantuml(&kroki_encoding::encode("\n@startuml\n@enduml\n")).as_deref(),
            Ok("@startuml\n@enduml")
        );
        assert_eq!(
            decode_plantuml(&kroki_encoding::encode_plantuml("\nBob -> Alice\n")).as_deref(),
            Ok("\nBob -> Alice\n")
        );
    }

    #[test]
    fn failures_carry_krokis_messages() {
        assert_eq!(
            decode_kroki("  \t", true).map_err(|e| e.message()),
            Err("Unable to decode the source. Source must not be null or empty.")
        );
        assert_eq!(
            decode_kroki("eNpLyUwv/SizIUKhWSFTQtVNIUqgFADrsBaY=", true).map_err(|e| e.message()),
            Err("Unable to decode the source. The source is not in valid Base64 scheme.")
        );
        assert_eq!(
            decode_kroki("aGVsbG8gd29ybGQ=", true).map_err(|e| e.message()),
            Err("Unable to decode the source.")
        );
        assert_eq!(
            decode_plantuml("").map_err(|e| e.message()),
            decode_kroki("", true).map_err(|e| e.message())
        );
    }

    #[test]
    fn a_malformed_escape_is_krokis_uncaught_exception() {
        assert_eq!(decode_plantuml("abc%zz"), Err(DecodeError::Internal));
        assert_eq!(decode_plantuml("abc%2"), Err(DecodeError::Internal));
        assert_eq!(decode_plantuml("not*valid"), Err(DecodeError::Base64));
        assert_eq!(
            decode_plantuml("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY%3D").as_deref(),
            Ok("digraph { a -> b }")
        );
    }

    #[test]
    fn form_and_path_decoding() {
        assert_eq!(form_url_decode("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(form_url_decode("%E2%86%92").as_deref(), Some("→"));
        assert_eq!(form_url_decode("%2"), None);
        assert_eq!(form_url_decode("%+f"), None);
        assert_eq!(path_decode("a+b%20c%zz"), "a+b c%zz");
        assert_eq!(query_decode("a+b%20c%zz"), "a b c%zz");
    }
}
