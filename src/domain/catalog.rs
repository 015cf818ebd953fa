//! The one table of truth: every diagram type Kroki serves, its URL names, the output formats it
//! supports (in Kroki's own order, which its error messages use), the companion service it needs,
//! and what the UI shows about it. Validation, the API, the gateway, health probes, the UI and the
//! docs all read this table; nothing else lists diagram types.

use super::format::OutputFormat::{self, Base64, Jpeg, Pdf, Png, Svg, Txt, Utxt};
use serde::Serialize;

/// A Kroki companion: a separate container that Kroki delegates some diagram types to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Companion {
    Mermaid,
    Bpmn,
    Excalidraw,
    Diagramsnet,
}

impl Companion {
    pub const ALL: [Companion; 4] = [
        Companion::Mermaid,
        Companion::Bpmn,
        Companion::Excalidraw,
        Companion::Diagramsnet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Companion::Mermaid => "mermaid",
            Companion::Bpmn => "bpmn",
            Companion::Excalidraw => "excalidraw",
            Companion::Diagramsnet => "diagramsnet",
        }
    }

    pub fn parse(name: &str) -> Option<Companion> {
        Companion::ALL
            .into_iter()
            .find(|companion| companion.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The diagram types that cannot render while this companion is down.
    pub fn diagram_types(self) -> impl Iterator<Item = &'static DiagramKind> {
        CATALOG
            .iter()
            .filter(move |kind| kind.companion == Some(self))
    }

    /// The type used to probe this companion through Kroki.
    pub fn probe_kind(self) -> &'static DiagramKind {
        self.diagram_types().next().unwrap_or(&CATALOG[0])
    }
}

/// How the UI groups types in its selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Uml,
    Graph,
    Chart,
    Data,
    Hardware,
    Sketch,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Uml => "UML and architecture",
            Category::Graph => "Graphs and flows",
            Category::Chart => "Charts and timing",
            Category::Data => "Data and schemas",
            Category::Hardware => "Hardware and networks",
            Category::Sketch => "Sketches and ASCII art",
        }
    }
}

/// One diagram type as Kroki serves it.
#[derive(Debug, Serialize)]
pub struct DiagramKind {
    /// The canonical URL name, as in `/{name}/svg/...`.
    pub name: &'static str,
    /// Other URL names Kroki accepts for the same renderer and output.
    pub aliases: &'static [&'static str],
    pub title: &'static str,
    pub description: &'static str,
    pub category: Category,
    /// Supported formats in Kroki's order (used verbatim in its error messages).
    pub formats: &'static [OutputFormat],
    pub companion: Option<Companion>,
    /// Kroki trims GET-decoded sources except for whitespace-sensitive ASCII-art types.
    #[serde(skip)]
    pub trims_get_source: bool,
    /// Decoded with PlantUML's own encodings before Kroki's (plantuml, c4plantuml).
    #[serde(skip)]
    pub plantuml_encoding: bool,
    /// The file extension for the type's example and for saved sources.
    pub source_extension: &'static str,
}

impl DiagramKind {
    pub fn supports(&self, format: OutputFormat) -> bool {
        self.formats.contains(&format)
    }

    pub fn default_format(&self) -> OutputFormat {
        if self.supports(Svg) {
            Svg
        } else {
            self.formats[0]
        }
    }

