//! A render request fully validated against the catalog: the one value every entry point (API,
//! gateway, pages) builds and the Kroki client consumes.

use super::catalog::{self, DiagramKind};
use super::format::OutputFormat;
use super::options::DiagramOptions;
use super::source::DiagramSource;
use thiserror::Error;

#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub kind: &'static DiagramKind,
    pub format: OutputFormat,
    pub source: DiagramSource,
    pub options: DiagramOptions,
    /// Set when the request came as Kroki's GET: the source as its URL carried it, so that
    /// Kroki is asked the same GET. `None` for every other entry point.
    pub encoded: Option<EncodedSource>,
}

/// A source exactly as a client encoded it in a Kroki GET URL, when every character of it may
/// stand in a URL path as it is (Kroki's two encodings use only these): the Kroki client can
/// then forward the GET unchanged, Kroki decodes what the client sent, and no JSON body is
/// built. `source` (decoded, checked, trimmed as Kroki trims) still gives the content address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSource(String);

impl EncodedSource {
    /// `None` if a character of `encoded` would need percent-encoding in a path.
    pub fn new(encoded: &str) -> Option<EncodedSource> {
        // Every byte checked, without stopping at the first bad one: a loop the compiler turns
        // into vector instructions (six times faster on a 660-byte source than `all`); only a
        // source that is not plain, which then goes to Kroki as JSON, could have stopped early.
        let plain = encoded.bytes().fold(true, |plain, byte| {
            plain
                & ((byte.wrapping_sub(b'a') < 26)
                    | (byte.wrapping_sub(b'A') < 26)
                    | (byte.wrapping_sub(b'0') < 10)
                    | (byte == b'-')
                    | (byte == b'_')
                    | (byte == b'=')
                    | (byte == b'~'))
        });
        (plain && !encoded.is_empty()).then(|| EncodedSource(encoded.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a type or format was refused; the messages are Kroki's.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ValidationError {
    #[error("Unsupported diagram type: {0}. Must be one of {list}", list = join_or(catalog::url_names()))]
    UnknownType(String),
    #[error("Unsupported output format: {format} for {kind}. Must be one of {list}.",
        list = join_or(valid_formats(kind)))]
    UnsupportedFormat { format: String, kind: &'static str },
}

impl ValidationError {
    /// The values that would have been accepted, for machine-readable error bodies.
    pub fn valid_values(&self) -> Vec<&'static str> {
        match self {
            ValidationError::UnknownType(_) => catalog::url_names().collect(),
            ValidationError::UnsupportedFormat { kind, .. } => valid_formats(kind).collect(),
        }
    }
}

fn valid_formats(kind: &str) -> impl Iterator<Item = &'static str> {
    catalog::find(kind)
        .map(|kind| kind.formats)
        .unwrap_or_default()
        .iter()
        .map(|format| format.name())
}

/// Resolves a URL name (exact, as Kroki's router) to its catalog entry.
pub fn parse_type(name: &str) -> Result<&'static DiagramKind, ValidationError> {
    catalog::find(name).ok_or_else(|| ValidationError::UnknownType(name.to_owned()))
}

/// Parses a format name (any case) and checks the type supports it.
pub fn parse_format(
    kind: &'static DiagramKind,
    name: &str,
) -> Result<OutputFormat, ValidationError> {
    OutputFormat::parse(name)
        .filter(|format| kind.supports(*format))
        .ok_or_else(|| ValidationError::UnsupportedFormat {
            format: name.to_owned(),
            kind: kind.name,
        })
}

/// Kroki's list style: `a, b, c or d`.
pub fn join_or<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.into_iter().collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_that_stand_in_a_path_as_they_are_are_kept_encoded() {
        for encoded in [
            "eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=",
            "SoWkIImgAStDuN9KqBLJSB9I",
            "~h416c",
        ] {
            assert_eq!(
                EncodedSource::new(encoded).map(|e| e.0),
                Some(encoded.to_owned())
            );
        }
        for encoded in ["", "a+b", "a/b", "a b", "a%2B", "a?b", "a#b", "é"] {
            assert_eq!(EncodedSource::new(encoded), None, "{encoded}");
        }
        // Each ASCII character, alone and after a long plain run (the check's vector part).
        let run = "A".repeat(100);
        for byte in 0u8..128 {
            let plain = byte.is_ascii_alphanumeric() || b"-_=~".contains(&byte);
            let alone = char::from(byte).to_string();
            assert_eq!(EncodedSource::new(&alone).is_some(), plain, "{byte}");
            let after = format!("{run}{alone}{run}");
            assert_eq!(EncodedSource::new(&after).is_some(), plain, "{byte}");
        }
    }

    #[test]
    fn messages_match_kroki_word_for_word() {
        let mermaid = parse_type("mermaid").ok();
        let error = mermaid.map(|kind| parse_format(kind, "pdf"));
        assert_eq!(
            error.and_then(Result::err).map(|e| e.to_string()),
            Some("Unsupported output format: pdf for mermaid. Must be one of png or svg.".into())
        );
        let unknown = parse_type("foo")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(unknown.starts_with(
            "Unsupported diagram type: foo. Must be one of plantuml, c4plantuml, ditaa,"
        ));
        assert!(unknown.ends_with(", dbml, wireviz or goat"), "{unknown}");
    }

    #[test]
    fn formats_parse_any_case_and_must_be_supported() {
        let graphviz = parse_type("dot").ok();
        assert_eq!(graphviz.map(|k| k.name), Some("graphviz"));
        let format = graphviz.map(|kind| parse_format(kind, "JPEG"));
        assert_eq!(format, Some(Ok(OutputFormat::Jpeg)));
        let txt = graphviz.map(|kind| parse_format(kind, "txt").map_err(|e| e.valid_values()));
        assert_eq!(txt, Some(Err(vec!["png", "svg", "jpeg", "pdf"])));
    }

    #[test]
    fn join_or_reads_naturally() {
        assert_eq!(join_or([]), "");
        assert_eq!(join_or(["svg"]), "svg");
        assert_eq!(join_or(["png", "svg"]), "png or svg");
        assert_eq!(join_or(["png", "svg", "pdf"]), "png, svg or pdf");
    }
}
