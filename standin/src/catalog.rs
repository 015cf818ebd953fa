//! The diagram type × output format matrix of Kroki 0.32.1 (protocol page §4).
//!
//! The order of [`TYPES`] and of each type's `formats` is the order Kroki uses in its error
//! messages (`Must be one of png, svg or pdf.`). Type names are case-sensitive, format names
//! case-insensitive, and `jpg` is not a format.

/// Kroki's version, as reported by `/health` and the hello page.
pub const KROKI_VERSION: &str = "0.32.1";

/// The build hash the stand-in reports in `/health` (`app.sha1` in real Kroki).
pub const BUILD_HASH: &str = "standin";

/// An output format (`FileFormat` in Kroki).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `png`
    Png,
    /// `svg`
    Svg,
    /// `jpeg`
    Jpeg,
    /// `pdf`
    Pdf,
    /// `base64` (a `data:image/png;base64,` URI)
    Base64,
    /// `txt` (ASCII art)
    Txt,
    /// `utxt` (Unicode art)
    Utxt,
}

impl Format {
    /// All formats, in Kroki's enum order.
    pub const ALL: [Format; 7] = [
        Format::Png,
        Format::Svg,
        Format::Jpeg,
        Format::Pdf,
        Format::Base64,
        Format::Txt,
        Format::Utxt,
    ];

    /// `FileFormat.get`: case-insensitive, `None` for blank or unknown names.
    pub fn parse(name: &str) -> Option<Format> {
        if name.trim().is_empty() {
            return None;
        }
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The lowercase name used in URLs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
            Format::Jpeg => "jpeg",
            Format::Pdf => "pdf",
            Format::Base64 => "base64",
            Format::Txt => "txt",
            Format::Utxt => "utxt",
        }
    }

    /// The Content-Type of a successful response (`ContentType.java`).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
            Format::Jpeg => "image/jpeg",
            Format::Pdf => "application/pdf",
            Format::Base64 => "text/plain; charset=x-user-defined",
            Format::Txt => "text/plain",
            Format::Utxt => "text/plain; charset=utf-8",
        }
    }

    /// `ContentType.get(String)`: exact comparison with the Content-Type table.
    pub fn from_mime(mime: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.content_type() == mime)
    }
}

/// A companion micro-service that renders some types in real Kroki.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Companion {
    /// Its name: `mermaid`, `bpmn`, `excalidraw` or `diagramsnet`.
    pub name: &'static str,
    /// The port the gateway connects to by default.
    pub port: u16,
}

/// The four companions.
pub const COMPANIONS: [Companion; 4] = [
    Companion {
        name: "mermaid",
        port: 8002,
    },
    Companion {
        name: "bpmn",
        port: 8003,
    },
    Companion {
        name: "excalidraw",
        port: 8004,
    },
    Companion {
        name: "diagramsnet",
        port: 8005,
    },
];

/// One URL name of a diagram type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagramType {
    /// The URL name (`/{name}/...`).
    pub name: &'static str,
    /// Supported formats, in the order of Kroki's error messages.
    pub formats: &'static [Format],
    /// The engine version reported by `/health` and used in the ETag.
    pub version: &'static str,
    /// The companion that renders it, if any.
    pub companion: Option<Companion>,
    /// Whether GET decoding trims the source (false for ditaa, svgbob, symbolator and goat).
    pub trims: bool,
    /// Whether GET sources go through PlantUML's decoder first (plantuml, c4plantuml).
    pub plantuml_decoder: bool,
}

use Format::{Base64, Jpeg, Pdf, Png, Svg, Txt, Utxt};

const PLANTUML_FORMATS: &[Format] = &[Png, Svg, Pdf, Base64, Txt, Utxt];
const BLOCKDIAG_FORMATS: &[Format] = &[Png, Svg, Pdf];
const GRAPHVIZ_FORMATS: &[Format] = &[Png, Svg, Jpeg, Pdf];
const SVG_ONLY: &[Format] = &[Svg];
const SVG_PNG: &[Format] = &[Svg, Png];
const PNG_SVG: &[Format] = &[Png, Svg];
const VEGA_FORMATS: &[Format] = &[Svg, Png, Pdf];

const fn ty(name: &'static str, formats: &'static [Format], version: &'static str) -> DiagramType {
    DiagramType {
        name,
        formats,
        version,
        companion: None,
        trims: true,
        plantuml_decoder: false,
    }
}

const fn companion(
    name: &'static str,
    formats: &'static [Format],
    version: &'static str,
    index: usize,
) -> DiagramType {
    DiagramType {
        companion: Some(COMPANIONS[index]),
        ..ty(name, formats, version)
    }
}

const fn untrimmed(
    name: &'static str,
    formats: &'static [Format],
    version: &'static str,
) -> DiagramType {
    DiagramType {
        trims: false,
        ..ty(name, formats, version)
    }
}

const fn plantuml(name: &'static str) -> DiagramType {
    DiagramType {
        plantuml_decoder: true,
        ..ty(name, PLANTUML_FORMATS, "1.2026.6")
    }
}

