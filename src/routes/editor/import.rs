//! Opening a diagram from a Kroki image URL (`https://kroki.io/plantuml/svg/eNp…`, this app's
//! own `GET /{type}/{format}/{encoded}` URLs, with or without a path prefix) or from one of this
//! app's share links. The URL is only parsed and decoded, never fetched.

use super::form::{decode_source, find_kind, EditorForm};
use crate::domain::encoding::java_trim;
use crate::domain::request::parse_format;
use crate::error::AppError;
use url::Url;

/// Longest URL accepted for import (Kroki's own GET limit is far below).
const MAX_URL_LENGTH: usize = 64 * 1024;

/// Kroki's query parameters that name the request rather than an option.
const RESERVED: &[&str] = &["output_format", "source_encoded"];

pub fn import(input: &str, limit: usize) -> Result<EditorForm, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid(
            "Paste the URL of a Kroki diagram image to open it.",
        ));
    }
    if input.len() > MAX_URL_LENGTH {
        return Err(invalid("This URL is too long to be a diagram URL."));
    }
    let url = parse_url(input)?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if pairs.iter().any(|(key, _)| key == "src" || key == "source") {
        // One of this app's share links.
        let (form, error) = EditorForm::from_query(&pairs, limit);
        return match error {
            Some(error) => Err(error),
            None => Ok(form),
        };
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(|segments| segments.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let [.., type_name, format_name, encoded] = segments.as_slice() else {
        return Err(not_a_diagram_url());
    };
    let kind = match find_kind(type_name) {
        Some(kind) => kind,
        // The shape of a diagram URL, but a type this server does not render: say that.
        None if looks_encoded(encoded) => {
            return Err(crate::domain::ValidationError::UnknownType((*type_name).to_owned()).into())
        }
        None => return Err(not_a_diagram_url()),
    };
    let format = parse_format(kind, format_name)?;
    let text = decode_source(kind, encoded, limit)?;
    let source = if kind.trims_get_source {
        java_trim(&text).to_owned()
    } else {
        text
    };
    let mut form = EditorForm::for_kind(kind, source);
    form.format = format;
    let options: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(key, _)| !RESERVED.contains(&key.as_str()))
        .collect();
    form.set_options(&options);
    form.render = true;
    Ok(form)
}

/// Accepts full URLs, scheme-less ones (`kroki.io/…`) and paths (`/graphviz/svg/…`).
fn parse_url(input: &str) -> Result<Url, AppError> {
    let candidate = if input.starts_with('/') {
        format!("http://localhost{input}")
    } else if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&candidate).map_err(|_| not_a_diagram_url())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_a_diagram_url());
    }
    Ok(url)
}

/// Whether a path segment can be an encoded source (URL-safe or plain base64, or PlantUML's
/// alphabet), long enough not to be an ordinary word.
fn looks_encoded(segment: &str) -> bool {
    segment.len() >= 8
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'='))
}

fn not_a_diagram_url() -> AppError {
    invalid("This is not a Kroki diagram URL: expected …/{type}/{format}/{encoded source}, such as https://kroki.io/plantuml/svg/eNpLzkksLlYIyU_OTi1SsFIoSS0uUShKLMnMz1MIzsgvzUlRMFQoLs1NCsrPcs7PLShKLS5OTbEGAEQjEo4=")
}

fn invalid(message: &str) -> AppError {
    AppError::bad_request("invalid_import", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::encoding::encode;
    use crate::domain::OutputFormat;

    const LIMIT: usize = 1 << 20;

    #[test]
    fn opens_kroki_io_urls() {
        let url = "https://kroki.io/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000";
        let form = import(url, LIMIT).expect("imports");
        assert_eq!(form.kind.name, "plantuml");
        assert_eq!(form.format, OutputFormat::Svg);
        assert_eq!(form.source, "Bob -> Alice : hello");
        assert!(form.render);
    }

    #[test]
    fn opens_prefixed_scheme_less_and_path_urls_with_options() {
        let encoded = encode("digraph { a -> b }\n");
        for url in [
            format!("https://example.com/kroki/dot/png/{encoded}?layout=circo"),
            format!("example.com/graphviz/png/{encoded}?layout=circo"),
            format!("/graphviz/png/{encoded}?layout=circo"),
        ] {
            let form = import(&url, LIMIT).expect("imports");
            assert_eq!(form.kind.name, "graphviz", "{url}");
            assert_eq!(form.format, OutputFormat::Png);
            assert_eq!(form.source, "digraph { a -> b }", "trimmed as Kroki trims");
            assert_eq!(form.extra_options, "layout=circo");
        }
    }

    #[test]
    fn opens_share_links() {
        let url = format!(
            "https://diagrams.example/?type=mermaid&format=png&theme=dark&src={}",
            encode("graph TD\n A-->B")
        );
        let form = import(&url, LIMIT).expect("imports");
        assert_eq!(
            (form.kind.name, form.format),
            ("mermaid", OutputFormat::Png)
        );
        assert_eq!(form.theme, "dark");
        assert_eq!(form.source, "graph TD\n A-->B");
    }

    #[test]
    fn refuses_what_is_not_a_diagram_url() {
        for url in [
            "",
            "https://kroki.io/",
            "https://kroki.io/nope/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
            "ftp://kroki.io/graphviz/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
            "https://kroki.io/mermaid/pdf/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
            "https://kroki.io/graphviz/svg/!!!",
        ] {
            let error = import(url, LIMIT).err().map(|e| e.status().as_u16());
            assert_eq!(error, Some(400), "{url}");
        }
    }

    #[test]
    fn an_unknown_type_is_named_not_called_a_non_kroki_url() {
        let url = "https://kroki.io/nosuchtype/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY";
        let Err(error) = import(url, LIMIT) else {
            panic!("an unknown type was imported");
        };
        assert_eq!(error.code(), "unknown_diagram_type");
        assert!(error.to_string().contains("nosuchtype"), "{error}");
        assert!(!error.to_string().contains("not a Kroki"), "{error}");
        let error = import("https://kroki.io/some/page/here", LIMIT).err();
        assert_eq!(error.map(|e| e.code()), Some("invalid_import"));
    }
}
