//! The imitation engines: deterministic syntax errors and engine limits.
//!
//! * A source with the marker [`SYNTAX_MARKER`] (`SYNTAX_ERROR`) on line N (1-based, counting the
//!   lines of the source the engine receives) fails with 400 and an engine-typical message naming
//!   line N (see [`syntax_error`]).
//! * `vega`, `vegalite` and `excalidraw` sources must be valid JSON (400 naming the line otherwise).
//! * `graphviz`/`dot` sources must have balanced `{` `}` (outside double-quoted strings).
//! * `plantuml`/`c4plantuml`: a source that is empty after trimming gives
//!   `Empty diagram, missing delimiters?`; a ditaa block (`@startditaa`, or `ditaa` right after
//!   `@startuml`) gives Kroki's empty 200 body.
//! * `mermaid`: more than 50000 characters (UTF-16 units) gives `MaxTextSizeError`.

use crate::catalog::DiagramType;
use crate::decode::java_trim;
use crate::errors::KrokiError;

/// The marker that triggers a syntax error.
pub const SYNTAX_MARKER: &str = "SYNTAX_ERROR";

/// Mermaid's default `maxTextSize`.
pub const MERMAID_MAX_TEXT_SIZE: usize = 50_000;

/// What the engine does with an accepted source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Render normally.
    Render,
    /// Answer 200 with an empty body (Kroki's PlantUML → ditaa reroute quirk).
    EmptyBody,
}

/// Runs the engine's checks on `source`.
pub fn check(ty: &DiagramType, source: &str) -> Result<Verdict, KrokiError> {
    let plantuml_like = matches!(ty.name, "plantuml" | "c4plantuml");
    if ty.name == "mermaid" {
        let size = source.encode_utf16().count();
        if size > MERMAID_MAX_TEXT_SIZE {
            return Err(KrokiError::bad_request(format!(
                "MaxTextSizeError: Diagram source is too large: {size} characters (maximum is {MERMAID_MAX_TEXT_SIZE})"
            )));
        }
    }
    if plantuml_like && java_trim(source).is_empty() {
        return Err(KrokiError::bad_request(
            "Empty diagram, missing delimiters?",
        ));
    }
    if let Some((number, line)) = source
        .split('\n')
        .enumerate()
        .find(|(_, line)| line.contains(SYNTAX_MARKER))
    {
        let line = line.strip_suffix('\r').unwrap_or(line);
        return Err(KrokiError::bad_request(syntax_error(
            ty.name,
            number + 1,
            line,
        )));
    }
    match ty.name {
        "vega" | "vegalite" | "excalidraw" => {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(source) {
                let message = if ty.name == "excalidraw" {
                    format!(
                        "Unable to convert the diagram: SyntaxError: Unexpected token in JSON at line {}",
                        e.line()
                    )
                } else {
                    format!(
                        "SyntaxError: Unexpected token in JSON at line {} column {}\n (exit code 1)",
                        e.line(),
                        e.column()
                    )
                };
                return Err(KrokiError::bad_request(message));
            }
        }
        "graphviz" | "dot" => {
            if let Some((line, near)) = unbalanced_braces(source) {
                return Err(KrokiError::bad_request(format!(
                    "Error: <stdin>: syntax error in line {line} near '{near}'\n (exit code 1)"
                )));
            }
        }
        _ => {}
    }
    if plantuml_like && has_ditaa_block(source) {
        return Ok(Verdict::EmptyBody);
    }
    Ok(Verdict::Render)
}

/// The engine-typical message for a syntax error on 1-based line `number` whose text is `line`.
pub fn syntax_error(type_name: &str, number: usize, line: &str) -> String {
    match type_name {
        "plantuml" | "c4plantuml" => {
            format!("Syntax Error? (Assumed diagram type: sequence) (line: {number})")
        }
        "mermaid" => format!(
            "Error: Parse error on line {number}:\n{line}\n-----^\nExpecting 'NEWLINE', 'SPACE', got 'SYNTAX_ERROR'"
        ),
        "graphviz" | "dot" => format!(
            "Error: <stdin>: syntax error in line {number} near 'SYNTAX_ERROR'\n (exit code 1)"
        ),
        "d2" => format!(
            "err: failed to compile -: -:{number}:1: unexpected text after map key\n (exit code 1)"
        ),
        "structurizr" => {
            format!("Unable to parse the Structurizr DSL. Unexpected tokens at line {number}.")
        }
        "excalidraw" => format!(
            "Unable to convert the diagram: SyntaxError: Unexpected token in JSON at line {number}"
        ),
        "bpmn" => format!("Error: unparsable content SYNTAX_ERROR detected; line: {number}"),
        _ => format!("Error: line {number}: syntax error\n (exit code 1)"),
    }
}

/// Finds the first unbalanced brace: `(line, near)` for a stray `}` or an unclosed `{`.
fn unbalanced_braces(source: &str) -> Option<(usize, &'static str)> {
    let mut depth: usize = 0;
    let mut line = 1;
    let mut in_string = false;
    let mut escaped = false;
    for c in source.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                if depth == 0 {
                    return Some((line, "}"));
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Some((line, ""));
    }
    None
}