    pub fn url_names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

const PLANTUML_FORMATS: &[OutputFormat] = &[Png, Svg, Pdf, Base64, Txt, Utxt];
const BLOCKDIAG_FORMATS: &[OutputFormat] = &[Png, Svg, Pdf];
const GRAPHVIZ_FORMATS: &[OutputFormat] = &[Png, Svg, Jpeg, Pdf];
const VEGA_FORMATS: &[OutputFormat] = &[Svg, Png, Pdf];
const SVG_ONLY: &[OutputFormat] = &[Svg];

macro_rules! kind {
    ($name:literal, $aliases:expr, $title:literal, $category:ident, $formats:expr, $companion:expr, $ext:literal, $description:literal) => {
        DiagramKind {
            name: $name,
            aliases: $aliases,
            title: $title,
            description: $description,
            category: Category::$category,
            formats: $formats,
            companion: $companion,
            trims_get_source: true,
            plantuml_encoding: false,
            source_extension: $ext,
        }
    };
}

/// Every diagram type of Kroki 0.32.1, in the order of its documentation.
pub static CATALOG: [DiagramKind; 30] = [
    DiagramKind {
        plantuml_encoding: true,
        ..kind!(
            "plantuml",
            &[],
            "PlantUML",
            Uml,
            PLANTUML_FORMATS,
            None,
            "puml",
            "UML sequence, class, activity, state, component and deployment diagrams, and more"
        )
    },
    DiagramKind {
        plantuml_encoding: true,
        ..kind!(
            "c4plantuml",
            &[],
            "C4 with PlantUML",
            Uml,
            PLANTUML_FORMATS,
            None,
            "puml",
            "C4 model context, container and component diagrams in PlantUML"
        )
    },
    DiagramKind {
        trims_get_source: false,
        ..kind!(
            "ditaa",
            &[],
            "Ditaa",
            Sketch,
            &[Svg, Png],
            None,
            "ditaa",
            "Diagrams drawn as ASCII art, turned into proper figures"
        )
    },
    kind!(
        "blockdiag",
        &[],
        "BlockDiag",
        Graph,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Simple block diagrams from a dot-like text"
    ),
    kind!(
        "seqdiag",
        &[],
        "SeqDiag",
        Uml,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Sequence diagrams in the blockdiag style"
    ),
    kind!(
        "actdiag",
        &[],
        "ActDiag",
        Graph,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Activity diagrams with swim lanes"
    ),
    kind!(
        "nwdiag",
        &[],
        "NwDiag",
        Hardware,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Network diagrams: segments, hosts and addresses"
    ),
    kind!(
        "packetdiag",
        &[],
        "PacketDiag",
        Hardware,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Packet header layouts"
    ),
    kind!(
        "rackdiag",
        &[],
        "RackDiag",
        Hardware,
        BLOCKDIAG_FORMATS,
        None,
        "diag",
        "Server rack elevations"
    ),
    kind!(
        "umlet",
        &[],
        "UMLet",
        Uml,
        &[Svg, Png, Jpeg],
        None,
        "uxf",
        "UML diagrams from UMLet's XML format"
    ),
    kind!(
        "graphviz",
        &["dot"],
        "Graphviz",
        Graph,
        GRAPHVIZ_FORMATS,
        None,
        "dot",
        "Graphs in the DOT language, laid out by Graphviz"
    ),
    kind!(
        "erd",
        &[],
        "Erd",
        Data,
        GRAPHVIZ_FORMATS,
        None,
        "erd",
        "Entity-relationship diagrams from a plain text description"
    ),
    DiagramKind {
        trims_get_source: false,
        ..kind!(
            "svgbob",
            &[],
            "Svgbob",
            Sketch,
            SVG_ONLY,
            None,
            "bob",
            "ASCII art turned into SVG line drawings"
        )
    },
    DiagramKind {
        trims_get_source: false,
        ..kind!(
            "symbolator",
            &[],
            "Symbolator",
            Hardware,
            &[Svg, Png],
            None,
            "sv",
            "Component symbols from VHDL and Verilog declarations"
        )
    },
    kind!(
        "nomnoml",
        &[],
        "Nomnoml",
        Uml,
        SVG_ONLY,
        None,
        "nomnoml",
        "UML-ish diagrams with a terse, friendly syntax"
    ),
    kind!(
        "mermaid",
        &[],
        "Mermaid",
        Graph,
        &[Png, Svg],
        Some(Companion::Mermaid),
        "mmd",
        "Flowcharts, sequence, class, state, Gantt, pie and more, in Markdown-like text"
    ),
    kind!(
        "vega",
        &[],
        "Vega",
        Chart,
        VEGA_FORMATS,
        None,
        "vg.json",
        "Interactive-grammar charts from a Vega JSON specification"
    ),
    kind!(
        "vegalite",
        &[],
        "Vega-Lite",
        Chart,
        VEGA_FORMATS,
        None,
        "vl.json",
        "Charts from a concise Vega-Lite JSON specification"
    ),
    kind!(
        "wavedrom",
        &[],
        "WaveDrom",
        Chart,
        SVG_ONLY,
        None,
        "json5",
        "Digital timing diagrams from WaveJSON"
    ),
    kind!(
        "bpmn",
        &[],
        "BPMN",
        Graph,
        SVG_ONLY,
        Some(Companion::Bpmn),
        "bpmn",
        "Business process models in BPMN 2.0 XML"
    ),
    kind!(
        "bytefield",
        &[],
        "Bytefield",
        Data,
        SVG_ONLY,
        None,
        "edn",
        "Byte field layouts of binary formats and protocols"
    ),
    kind!(
        "excalidraw",
        &[],
        "Excalidraw",
        Sketch,
        SVG_ONLY,
        Some(Companion::Excalidraw),
        "excalidraw",
        "Hand-drawn style sketches from Excalidraw's JSON"
    ),
    kind!(
        "pikchr",
        &[],
        "Pikchr",
        Graph,
        SVG_ONLY,
        None,
        "pikchr",
        "PIC-like technical drawings"
    ),
    kind!(
        "structurizr",
        &[],
        "Structurizr",
        Uml,
        PLANTUML_FORMATS,
        None,
        "dsl",
        "C4 models written in the Structurizr DSL"
    ),
    kind!(
        "diagramsnet",
        &[],
        "diagrams.net",
        Sketch,
        &[Png, Svg],
        Some(Companion::Diagramsnet),
        "drawio",
        "diagrams.net (draw.io) XML files (experimental in Kroki)"
    ),
    kind!(
        "d2",
        &[],
        "D2",
        Graph,
        SVG_ONLY,
        None,
        "d2",
        "Declarative diagrams in the D2 language"
    ),
    kind!(
        "tikz",
        &[],
        "TikZ",
        Chart,
        &[Jpeg, Pdf, Png, Svg],
        None,
        "tex",
        "LaTeX TikZ drawings"
    ),
    kind!(
        "dbml",
        &[],
        "DBML",
        Data,
        SVG_ONLY,
        None,
        "dbml",
        "Database schemas in the Database Markup Language"
    ),
    kind!(
        "wireviz",
        &[],
        "WireViz",
        Hardware,
        &[Png, Svg],
        None,
        "yaml",
        "Cable and wiring harness documentation from YAML"
    ),
    DiagramKind {
        trims_get_source: false,
        ..kind!(
            "goat",
            &[],
            "GoAT",
            Sketch,
            SVG_ONLY,
            None,
            "txt",
            "Go ASCII tool: ASCII art to SVG"
        )
    },
];

/// Finds a type by its exact URL name or alias (case-sensitive, as Kroki's router is).
pub fn find(url_name: &str) -> Option<&'static DiagramKind> {
    CATALOG
        .iter()
        .find(|kind| kind.url_names().any(|name| name == url_name))
}

