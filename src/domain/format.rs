//! Output formats: the seven Kroki knows, parsed case-insensitively as Kroki's `FileFormat` does.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Png,
    Svg,
    Jpeg,
    Pdf,
    Txt,
    Utxt,
    Base64,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 7] = [
        OutputFormat::Png,
        OutputFormat::Svg,
        OutputFormat::Jpeg,
        OutputFormat::Pdf,
        OutputFormat::Txt,
        OutputFormat::Utxt,
        OutputFormat::Base64,
    ];

    /// Kroki accepts format names in any letter case; `jpg` is not one of them.
    pub fn parse(name: &str) -> Option<OutputFormat> {
        OutputFormat::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Svg => "svg",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Pdf => "pdf",
            OutputFormat::Txt => "txt",
            OutputFormat::Utxt => "utxt",
            OutputFormat::Base64 => "base64",
        }
    }

    /// The Content-Type Kroki answers with for this format.
    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Png => "image/png",
            OutputFormat::Svg => "image/svg+xml",
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Pdf => "application/pdf",
            OutputFormat::Txt => "text/plain",
            OutputFormat::Utxt => "text/plain; charset=utf-8",
            OutputFormat::Base64 => "text/plain; charset=x-user-defined",
        }
    }

    /// The MIME type matched against `Accept` when a POST names no format. `base64` and `utxt`
    /// share `text/plain` with `txt` and so can never be chosen this way (as in Kroki).
    pub fn accept_mime(self) -> &'static str {
        match self {
            OutputFormat::Txt | OutputFormat::Utxt | OutputFormat::Base64 => "text/plain",
            other => other.content_type(),
        }
    }

    pub fn from_accept_mime(mime: &str) -> Option<OutputFormat> {
        [
            OutputFormat::Png,
            OutputFormat::Svg,
            OutputFormat::Jpeg,
            OutputFormat::Pdf,
            OutputFormat::Txt,
        ]
        .into_iter()
        .find(|format| format.accept_mime().eq_ignore_ascii_case(mime))
    }

    /// The extension of a downloaded file.
    pub fn file_extension(self) -> &'static str {
        match self {
            OutputFormat::Base64 => "b64.txt",
            OutputFormat::Utxt => "utxt.txt",
            other => other.name(),
        }
    }

    /// Binary image formats are already compressed; everything else is text.
    pub fn is_text(self) -> bool {
        !matches!(
            self,
            OutputFormat::Png | OutputFormat::Jpeg | OutputFormat::Pdf
        )
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_but_not_jpg() {
        assert_eq!(OutputFormat::parse("SVG"), Some(OutputFormat::Svg));
        assert_eq!(OutputFormat::parse("Png"), Some(OutputFormat::Png));
        assert_eq!(OutputFormat::parse("jpg"), None);
        assert_eq!(OutputFormat::parse(""), None);
        assert_eq!(OutputFormat::parse("svg "), None);
    }

    #[test]
    fn content_types_match_kroki() {
        assert_eq!(OutputFormat::Svg.content_type(), "image/svg+xml");
        assert_eq!(
            OutputFormat::Base64.content_type(),
            "text/plain; charset=x-user-defined"
        );
        assert_eq!(
            OutputFormat::Utxt.content_type(),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn accept_maps_text_plain_to_txt_only() {
        assert_eq!(
            OutputFormat::from_accept_mime("text/plain"),
            Some(OutputFormat::Txt)
        );
        assert_eq!(
            OutputFormat::from_accept_mime("image/svg+xml"),
            Some(OutputFormat::Svg)
        );
        assert_eq!(OutputFormat::from_accept_mime("image/*"), None);
    }
}
