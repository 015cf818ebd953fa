//! Example sources, one per diagram type, written by this project (none is a copy of Kroki's own
//! fixtures) and rendered with the same engines Kroki 0.32.1 runs wherever this project could
//! install them. `examples/README.md` records, type by type, which engine and version rendered the
//! example and with what command, and which were only checked by hand.
//!
//! The files live in `examples/` as `<type>.<source_extension>` and are compiled in, so the UI
//! can offer each one in a click and the end-to-end suite can render it in every format.

use super::catalog;

/// One example: the catalog type it belongs to, its file under `examples/`, and its text.
struct Example {
    kind: &'static str,
    /// Read only by the tests, which check it against the catalog's source extension.
    #[cfg_attr(not(test), allow(dead_code))]
    file: &'static str,
    source: &'static str,
}

macro_rules! example {
    ($kind:literal, $file:literal) => {
        Example {
            kind: $kind,
            file: $file,
            source: include_str!(concat!("examples/", $file)),
        }
    };
}

/// In catalog order.
static EXAMPLES: [Example; 30] = [
    example!("plantuml", "plantuml.puml"),
    example!("c4plantuml", "c4plantuml.puml"),
    example!("ditaa", "ditaa.ditaa"),
    example!("blockdiag", "blockdiag.diag"),
    example!("seqdiag", "seqdiag.diag"),
    example!("actdiag", "actdiag.diag"),
    example!("nwdiag", "nwdiag.diag"),
    example!("packetdiag", "packetdiag.diag"),
    example!("rackdiag", "rackdiag.diag"),
    example!("umlet", "umlet.uxf"),
    example!("graphviz", "graphviz.dot"),
    example!("erd", "erd.erd"),
    example!("svgbob", "svgbob.bob"),
    example!("symbolator", "symbolator.sv"),
    example!("nomnoml", "nomnoml.nomnoml"),
    example!("mermaid", "mermaid.mmd"),
    example!("vega", "vega.vg.json"),
    example!("vegalite", "vegalite.vl.json"),
    example!("wavedrom", "wavedrom.json5"),
    example!("bpmn", "bpmn.bpmn"),
    example!("bytefield", "bytefield.edn"),
    example!("excalidraw", "excalidraw.excalidraw"),
    example!("pikchr", "pikchr.pikchr"),
    example!("structurizr", "structurizr.dsl"),
    example!("diagramsnet", "diagramsnet.drawio"),
    example!("d2", "d2.d2"),
    example!("tikz", "tikz.tex"),
    example!("dbml", "dbml.dbml"),
    example!("wireviz", "wireviz.yaml"),
    example!("goat", "goat.txt"),
];

/// The example for a type, by its exact canonical URL name or alias (`dot` gives graphviz's).
pub fn example(type_name: &str) -> Option<&'static str> {
    let kind = catalog::find(type_name)?;
    EXAMPLES
        .iter()
        .find(|example| example.kind == kind.name)
        .map(|example| example.source)
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
    fn the_table_holds_each_catalog_type_once() {
        let mut kinds: Vec<_> = EXAMPLES.iter().map(|example| example.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), EXAMPLES.len());
        assert!(EXAMPLES
            .iter()
            .all(|example| catalog::find(example.kind).map(|k| k.name) == Some(example.kind)));
    }

    #[test]
    fn file_names_are_the_type_and_its_source_extension() {
        for kind in &CATALOG {
            let file = entry(kind.name).file;
            assert_eq!(file, format!("{}.{}", kind.name, kind.source_extension));
            let extension = file
                .strip_prefix(kind.name)
                .and_then(|f| f.strip_prefix('.'));
            assert_eq!(extension, Some(kind.source_extension), "{file}");
        }
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
