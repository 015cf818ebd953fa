//! Finds the source line an engine's error message points at, so the editor can mark it.
//! Kroki passes each engine's message through word for word, and they all say it differently:
//! PlantUML `(line: 3)`, Mermaid `on line 3`, Graphviz `in line 3`, JSON `at line 3 column 5`,
//! BPMN `line: 3`, D2 `-:3:1:`. The same rules live in `web/src/errors.js` for the live preview.

/// The 1-based line named in `message`, if any.
pub fn error_line(message: &str) -> Option<usize> {
    after_word_line(message).or_else(|| d2_position(message))
}

/// The number after the first word `line` (any case), skipping `:` and spaces.
fn after_word_line(message: &str) -> Option<usize> {
    let lower = message.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("line") {
        let start = from + found;
        let end = start + "line".len();
        from = end;
        let word_start = lower[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if !word_start {
            continue;
        }
        let rest = lower[end..].trim_start_matches([':', ' ', '\t']);
        if rest.len() == lower.len() - end {
            continue; // `line` must be followed by a separator, as in `line 3` or `line: 3`
        }
        if let Some(number) = leading_number(rest) {
            return Some(number);
        }
    }
    None
}

/// D2's `-:LINE:COLUMN:` position (its source is stdin, named `-`).
fn d2_position(message: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = message[from..].find("-:") {
        let rest = &message[from + found + 2..];
        from += found + 2;
        if let Some(number) = leading_number(rest) {
            let after = &rest[rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())..];
            if after.starts_with(':') {
                return Some(number);
            }
        }
    }
    None
}

fn leading_number(text: &str) -> Option<usize> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|line| *line > 0)
}

#[cfg(test)]
mod tests {
    use super::error_line;

    #[test]
    fn reads_each_engine_style() {
        let cases = [
            (
                "Syntax Error? (Assumed diagram type: sequence) (line: 3)",
                Some(3),
            ),
            (
                "Error: Parse error on line 12:\nfoo\n-----^\nExpecting 'NEWLINE'",
                Some(12),
            ),
            (
                "Error: <stdin>: syntax error in line 7 near 'SYNTAX_ERROR'\n (exit code 1)",
                Some(7),
            ),
            (
                "err: failed to compile -: -:4:1: unexpected text after map key",
                Some(4),
            ),
            (
                "Unable to parse the Structurizr DSL. Unexpected tokens at line 9.",
                Some(9),
            ),
            (
                "SyntaxError: Unexpected token in JSON at line 2 column 5",
                Some(2),
            ),
            (
                "Error: unparsable content SYNTAX_ERROR detected; line: 5",
                Some(5),
            ),
            ("Error: line 6: syntax error\n (exit code 1)", Some(6)),
            ("Empty diagram, missing delimiters?", None),
            ("Kroki at http://kroki:8000 is unreachable", None),
        ];
        for (message, line) in cases {
            assert_eq!(error_line(message), line, "{message}");
        }
    }

    #[test]
    fn ignores_line_inside_other_words_and_line_zero() {
        assert_eq!(error_line("deadline 3 passed"), None);
        assert_eq!(error_line("inline 3"), None);
        assert_eq!(error_line("lines 3"), None);
        assert_eq!(error_line("line 0"), None);
        assert_eq!(error_line("timeline 2, then line 4"), Some(4));
    }
}