/// Every URL name Kroki routes, canonical names and aliases, in catalog order.
pub fn url_names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().flat_map(DiagramKind::url_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kroki_routes_exactly_31_url_names() {
        let names: Vec<_> = url_names().collect();
        assert_eq!(names.len(), 31);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 31, "duplicate URL names in {names:?}");
    }

    #[test]
    fn lookup_is_exact_and_resolves_aliases() {
        assert_eq!(find("dot").map(|k| k.name), Some("graphviz"));
        assert_eq!(find("graphviz").map(|k| k.name), Some("graphviz"));
        assert!(find("Graphviz").is_none());
        assert!(find("jpg").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn formats_follow_the_protocol_matrix() {
        let formats = |name: &str| find(name).map(|k| k.formats.to_vec()).unwrap_or_default();
        assert_eq!(formats("plantuml"), vec![Png, Svg, Pdf, Base64, Txt, Utxt]);
        assert_eq!(formats("mermaid"), vec![Png, Svg]);
        assert_eq!(formats("tikz"), vec![Jpeg, Pdf, Png, Svg]);
        assert_eq!(formats("ditaa"), vec![Svg, Png]);
        assert_eq!(formats("umlet"), vec![Svg, Png, Jpeg]);
        assert_eq!(formats("d2"), vec![Svg]);
        assert!(CATALOG.iter().all(|k| !k.formats.is_empty()));
    }

    #[test]
    fn companions_cover_their_types() {
        let names = |c: Companion| c.diagram_types().map(|k| k.name).collect::<Vec<_>>();
        assert_eq!(names(Companion::Mermaid), vec!["mermaid"]);
        assert_eq!(names(Companion::Bpmn), vec!["bpmn"]);
        assert_eq!(names(Companion::Excalidraw), vec!["excalidraw"]);
        assert_eq!(names(Companion::Diagramsnet), vec!["diagramsnet"]);
        assert_eq!(Companion::parse(" Mermaid "), Some(Companion::Mermaid));
        assert_eq!(Companion::parse("kroki"), None);
    }

    #[test]
    fn whitespace_sensitive_types_are_not_trimmed() {
        let untrimmed: Vec<_> = CATALOG
            .iter()
            .filter(|k| !k.trims_get_source)
            .map(|k| k.name)
            .collect();
        assert_eq!(untrimmed, vec!["ditaa", "svgbob", "symbolator", "goat"]);
    }

    #[test]
    fn every_type_defaults_to_a_format_it_supports() {
        for kind in &CATALOG {
            assert!(kind.supports(kind.default_format()), "{}", kind.name);
        }
        assert_eq!(find("tikz").map(|k| k.default_format()), Some(Svg));
        assert_eq!(find("mermaid").map(|k| k.default_format()), Some(Svg));
    }
}