/// The 31 URL names, in registration order.
pub const TYPES: [DiagramType; 31] = [
    plantuml("plantuml"),
    plantuml("c4plantuml"),
    untrimmed("ditaa", SVG_PNG, "1.0.3"),
    ty("blockdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("seqdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("actdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("nwdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("packetdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("rackdiag", BLOCKDIAG_FORMATS, "3.4.2"),
    ty("umlet", &[Svg, Png, Jpeg], "15.1"),
    ty("graphviz", GRAPHVIZ_FORMATS, "14.1.3"),
    ty("dot", GRAPHVIZ_FORMATS, "14.1.3"),
    ty("erd", GRAPHVIZ_FORMATS, "0.2.3"),
    untrimmed("svgbob", SVG_ONLY, "0.7.6"),
    untrimmed("symbolator", SVG_PNG, "1.2.2"),
    ty("nomnoml", SVG_ONLY, "1.7.0"),
    companion("mermaid", PNG_SVG, "11.16.0", 0),
    ty("vega", VEGA_FORMATS, "6.3.1"),
    ty("vegalite", VEGA_FORMATS, "6.4.3"),
    ty("wavedrom", SVG_ONLY, "3.6.2"),
    companion("bpmn", SVG_ONLY, "18.22.1", 1),
    ty("bytefield", SVG_ONLY, "1.11.0"),
    companion("excalidraw", SVG_ONLY, "0.18.1", 2),
    ty("pikchr", SVG_ONLY, "7269f78c4a"),
    ty("structurizr", PLANTUML_FORMATS, "6.2.2"),
    companion("diagramsnet", PNG_SVG, "16.2.4", 3),
    ty("d2", SVG_ONLY, "0.7.1"),
    ty("tikz", &[Jpeg, Pdf, Png, Svg], "3.1.9a"),
    ty("dbml", SVG_ONLY, "1.0.31"),
    ty("wireviz", PNG_SVG, "0.3.3"),
    untrimmed("goat", SVG_ONLY, "undefined"),
];

/// Looks a type up by its exact (case-sensitive) URL name.
pub fn find(name: &str) -> Option<&'static DiagramType> {
    TYPES.iter().find(|t| t.name == name)
}

/// Looks a companion up by name.
pub fn find_companion(name: &str) -> Option<Companion> {
    COMPANIONS.into_iter().find(|c| c.name == name)
}

impl DiagramType {
    /// Whether the type supports `format`.
    pub fn supports(&self, format: Format) -> bool {
        self.formats.contains(&format)
    }

    /// `a, b or c` list of the supported format names.
    pub fn format_names(&self) -> String {
        one_of(self.formats.iter().map(|f| f.name()))
    }

    /// `a, b or c` list of the supported MIME types.
    pub fn mime_names(&self) -> String {
        one_of(self.formats.iter().map(|f| f.content_type()))
    }
}

/// Kroki's `Message.oneOf`: `a`, `a or b`, `a, b or c`.
pub fn one_of<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let items: Vec<S> = items.into_iter().collect();
    let mut out = String::new();
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i == last { " or " } else { ", " });
        }
        out.push_str(item.as_ref());
    }
    out
}

/// The list of all type names, as used in `Unsupported diagram type: ...`.
pub fn all_type_names() -> String {
    one_of(TYPES.iter().map(|t| t.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_one_distinct_names() {
        let mut names: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 31);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 31);
    }

    #[test]
    fn one_of_joins_like_kroki() {
        assert_eq!(one_of(Vec::<&str>::new()), "");
        assert_eq!(one_of(["a"]), "a");
        assert_eq!(one_of(["a", "b"]), "a or b");
        assert_eq!(one_of(["a", "b", "c"]), "a, b or c");
        assert_eq!(one_of(["a", "b", "c", "d"]), "a, b, c or d");
    }

    #[test]
    fn format_lists_follow_kroki_order() {
        let mermaid = find("mermaid").map(|t| t.format_names());
        assert_eq!(mermaid.as_deref(), Some("png or svg"));
        let graphviz = find("graphviz").map(|t| t.mime_names());
        assert_eq!(
            graphviz.as_deref(),
            Some("image/png, image/svg+xml, image/jpeg or application/pdf")
        );
        let plantuml = find("plantuml").map(|t| t.format_names());
        assert_eq!(
            plantuml.as_deref(),
            Some("png, svg, pdf, base64, txt or utxt")
        );
        let tikz = find("tikz").map(|t| t.format_names());
        assert_eq!(tikz.as_deref(), Some("jpeg, pdf, png or svg"));
    }

    #[test]
    fn format_parsing_is_case_insensitive_and_rejects_jpg() {
        assert_eq!(Format::parse("SVG"), Some(Format::Svg));
        assert_eq!(Format::parse("Png"), Some(Format::Png));
        assert_eq!(Format::parse("jpg"), None);
        assert_eq!(Format::parse(""), None);
        assert_eq!(Format::parse("  "), None);
    }

    #[test]
    fn type_names_are_case_sensitive() {
        assert!(find("graphviz").is_some());
        assert!(find("GraphViz").is_none());
        assert!(find("health").is_none());
    }

    #[test]
    fn companions_and_trimming() {
        assert_eq!(
            find("mermaid").and_then(|t| t.companion).map(|c| c.port),
            Some(8002)
        );
        assert_eq!(
            find("bpmn").and_then(|t| t.companion).map(|c| c.port),
            Some(8003)
        );
        assert_eq!(
            find("excalidraw").and_then(|t| t.companion).map(|c| c.port),
            Some(8004)
        );
        assert_eq!(
            find("diagramsnet")
                .and_then(|t| t.companion)
                .map(|c| c.port),
            Some(8005)
        );
        for name in ["ditaa", "svgbob", "symbolator", "goat"] {
            assert_eq!(find(name).map(|t| t.trims), Some(false), "{name}");
        }
        assert_eq!(find("graphviz").map(|t| t.trims), Some(true));
        assert_eq!(find("c4plantuml").map(|t| t.plantuml_decoder), Some(true));
    }

    #[test]
    fn mime_lookup_is_exact() {
        assert_eq!(Format::from_mime("image/png"), Some(Format::Png));
        assert_eq!(Format::from_mime("text/plain"), Some(Format::Txt));
        assert_eq!(Format::from_mime("IMAGE/PNG"), None);
        assert_eq!(Format::from_mime("image/*"), None);
    }
}
