//! The editor's state as the page's form carries it in a GET query, so that the form works
//! without JavaScript and every state has a URL (the share link):
//!
//! `/?type=graphviz&format=svg&theme=&background=transparent&options=layout%3Dneato&source=…`
//!
//! A share link carries the source compressed as Kroki encodes it, `src=eNp…`, in place of
//! `source`. `example=1` asks for the type's example; `import=<a Kroki image URL>` opens one.

use crate::domain::catalog::{self, DiagramKind, CATALOG};
use crate::domain::controls;
use crate::domain::encoding;
use crate::domain::examples;
use crate::domain::{DiagramOptions, OutputFormat, ValidationError};
use crate::error::AppError;
use crate::routes::extract;

/// The type the editor opens with.
pub fn default_kind() -> &'static DiagramKind {
    &CATALOG[0]
}

/// One editor state: what the form shows and what a render would send.
#[derive(Debug, Clone)]
pub struct EditorForm {
    pub kind: &'static DiagramKind,
    pub format: OutputFormat,
    /// A value of the type's theme control; empty for the engine's default.
    pub theme: String,
    /// `white`, `transparent`, or empty for the engine's default.
    pub background: String,
    /// Further diagram options, one `name=value` a line.
    pub extra_options: String,
    pub source: String,
    /// The request asked for a render (it carried a source, an example request or an import).
    pub render: bool,
    /// Adjustments made to what was asked, shown above the result.
    pub notices: Vec<String>,
}

impl EditorForm {
    /// A fresh editor: the default type's example, not rendered by the server.
    pub fn fresh() -> EditorForm {
        let kind = default_kind();
        EditorForm::for_kind(
            kind,
            examples::example(kind.name).unwrap_or_default().to_owned(),
        )
    }

    pub fn for_kind(kind: &'static DiagramKind, source: String) -> EditorForm {
        EditorForm {
            kind,
            format: kind.default_format(),
            theme: String::new(),
            background: String::new(),
            extra_options: String::new(),
            source,
            render: false,
            notices: Vec::new(),
        }
    }

    /// Reads the form's query. An error still comes with the form as typed, to show beside it.
    pub fn from_query(pairs: &[(String, String)], limit: usize) -> (EditorForm, Option<AppError>) {
        let param = |name: &str| extract::param(pairs, name);
        let source = param("source").map(normalize_newlines);
        let type_name = param("type").map(str::trim).unwrap_or_default();
        let (kind, mut error) = match type_name {
            "" => (default_kind(), None),
            name => match find_kind(name) {
                Some(kind) => (kind, None),
                None => (
                    default_kind(),
                    Some(ValidationError::UnknownType(name.to_owned()).into()),
                ),
            },
        };
        let mut form = EditorForm::for_kind(kind, source.clone().unwrap_or_default());
        form.extra_options = param("options").map(normalize_newlines).unwrap_or_default();
        form.set_format(param("format").unwrap_or_default());
        form.set_theme(param("theme").unwrap_or_default());
        form.set_background(param("background").unwrap_or_default());
        if param("example").is_some() {
            form.source = examples::example(kind.name).unwrap_or_default().to_owned();
            form.render = error.is_none();
        } else if let Some(encoded) = param("src").filter(|_| source.is_none()) {
            match decode_source(kind, encoded, limit) {
                Ok(text) => {
                    form.source = text;
                    form.render = error.is_none();
                }
                Err(decode_error) => error = error.or(Some(decode_error)),
            }
        } else if source.is_some() {
            form.render = error.is_none();
        } else if error.is_none() {
            form.source = examples::example(kind.name).unwrap_or_default().to_owned();
        }
        (form, error)
    }

    /// Keeps a supported format; anything else becomes the type's default, with a notice.
    pub fn set_format(&mut self, name: &str) {
        let name = name.trim();
        match OutputFormat::parse(name) {
            Some(format) if self.kind.supports(format) => self.format = format,
            _ if name.is_empty() => self.format = self.kind.default_format(),
            _ => {
                self.format = self.kind.default_format();
                self.notices.push(format!(
                    "{} cannot be rendered as {name}; showing {} instead.",
                    self.kind.title, self.format
                ));
            }
        }
    }

