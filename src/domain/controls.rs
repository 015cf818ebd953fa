//! The look controls per diagram type: a theme and a background, each mapped to the Kroki
//! diagram option that engine reads (Kroki's diagram-options page), so the source is never
//! rewritten. A type gets a control only where an engine has such an option. The editor offers
//! them, `/api/generate` checks its `diagram_theme` against them.

use crate::domain::{DiagramKind, OutputFormat};
use serde::Serialize;

/// A choice list that sets one diagram option.
#[derive(Debug, Serialize)]
pub struct ThemeControl {
    /// The Kroki diagram option the choice is sent as.
    pub option: &'static str,
    /// `(value, label)`; the empty value is the engine's own default (no option sent).
    pub choices: &'static [(&'static str, &'static str)],
}

/// A white or transparent background, for engines with an option for it.
#[derive(Debug, Serialize)]
pub struct BackgroundControl {
    pub option: &'static str,
    pub white: &'static str,
    pub transparent: &'static str,
    /// The formats the option has an effect on (all of the type's formats when empty).
    pub formats: &'static [OutputFormat],
}

const MERMAID_THEMES: &[(&str, &str)] = &[
    ("", "Default"),
    ("dark", "Dark"),
    ("neutral", "Neutral"),
    ("forest", "Forest"),
];

/// The themes Kroki's PlantUML accepts as the `theme` option (it prepends `!theme`).
const PLANTUML_THEMES: &[(&str, &str)] = &[
    ("", "Default"),
    ("amiga", "Amiga"),
    ("black-knight", "Black Knight"),
    ("bluegray", "Bluegray"),
    ("blueprint", "Blueprint"),
    ("cerulean", "Cerulean"),
    ("cerulean-outline", "Cerulean outline"),
    ("crt-amber", "CRT amber"),
    ("crt-green", "CRT green"),
    ("cyborg", "Cyborg"),
    ("cyborg-outline", "Cyborg outline"),
    ("hacker", "Hacker"),
    ("lightgray", "Lightgray"),
    ("materia", "Materia"),
    ("materia-outline", "Materia outline"),
    ("metal", "Metal"),
    ("mimeograph", "Mimeograph"),
    ("minty", "Minty"),
    ("plain", "Plain"),
    ("resume-light", "Resume light"),
    ("sandstone", "Sandstone"),
    ("silver", "Silver"),
    ("sketchy", "Sketchy"),
    ("sketchy-outline", "Sketchy outline"),
    ("spacelab", "Spacelab"),
    ("superhero", "Superhero"),
    ("superhero-outline", "Superhero outline"),
    ("united", "United"),
];

/// D2's built-in themes by numeric id, as Kroki passes them to `d2 --theme=`.
const D2_THEMES: &[(&str, &str)] = &[
    ("", "Default"),
    ("1", "Neutral grey"),
    ("3", "Flagship Terrastruct"),
    ("4", "Cool classics"),
    ("5", "Mixed berry blue"),
    ("6", "Grape soda"),
    ("7", "Aubergine"),
    ("8", "Colorblind clear"),
    ("100", "Vanilla nitro cola"),
    ("101", "Orange creamsicle"),
    ("102", "Shirley Temple"),
    ("103", "Earth tones"),
    ("104", "Everglade green"),
    ("105", "Buttered toast"),
];

pub fn theme(kind: &DiagramKind) -> Option<&'static ThemeControl> {
    static MERMAID: ThemeControl = ThemeControl {
        option: "theme",
        choices: MERMAID_THEMES,
    };
    static PLANTUML: ThemeControl = ThemeControl {
        option: "theme",
        choices: PLANTUML_THEMES,
    };
    static D2: ThemeControl = ThemeControl {
        option: "theme",
        choices: D2_THEMES,
    };
    match kind.name {
        "mermaid" => Some(&MERMAID),
        "plantuml" | "c4plantuml" => Some(&PLANTUML),
        "d2" => Some(&D2),
        _ => None,
    }
}

pub fn background(kind: &DiagramKind) -> Option<&'static BackgroundControl> {
    // Graphviz reads any graph attribute as `graph-attribute-<name>`.
    static GRAPHVIZ: BackgroundControl = BackgroundControl {
        option: "graph-attribute-bgcolor",
        white: "white",
        transparent: "transparent",
        formats: &[],
    };
    static SVGBOB: BackgroundControl = BackgroundControl {
        option: "background",
        white: "white",
        transparent: "transparent",
        formats: &[],
    };
    // blockdiag's `--no-transparency` applies to PNG output only.
    static BLOCKDIAG: BackgroundControl = BackgroundControl {
        option: "no-transparency",
        white: "true",
        transparent: "false",
        formats: &[OutputFormat::Png],
    };
    match kind.name {
        "graphviz" => Some(&GRAPHVIZ),
        "svgbob" => Some(&SVGBOB),
        "blockdiag" | "seqdiag" | "actdiag" | "nwdiag" | "packetdiag" | "rackdiag" => {
            Some(&BLOCKDIAG)
        }
        _ => None,
    }
}

impl ThemeControl {
    pub fn accepts(&self, value: &str) -> bool {
        self.choices.iter().any(|(choice, _)| *choice == value)
    }
}

impl BackgroundControl {
    pub fn applies_to(&self, format: OutputFormat) -> bool {
        self.formats.is_empty() || self.formats.contains(&format)
    }

    /// The option value for a background choice (`white` or `transparent`).
    pub fn value(&self, choice: &str) -> Option<&'static str> {
        match choice {
            "white" => Some(self.white),
            "transparent" => Some(self.transparent),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::find;

    fn kind(name: &str) -> &'static DiagramKind {
        find(name).expect("a catalog type")
    }

    #[test]
    fn themes_exist_where_kroki_has_a_theme_option() {
        assert!(theme(kind("mermaid")).is_some_and(|t| t.accepts("forest")));
        assert!(theme(kind("plantuml")).is_some_and(|t| t.accepts("sketchy-outline")));
        assert!(theme(kind("c4plantuml")).is_some_and(|t| t.accepts("cerulean")));
        assert!(theme(kind("d2")).is_some_and(|t| t.accepts("105") && !t.accepts("2")));
        assert!(theme(kind("graphviz")).is_none());
        assert!(theme(kind("mermaid")).is_some_and(|t| !t.accepts("cerulean")));
    }

    #[test]
    fn every_theme_list_starts_with_the_engine_default() {
        for kind in crate::domain::CATALOG.iter() {
            if let Some(control) = theme(kind) {
                assert_eq!(
                    control.choices.first().map(|c| c.0),
                    Some(""),
                    "{}",
                    kind.name
                );
            }
        }
    }

    #[test]
    fn backgrounds_map_to_each_engine_option() {
        let graphviz = background(kind("dot")).expect("graphviz has a background");
        assert_eq!(graphviz.option, "graph-attribute-bgcolor");
        assert_eq!(graphviz.value("transparent"), Some("transparent"));
        let blockdiag = background(kind("nwdiag")).expect("nwdiag has a background");
        assert_eq!(blockdiag.value("white"), Some("true"));
        assert!(blockdiag.applies_to(OutputFormat::Png));
        assert!(!blockdiag.applies_to(OutputFormat::Svg));
        assert_eq!(blockdiag.value("pink"), None);
        assert!(background(kind("mermaid")).is_none());
    }
}