fn has_ditaa_block(source: &str) -> bool {
    let mut previous_was_start = false;
    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("@startditaa") {
            return true;
        }
        if previous_was_start && (trimmed == "ditaa" || trimmed.starts_with("ditaa(")) {
            return true;
        }
        if trimmed.is_empty() && previous_was_start {
            continue;
        }
        previous_was_start = trimmed.starts_with("@startuml");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::find;

    fn check_named(name: &str, source: &str) -> Result<Verdict, KrokiError> {
        let ty = find(name).copied().unwrap_or(crate::catalog::TYPES[0]);
        check(&ty, source)
    }

    #[test]
    fn marker_names_the_line() {
        let err = check_named("graphviz", "digraph {\n  a -> b\n  SYNTAX_ERROR\n}");
        assert_eq!(
            err.map_err(|e| e.message),
            Err(
                "Error: <stdin>: syntax error in line 3 near 'SYNTAX_ERROR'\n (exit code 1)"
                    .to_owned()
            )
        );
        let err = check_named("mermaid", "graph TD\r\n  A SYNTAX_ERROR B\r\n");
        assert_eq!(
            err.map_err(|e| e.message),
            Err("Error: Parse error on line 2:\n  A SYNTAX_ERROR B\n-----^\nExpecting 'NEWLINE', 'SPACE', got 'SYNTAX_ERROR'".to_owned())
        );
        let err = check_named("plantuml", "SYNTAX_ERROR");
        assert_eq!(
            err.map_err(|e| (e.status, e.message)),
            Err((
                400,
                "Syntax Error? (Assumed diagram type: sequence) (line: 1)".to_owned()
            ))
        );
        let err = check_named("nomnoml", "[a]\n\nSYNTAX_ERROR");
        assert_eq!(
            err.map_err(|e| e.message),
            Err("Error: line 3: syntax error\n (exit code 1)".to_owned())
        );
        for (name, expected) in [
            (
                "d2",
                "err: failed to compile -: -:1:1: unexpected text after map key\n (exit code 1)",
            ),
            (
                "structurizr",
                "Unable to parse the Structurizr DSL. Unexpected tokens at line 1.",
            ),
            (
                "excalidraw",
                "Unable to convert the diagram: SyntaxError: Unexpected token in JSON at line 1",
            ),
            (
                "bpmn",
                "Error: unparsable content SYNTAX_ERROR detected; line: 1",
            ),
        ] {
            assert_eq!(
                check_named(name, "SYNTAX_ERROR").map_err(|e| e.message),
                Err(expected.to_owned())
            );
        }
    }

    #[test]
    fn json_engines_validate_json() {
        assert_eq!(check_named("vega", "{\"a\": 1}"), Ok(Verdict::Render));
        let err = check_named("vegalite", "{\n  \"a\": 1,\n  oops\n}");
        assert_eq!(
            err.map_err(|e| e.message),
            Err(
                "SyntaxError: Unexpected token in JSON at line 3 column 3\n (exit code 1)"
                    .to_owned()
            )
        );
        let err = check_named("excalidraw", "{\n\n}}");
        assert_eq!(
            err.map_err(|e| e.message),
            Err(
                "Unable to convert the diagram: SyntaxError: Unexpected token in JSON at line 3"
                    .to_owned()
            )
        );
    }

    #[test]
    fn graphviz_braces() {
        assert_eq!(
            check_named("dot", "digraph { a -> \"}\" }"),
            Ok(Verdict::Render)
        );
        assert_eq!(
            check_named("dot", "digraph {\n a -> b\n}\n}").map_err(|e| e.message),
            Err("Error: <stdin>: syntax error in line 4 near '}'\n (exit code 1)".to_owned())
        );
        assert_eq!(
            check_named("graphviz", "digraph {\n a -> b\n").map_err(|e| e.message),
            Err("Error: <stdin>: syntax error in line 3 near ''\n (exit code 1)".to_owned())
        );
    }

    #[test]
    fn plantuml_empty_and_ditaa() {
        assert_eq!(
            check_named("c4plantuml", " \n\t").map_err(|e| e.message),
            Err("Empty diagram, missing delimiters?".to_owned())
        );
        assert_eq!(
            check_named("plantuml", "@startditaa\n+--+\n@endditaa"),
            Ok(Verdict::EmptyBody)
        );
        assert_eq!(
            check_named("plantuml", "@startuml\nditaa\n+--+\n@enduml"),
            Ok(Verdict::EmptyBody)
        );
        assert_eq!(
            check_named("plantuml", "@startuml\nAlice -> Bob: ditaa\n@enduml"),
            Ok(Verdict::Render)
        );
        // Other types accept an empty source.
        assert_eq!(check_named("graphviz", ""), Ok(Verdict::Render));
    }

    #[test]
    fn mermaid_size_limit() {
        assert_eq!(
            check_named("mermaid", &"a".repeat(50_000)),
            Ok(Verdict::Render)
        );
        assert_eq!(
            check_named("mermaid", &"a".repeat(50_001)).map_err(|e| e.message),
            Err("MaxTextSizeError: Diagram source is too large: 50001 characters (maximum is 50000)".to_owned())
        );
    }
}