    pub fn set_theme(&mut self, value: &str) {
        let value = value.trim();
        self.theme.clear();
        if value.is_empty() {
            return;
        }
        match controls::theme(self.kind) {
            Some(control) if control.accepts(value) => value.clone_into(&mut self.theme),
            _ => self.notices.push(format!(
                "The theme {value} is not one of {}'s; the default look is used.",
                self.kind.title
            )),
        }
    }

    pub fn set_background(&mut self, value: &str) {
        let value = value.trim();
        self.background.clear();
        if matches!(value, "white" | "transparent") && controls::background(self.kind).is_some() {
            value.clone_into(&mut self.background);
        }
    }

    /// Applies imported options: the theme and background controls take theirs, the rest
    /// become extra option lines.
    pub fn set_options(&mut self, options: &[(String, String)]) {
        let theme = controls::theme(self.kind);
        let background = controls::background(self.kind);
        let mut extra = Vec::new();
        for (key, value) in options {
            let key = key.trim().to_ascii_lowercase();
            if theme.is_some_and(|control| control.option == key && control.accepts(value)) {
                value.clone_into(&mut self.theme);
            } else if let Some(control) = background.filter(|control| control.option == key) {
                if value == control.white {
                    "white".clone_into(&mut self.background);
                } else if value == control.transparent {
                    "transparent".clone_into(&mut self.background);
                } else {
                    extra.push(format!("{key}={value}"));
                }
            } else {
                extra.push(format!("{key}={value}"));
            }
        }
        self.extra_options = extra.join("\n");
    }

    /// The diagram options a render sends: the extra lines, then the controls over them.
    pub fn options(&self) -> Result<DiagramOptions, AppError> {
        let mut options = DiagramOptions::new();
        for (key, value) in parse_option_lines(&self.extra_options)? {
            options.insert_text(&key, &value)?;
        }
        if let Some(control) = controls::theme(self.kind) {
            if !self.theme.is_empty() {
                options.insert_text(control.option, &self.theme)?;
            }
        }
        if let Some(control) = controls::background(self.kind) {
            if let Some(value) = control
                .value(&self.background)
                .filter(|_| control.applies_to(self.format))
            {
                options.insert_text(control.option, value)?;
            }
        }
        Ok(options)
    }

    /// The query of this state's share link, with the source compressed (`src=`).
    pub fn share_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("type", self.kind.name);
        query.append_pair("format", self.format.name());
        if !self.theme.is_empty() {
            query.append_pair("theme", &self.theme);
        }
        if !self.background.is_empty() {
            query.append_pair("background", &self.background);
        }
        if !self.extra_options.trim().is_empty() {
            query.append_pair("options", self.extra_options.trim());
        }
        query.append_pair("src", &encoding::encode(&self.source));
        query.finish()
    }
}

/// Types by URL name or alias, forgiving about case as the API is.
pub fn find_kind(name: &str) -> Option<&'static DiagramKind> {
    let name = name.trim();
    catalog::find(name).or_else(|| catalog::find(&name.to_ascii_lowercase()))
}

/// Decodes a source from a URL as Kroki's GET route does for that type.
pub fn decode_source(kind: &DiagramKind, encoded: &str, limit: usize) -> Result<String, AppError> {
    let text = if kind.plantuml_encoding {
        encoding::decode_plantuml(encoded.trim(), limit)?
    } else {
        encoding::decode(encoded.trim(), limit)?
    };
    Ok(text)
}

/// `name=value` lines; blank lines and `#` comments are skipped.
pub fn parse_option_lines(text: &str) -> Result<Vec<(String, String)>, AppError> {
    let mut options = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                options.push((key.trim().to_owned(), value.trim().to_owned()));
            }
            _ => {
                return Err(AppError::bad_request(
                    "invalid_options",
                    format!(
                        "Diagram options line {}: write one option a line as name=value (got \"{line}\").",
                        index + 1
                    ),
                ))
            }
        }
    }
    Ok(options)
}

