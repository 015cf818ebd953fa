//! Request parameters, diagram options (§1.5) and `Accept` parsing (§1.2, §3.1).
//!
//! Options come from the query string (and form attributes for POST), the
//! `Kroki-Diagram-Options-*` headers and the JSON `diagram_options`, with the precedence
//! **JSON > header > query**. Keys are lowercased; query and header values are strings, JSON
//! values keep their type.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::decode::query_decode;

/// The options a render sees, sorted by key so their JSON form is deterministic.
pub type Options = BTreeMap<String, Value>;

/// Header prefix of option headers (lowercase).
pub const OPTION_HEADER_PREFIX: &str = "kroki-diagram-options-";

/// Parses a query string (or a form-urlencoded body) into ordered `(name, value)` pairs.
/// `+` is a space, `%XX` is decoded, a name without `=` has an empty value, empty names are skipped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .filter_map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = query_decode(name);
            if name.is_empty() {
                None
            } else {
                Some((name, query_decode(value)))
            }
        })
        .collect()
}

/// The first value of a parameter, looked up case-insensitively like Vert.x's `MultiMap`.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `DiagramHandler.getOptions`: params, then option headers, then JSON options, later ones winning.
pub fn collect(
    params: &[(String, String)],
    headers: &[(String, String)],
    json: Option<&Map<String, Value>>,
) -> Options {
    let mut options = Options::new();
    for (name, value) in params {
        if name.eq_ignore_ascii_case("source_encoded") || name.eq_ignore_ascii_case("output_format")
        {
            continue;
        }
        options.insert(name.to_lowercase(), Value::String(value.clone()));
    }
    for (name, value) in headers {
        let lower = name.to_lowercase();
        if let Some(key) = lower.strip_prefix(OPTION_HEADER_PREFIX) {
            options.insert(key.to_owned(), Value::String(value.clone()));
        }
    }
    if let Some(json) = json {
        for (name, value) in json {
            options.insert(name.to_lowercase(), value.clone());
        }
    }
    options
}

/// Compact JSON of the options (keys sorted).
pub fn to_json(options: &Options) -> String {
    serde_json::to_string(options).unwrap_or_else(|_| "{}".to_owned())
}

/// The value of an option as text (strings as they are, other JSON values as JSON).
pub fn option_text(options: &Options, key: &str) -> Option<String> {
    options.get(key).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// The media types of the `Accept` header values, parameters removed, sorted by descending
/// `q` weight (stable, so equal weights keep their order).
pub fn parse_accept<'a, I>(values: I) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut ranges: Vec<(String, f32)> = Vec::new();
    for header in values {
        for item in header.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim();
            if media.is_empty() {
                continue;
            }
            let mut q = 1.0f32;
            for param in parts {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v.trim().parse().unwrap_or(1.0);
                    }
                }
            }
            ranges.push((media.to_owned(), q));
        }
    }
    ranges.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranges.into_iter().map(|(m, _)| m).collect()
}

/// The media type of a Content-Type value, parameters stripped, lowercased.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn precedence_is_json_then_header_then_query() {
        let params = pairs(&[("Theme", "query"), ("scale", "2"), ("only-query", "q")]);
        let headers = pairs(&[
            ("Kroki-Diagram-Options-Theme", "header"),
            ("KROKI-DIAGRAM-OPTIONS-SCALE", "3"),
            ("kroki-diagram-options-only-header", "h"),
            ("accept", "image/svg+xml"),
        ]);
        let json = json!({"THEME": "json", "size": 12, "sketch": true});
        let options = collect(&params, &headers, json.as_object());
        assert_eq!(options.get("theme"), Some(&json!("json")));
        assert_eq!(options.get("scale"), Some(&json!("3")));
        assert_eq!(options.get("only-query"), Some(&json!("q")));
        assert_eq!(options.get("only-header"), Some(&json!("h")));
        assert_eq!(options.get("size"), Some(&json!(12)));
        assert_eq!(options.get("sketch"), Some(&json!(true)));
        assert!(!options.contains_key("accept"));
        assert_eq!(
            to_json(&options),
            r#"{"only-header":"h","only-query":"q","scale":"3","size":12,"sketch":true,"theme":"json"}"#
        );
    }

    #[test]
    fn header_option_keys_keep_their_dashes() {
        let headers = pairs(&[("Kroki-Diagram-Options-Edge-Attribute-ArrowHead", "diamond")]);
        let options = collect(&[], &headers, None);
        assert_eq!(
            options.get("edge-attribute-arrowhead"),
            Some(&json!("diamond"))
        );
    }

    #[test]
    fn reserved_params_are_not_options() {
        let params = pairs(&[
            ("output_format", "png"),
            ("SOURCE_ENCODED", "x"),
            ("a", "b"),
        ]);
        let options = collect(&params, &[], None);
        assert_eq!(options.len(), 1);
        assert_eq!(param(&params, "Output_Format"), Some("png"));
        assert_eq!(param(&params, "source_encoded"), Some("x"));
        assert_eq!(param(&params, "missing"), None);
    }

    #[test]
    fn query_parsing() {
        assert_eq!(parse_query(""), Vec::<(String, String)>::new());
        assert_eq!(
            parse_query("a=1&&b&c=x+y%21&=z&a=2"),
            pairs(&[("a", "1"), ("b", ""), ("c", "x y!"), ("a", "2")])
        );
        // Later duplicates win in the options map.
        let options = collect(&parse_query("a=1&a=2"), &[], None);
        assert_eq!(options.get("a"), Some(&json!("2")));
    }

    #[test]
    fn accept_is_sorted_by_weight_and_stripped() {
        assert_eq!(
            parse_accept(["text/html;q=0.5, image/png;q=0.9, image/svg+xml;charset=x, */*;q=0.1"]),
            vec!["image/svg+xml", "image/png", "text/html", "*/*"]
        );
        assert_eq!(
            parse_accept(["a/b", "c/d;q=1, e/f;q=0.2"]),
            vec!["a/b", "c/d", "e/f"]
        );
        assert!(parse_accept([""]).is_empty());
        assert_eq!(parse_accept(["x/y;q=bogus"]), vec!["x/y"]);
    }

    #[test]
    fn media_type_strips_params_and_case() {
        assert_eq!(
            media_type("Application/JSON; charset=utf-8"),
            "application/json"
        );
        assert_eq!(media_type("text/plain"), "text/plain");
        assert_eq!(media_type(""), "");
    }

    #[test]
    fn option_text_renders_non_strings() {
        let json = json!({"theme": "dark", "n": 3});
        let options = collect(&[], &[], json.as_object());
        assert_eq!(option_text(&options, "theme").as_deref(), Some("dark"));
        assert_eq!(option_text(&options, "n").as_deref(), Some("3"));
        assert_eq!(option_text(&options, "none"), None);
    }
}
