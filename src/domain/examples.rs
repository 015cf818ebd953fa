//! Example sources, written by this project (none is a copy of Kroki's own fixtures) and rendered
//! with the same engines Kroki 0.32.1 runs wherever this project could install them.
//! `examples/README.md` records, type by type, which engine and version rendered each example and
//! with what command, and which were only checked by hand.
//!
//! Each type has one default example, `examples/<type>.<source_extension>`, which the editor opens
//! for the type. Types whose language has distinct kinds of diagram (Mermaid's flowcharts and
//! sequence diagrams, PlantUML's, C4's levels, D2's shapes and layouts) have more, named
//! `examples/<type>-<name>.<source_extension>`, which the editor's gallery offers. All are compiled
//! in, and the end-to-end suite renders every one of them.

use super::catalog;

/// One example: the catalog type it belongs to, its name (unique within the type), a title for
/// people, its file under `examples/`, and its text.
#[derive(Debug)]
pub struct Example {
    pub kind: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub file: &'static str,
    pub source: &'static str,
}

macro_rules! example {
    ($kind:literal, $name:literal, $title:literal, $file:literal) => {
        Example {
            kind: $kind,
            name: $name,
            title: $title,
            file: $file,
            source: include_str!(concat!("examples/", $file)),
        }
    };
}

/// In catalog order; within a type, the default example first.
static EXAMPLES: [Example; 52] = [
    example!("plantuml", "sequence", "Sequence diagram", "plantuml.puml"),
    example!("plantuml", "class", "Class diagram", "plantuml-class.puml"),
    example!(
        "plantuml",
        "activity",
        "Activity diagram",
        "plantuml-activity.puml"
    ),
    example!(
        "plantuml",
        "component",
        "Component diagram",
        "plantuml-component.puml"
    ),
    example!("plantuml", "state", "State diagram", "plantuml-state.puml"),
    example!(
        "plantuml",
        "usecase",
        "Use case diagram",
        "plantuml-usecase.puml"
    ),
    example!("plantuml", "mindmap", "Mind map", "plantuml-mindmap.puml"),
    example!("plantuml", "gantt", "Gantt chart", "plantuml-gantt.puml"),
    example!(
        "c4plantuml",
        "container",
        "Container diagram (level 2)",
        "c4plantuml.puml"
    ),
    example!(
        "c4plantuml",
        "context",
        "System context (level 1)",
        "c4plantuml-context.puml"
    ),
    example!(
        "c4plantuml",
        "component",
        "Component diagram (level 3)",
        "c4plantuml-component.puml"
    ),
    example!(
        "c4plantuml",
        "deployment",
        "Deployment diagram",
        "c4plantuml-deployment.puml"
    ),
    example!("ditaa", "example", "Example", "ditaa.ditaa"),
    example!("blockdiag", "example", "Example", "blockdiag.diag"),
    example!("seqdiag", "example", "Example", "seqdiag.diag"),
    example!("actdiag", "example", "Example", "actdiag.diag"),
    example!("nwdiag", "example", "Example", "nwdiag.diag"),
    example!("packetdiag", "example", "Example", "packetdiag.diag"),
    example!("rackdiag", "example", "Example", "rackdiag.diag"),
    example!("umlet", "example", "Example", "umlet.uxf"),
    example!("graphviz", "example", "Example", "graphviz.dot"),
    example!("erd", "example", "Example", "erd.erd"),
    example!("svgbob", "example", "Example", "svgbob.bob"),
    example!("symbolator", "example", "Example", "symbolator.sv"),
    example!("nomnoml", "example", "Example", "nomnoml.nomnoml"),
    example!("mermaid", "flowchart", "Flowchart", "mermaid.mmd"),
    example!(
        "mermaid",
        "sequence",
        "Sequence diagram",
        "mermaid-sequence.mmd"
    ),
    example!("mermaid", "class", "Class diagram", "mermaid-class.mmd"),
    example!("mermaid", "state", "State diagram", "mermaid-state.mmd"),
    example!(
        "mermaid",
        "er",
        "Entity relationship diagram",
        "mermaid-er.mmd"
    ),
    example!("mermaid", "gantt", "Gantt chart", "mermaid-gantt.mmd"),
    example!("mermaid", "pie", "Pie chart", "mermaid-pie.mmd"),
    example!("mermaid", "mindmap", "Mind map", "mermaid-mindmap.mmd"),
    example!("mermaid", "timeline", "Timeline", "mermaid-timeline.mmd"),
    example!("vega", "example", "Example", "vega.vg.json"),
    example!("vegalite", "example", "Example", "vegalite.vl.json"),
    example!("wavedrom", "example", "Example", "wavedrom.json5"),
    example!("bpmn", "example", "Example", "bpmn.bpmn"),
    example!("bytefield", "example", "Example", "bytefield.edn"),
    example!("excalidraw", "example", "Example", "excalidraw.excalidraw"),
    example!("pikchr", "example", "Example", "pikchr.pikchr"),
    example!("structurizr", "example", "Example", "structurizr.dsl"),
    example!("diagramsnet", "example", "Example", "diagramsnet.drawio"),
    example!("d2", "connections", "Connected shapes", "d2.d2"),
    example!("d2", "shapes", "Every shape", "d2-shapes.d2"),
    example!("d2", "grid", "Grid layout", "d2-grid.d2"),
    example!("d2", "sql", "SQL tables", "d2-sql.d2"),
    example!("d2", "sequence", "Sequence diagram", "d2-sequence.d2"),
    example!("tikz", "example", "Example", "tikz.tex"),
    example!("dbml", "example", "Example", "dbml.dbml"),
    example!("wireviz", "example", "Example", "wireviz.yaml"),
    example!("goat", "example", "Example", "goat.txt"),
];