/// Browsers submit a textarea with CRLF line ends; engines count lines on LF.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1 << 20;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn form(pairs: &[(&str, &str)]) -> (EditorForm, Option<AppError>) {
        EditorForm::from_query(&query(pairs), LIMIT)
    }

    #[test]
    fn an_empty_query_is_the_default_example_unrendered() {
        let (form, error) = form(&[]);
        assert!(error.is_none());
        assert_eq!(form.kind.name, "plantuml");
        assert_eq!(form.format, OutputFormat::Svg);
        assert!(!form.render);
    }

    #[test]
    fn a_submitted_source_is_rendered_as_typed() {
        let (form, error) = form(&[
            ("type", "dot"),
            ("format", "png"),
            ("source", "digraph {\r\n a -> b\r\n}"),
        ]);
        assert!(error.is_none());
        assert_eq!(form.kind.name, "graphviz");
        assert_eq!(form.format, OutputFormat::Png);
        assert_eq!(form.source, "digraph {\n a -> b\n}");
        assert!(form.render);
    }

    #[test]
    fn an_unsupported_format_falls_back_with_a_notice() {
        let (form, error) = form(&[("type", "mermaid"), ("format", "pdf"), ("source", "x")]);
        assert!(error.is_none());
        assert_eq!(form.format, OutputFormat::Svg);
        assert_eq!(form.notices.len(), 1, "{:?}", form.notices);
    }

    #[test]
    fn an_unknown_type_is_an_error_with_the_source_kept() {
        let (form, error) = form(&[("type", "nope"), ("source", "a -> b")]);
        assert_eq!(error.map(|e| e.code()), Some("unknown_diagram_type"));
        assert_eq!(form.source, "a -> b");
        assert!(!form.render);
    }

    #[test]
    fn share_queries_round_trip() {
        let (mut original, _) = form(&[("type", "mermaid"), ("source", "graph TD\n  A --> B")]);
        original.set_theme("forest");
        original.extra_options = "flowchart_curve=basis".into();
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(original.share_query().as_bytes())
                .into_owned()
                .collect();
        let (restored, error) = EditorForm::from_query(&pairs, LIMIT);
        assert!(error.is_none());
        assert_eq!(restored.kind.name, "mermaid");
        assert_eq!(restored.theme, "forest");
        assert_eq!(restored.extra_options, "flowchart_curve=basis");
        assert_eq!(restored.source, "graph TD\n  A --> B");
        assert!(restored.render);
    }

    #[test]
    fn a_bad_share_link_is_a_decode_error() {
        let (_, error) = form(&[("type", "graphviz"), ("src", "not base64 !")]);
        assert_eq!(error.map(|e| e.status().as_u16()), Some(400));
    }

    #[test]
    fn controls_become_options_and_win_over_extra_lines() {
        let (mut form, _) = form(&[("type", "graphviz"), ("source", "digraph {}")]);
        form.extra_options = "# layout\nlayout = neato\ngraph-attribute-bgcolor=red".into();
        form.set_background("transparent");
        let options = form.options().map(|o| o.to_json());
        assert_eq!(
            options.ok(),
            Some(serde_json::json!({"layout": "neato", "graph-attribute-bgcolor": "transparent"}))
        );
    }

    #[test]
    fn themes_of_another_type_are_dropped() {
        let (form, _) = form(&[("type", "graphviz"), ("theme", "dark"), ("source", "x")]);
        assert!(form.theme.is_empty());
        assert_eq!(form.notices.len(), 1);
        let (form, _) = form_with_background();
        assert!(form.background.is_empty());
    }

    fn form_with_background() -> (EditorForm, Option<AppError>) {
        form(&[
            ("type", "mermaid"),
            ("background", "transparent"),
            ("source", "x"),
        ])
    }

    #[test]
    fn option_lines_must_be_name_value() {
        assert_eq!(
            parse_option_lines(" a = 1 \n\n# note\nb=").ok(),
            Some(vec![("a".into(), "1".into()), ("b".into(), String::new())])
        );
        let error = parse_option_lines("a=1\nnonsense").err();
        assert_eq!(error.as_ref().map(AppError::code), Some("invalid_options"));
        assert!(error.is_some_and(|e| e.to_string().contains("line 2")));
    }

    #[test]
    fn imported_options_fill_the_controls() {
        let mut form = EditorForm::for_kind(find_kind("graphviz").expect("graphviz"), "x".into());
        form.set_options(&[
            ("graph-attribute-bgcolor".into(), "transparent".into()),
            ("layout".into(), "circo".into()),
        ]);
        assert_eq!(form.background, "transparent");
        assert_eq!(form.extra_options, "layout=circo");
    }
}