/// The default example for a type, by its exact canonical URL name or alias (`dot` gives
/// graphviz's).
pub fn example(type_name: &str) -> Option<&'static str> {
    let kind = catalog::find(type_name)?;
    EXAMPLES
        .iter()
        .find(|example| example.kind == kind.name)
        .map(|example| example.source)
}

/// Formats the type offers that its engine cannot draw this example in: PlantUML draws text
/// (`txt`, `utxt`) for sequence, activity and Gantt diagrams only; its class, component, state,
/// use case, mind map and C4 diagrams fail in text (checked with PlantUML 1.2026.8, see
/// `examples/README.md`). The end-to-end suite skips these.
pub fn formats_not_drawn(example: &Example) -> &'static [&'static str] {
    let plantuml = matches!(example.kind, "plantuml" | "c4plantuml");
    if plantuml && !matches!(example.name, "sequence" | "activity" | "gantt") {
        &["txt", "utxt"]
    } else {
        &[]
    }
}

/// Every example, in catalog order, each type's default first.
pub fn all() -> &'static [Example] {
    &EXAMPLES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CATALOG;

    fn entry(kind: &str) -> &'static Example {
        EXAMPLES
            .iter()
            .find(|example| example.kind == kind)
            .unwrap_or_else(|| panic!("no example for {kind}"))
    }

    #[test]
    fn every_catalog_type_and_alias_has_a_non_empty_example() {
        for kind in &CATALOG {
            for name in kind.url_names() {
                let source = example(name).unwrap_or_default();
                assert!(!source.trim().is_empty(), "{name} has no example");
                assert_eq!(Some(source), example(kind.name), "{name}");
            }
        }
    }

    #[test]
    fn names_are_unique_within_a_type_and_every_kind_is_a_catalog_type() {
        let mut keys: Vec<_> = EXAMPLES.iter().map(|e| (e.kind, e.name)).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), EXAMPLES.len());
        assert!(EXAMPLES
            .iter()
            .all(|example| catalog::find(example.kind).map(|k| k.name) == Some(example.kind)));
        assert!(EXAMPLES.iter().all(|example| !example.title.is_empty()
            && example.name.bytes().all(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn a_types_examples_are_together_and_in_catalog_order() {
        let order: Vec<&str> = CATALOG.iter().map(|kind| kind.name).collect();
        let mut kinds: Vec<&str> = EXAMPLES.iter().map(|example| example.kind).collect();
        kinds.dedup();
        assert_eq!(kinds, order);
    }

    #[test]
    fn file_names_are_the_type_an_optional_name_and_its_source_extension() {
        for kind in &CATALOG {
            let file = entry(kind.name).file;
            assert_eq!(file, format!("{}.{}", kind.name, kind.source_extension));
        }
        for (index, example) in EXAMPLES.iter().enumerate() {
            let kind = catalog::find(example.kind).map(|k| k.source_extension);
            let default = EXAMPLES[..index].iter().all(|e| e.kind != example.kind);
            let expected = if default {
                format!("{}.{}", example.kind, kind.unwrap_or_default())
            } else {
                format!(
                    "{}-{}.{}",
                    example.kind,
                    example.name,
                    kind.unwrap_or_default()
                )
            };
            assert_eq!(example.file, expected);
        }
    }

    #[test]
    fn languages_with_kinds_of_diagram_have_several_examples() {
        for (kind, wanted) in [
            (
                "mermaid",
                &[
                    "flowchart",
                    "sequence",
                    "class",
                    "state",
                    "er",
                    "gantt",
                    "pie",
                    "mindmap",
                    "timeline",
                ][..],
            ),
            (
                "plantuml",
                &[
                    "sequence",
                    "class",
                    "activity",
                    "component",
                    "state",
                    "usecase",
                    "mindmap",
                    "gantt",
                ],
            ),
            ("c4plantuml", &["context", "container", "component"]),
            ("d2", &["connections", "shapes", "grid", "sql", "sequence"]),
        ] {
            for name in wanted {
                assert!(
                    EXAMPLES.iter().any(|e| e.kind == kind && e.name == *name),
                    "{kind} has no {name} example"
                );
            }
        }
    }

    #[test]
    fn every_example_starts_as_its_kind_of_diagram_says() {
        for example in EXAMPLES.iter().filter(|e| e.kind == "mermaid") {
            let first = example.source.lines().next().unwrap_or_default();
            let keyword = match example.name {
                "flowchart" => "flowchart",
                "sequence" => "sequenceDiagram",
                "class" => "classDiagram",
                "state" => "stateDiagram",
                "er" => "erDiagram",
                other => other,
            };
            assert!(first.starts_with(keyword), "{}: {first}", example.file);
        }
        for example in EXAMPLES.iter().filter(|e| e.kind.ends_with("plantuml")) {
            let (start, end) = match example.name {
                "mindmap" => ("@startmindmap", "@endmindmap"),
                "gantt" => ("@startgantt", "@endgantt"),
                _ => ("@startuml", "@enduml"),
            };
            assert!(example.source.starts_with(start), "{}", example.file);
            assert!(example.source.trim_end().ends_with(end), "{}", example.file);
        }
    }

    #[test]
    fn only_plantuml_text_art_is_limited_and_the_sequence_diagram_has_it() {
        let limited: Vec<String> = EXAMPLES
            .iter()
            .filter(|e| !formats_not_drawn(e).is_empty())
            .map(|e| format!("{}-{}", e.kind, e.name))
            .collect();
        assert_eq!(limited.len(), 9, "{limited:?}");
        assert!(limited.iter().all(|name| name.contains("plantuml")));
        assert_eq!(formats_not_drawn(entry("plantuml")), &[] as &[&str]);
    }

    #[test]
    fn dot_resolves_to_the_graphviz_example() {
        let dot = example("dot");
        assert!(dot.is_some());
        assert_eq!(dot, example("graphviz"));
        assert!(dot.unwrap_or_default().contains("digraph"));
    }

    #[test]
    fn unknown_or_differently_cased_names_have_no_example() {
        for name in [
            "",
            "nope",
            "Graphviz",
            "DOT",
            " plantuml",
            "vega-lite",
            "jpg",
        ] {
            assert_eq!(example(name), None, "{name:?}");
        }
    }

    #[test]
    fn ascii_art_examples_contain_no_tabs() {
        for kind in ["ditaa", "svgbob", "goat"] {
            let source = example(kind).unwrap_or_default();
            assert!(!source.is_empty(), "{kind}");
            assert!(!source.contains('\t'), "{kind} contains a tab");
        }
    }

    #[test]
    fn ascii_art_starts_at_the_left_margin() {
        // Something that trims the source (a GET round trip through another tool, a form) must
        // not shift the first line against the others.
        for kind in ["ditaa", "svgbob", "goat"] {
            let source = example(kind).unwrap_or_default();
            assert!(
                source.starts_with(|c: char| !c.is_whitespace()),
                "{kind} starts with whitespace"
            );
        }
    }

    #[test]
    fn examples_are_plain_text_with_unix_line_ends() {
        for example in &EXAMPLES {
            let source = example.source;
            assert!(source.is_ascii(), "{} is not ASCII", example.file);
            assert!(!source.contains('\r'), "{} has CR line ends", example.file);
            assert!(
                source.ends_with('\n'),
                "{} lacks a final newline",
                example.file
            );
        }
    }

    #[test]
    fn vega_examples_carry_their_data_inline() {
        // Kroki's secure mode refuses any data set loaded from a URL.
        for kind in ["vega", "vegalite"] {
            let source = example(kind).unwrap_or_default();
            assert!(source.contains("\"$schema\""), "{kind}");
            assert!(source.contains("\"values\""), "{kind}");
            assert!(!source.contains("\"url\""), "{kind}");
        }
    }
}
