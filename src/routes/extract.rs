//! Reading requests the way Kroki does: bodies with a size limit, media types, query
//! parameters, JSON bodies, diagram options from the query string, `Kroki-Diagram-Options-*`
//! headers and JSON (merged in one place, `kroki_options`), and content negotiation: the output
//! format Kroki picks by `Accept`, and whether a browser asked for a page.

use crate::config::Config;
use crate::domain::accept::by_preference;
use crate::domain::options::HEADER_PREFIX;
use crate::domain::request::join_or;
use crate::domain::{DiagramKind, DiagramOptions, OutputFormat};
use crate::error::AppError;
use actix_web::http::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut, Payload};
use actix_web::HttpRequest;
use futures_util::StreamExt;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Reads a request body, refusing it as soon as it passes the body limit (declared or actual),
/// and with 408 when it has not all arrived within `CLIENT_REQUEST_TIMEOUT` (a slow body holds
/// a connection as a slow head does).
pub async fn read_body(
    payload: Payload,
    headers: &HeaderMap,
    config: &Config,
) -> Result<Bytes, AppError> {
    let timeout = config.client_request_timeout;
    let reading = read_body_within(payload, headers, config.max_body_size());
    if timeout.is_zero() {
        return reading.await;
    }
    tokio::time::timeout(timeout, reading)
        .await
        .unwrap_or_else(|_elapsed| Err(AppError::BodyTimeout { timeout }))
}

async fn read_body_within(
    mut payload: Payload,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, AppError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let mut body = BytesMut::with_capacity(declared.map_or(8192, |length| length as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            AppError::bad_request(
                "invalid_body",
                format!("The request body could not be read: {error}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The media type of the body, lower-cased and without parameters (`application/json`).
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

pub fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/json")
}

/// Query parameters in order, decoded leniently (clients do not always escape option values).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The first value of the parameter `name` among name/value pairs (a query string's or a
/// urlencoded form's).
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The first value of the request's query parameter `name`.
pub fn query_param(request: &HttpRequest, name: &str) -> Option<String> {
    param(&query_pairs(request.query_string()), name).map(str::to_owned)
}

/// Query parameters of Kroki's routes that name the request rather than an option (Kroki lets
/// them override the path on GET).
const RESERVED_QUERY: &[&str] = &["output_format", "source_encoded"];

/// The diagram options of a request to Kroki's routes, merged with Kroki's precedence, each
/// source over the one before: the query string (less `RESERVED_QUERY`), then
/// `Kroki-Diagram-Options-*` headers, then the JSON body's `diagram_options`.
pub fn kroki_options(
    query: &str,
    headers: &HeaderMap,
    json: Option<&Value>,
) -> Result<DiagramOptions, AppError> {
    let mut options = DiagramOptions::new();
    add_query_options(&mut options, &query_pairs(query), RESERVED_QUERY)?;
    add_header_options(&mut options, headers)?;
    if let Some(json) = json {
        options.merge_json(json)?;
    }
    Ok(options)
}

/// Why a JSON body was refused before any of its fields was read.
#[derive(Debug)]
pub enum JsonBodyError {
    Syntax(serde_json::Error),
    NotAnObject,
}

impl fmt::Display for JsonBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonBodyError::Syntax(error) => {
                write!(f, "The request body is not valid JSON: {error}.")
            }
            JsonBodyError::NotAnObject => f.write_str("The request body must be a JSON object."),
        }
    }
}

/// Reads a JSON object body into its request type, whose fields take any JSON value
/// (`TextField`, `Value`), so that only the body as a whole is refused here and the handler
/// checks the fields in its own order. A repeated key keeps its last value, as Kroki's
/// `JsonObject` does, and an array is not taken for a struct's fields.
///
/// An object is read straight into the type first: no `Value` tree is built and the source is
/// not copied through one. Whatever that refuses (a repeated key, which a derived `Deserialize`
/// refuses, or any error) is read again through a `Value`, which gives the answer above and
/// the error's message; so both ways give the same result.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonBodyError> {
    if body.trim_ascii_start().first() == Some(&b'{') {
        if let Ok(read) = serde_json::from_slice(body) {
            return Ok(read);
        }
    }
    let json: Value = serde_json::from_slice(body).map_err(JsonBodyError::Syntax)?;
    if !json.is_object() {
        return Err(JsonBodyError::NotAnObject);
    }
    serde_json::from_value(json).map_err(JsonBodyError::Syntax)
}

/// A JSON body field meant to be a string, as it came: absent (or null), a string, or another
/// type, which is refused when the handler reaches the field (`Field {name} must be a string.`).
/// Documented as a string (`#[schema(value_type = String)]` on the field).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum TextField {
    #[default]
    Absent,
    Text(String),
    NotText,
}

impl<'de> Deserialize<'de> for TextField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Null => TextField::Absent,
            Value::String(text) => TextField::Text(text),
            _ => TextField::NotText,
        })
    }
}

impl TextField {
    /// The text, or `None` when the field is absent, null or text that `empty` calls empty;
    /// a 400 naming the field when it is not a string.
    pub fn text(self, name: &str, empty: fn(&str) -> bool) -> Result<Option<String>, AppError> {
        match self {
            TextField::Absent => Ok(None),
            TextField::Text(text) if empty(&text) => Ok(None),
            TextField::Text(text) => Ok(Some(text)),
            TextField::NotText => Err(AppError::bad_request(
                "invalid_field",
                format!("Field {name} must be a string."),
            )),
        }
    }
}

/// Options from the query string, less the parameters that name the request itself.
pub fn add_query_options(
    options: &mut DiagramOptions,
    pairs: &[(String, String)],
    reserved: &[&str],
) -> Result<(), AppError> {
    for (key, value) in pairs {
        if !reserved.iter().any(|name| key.eq_ignore_ascii_case(name)) {
            options.insert_text(key, value)?;
        }
    }
    Ok(())
}

/// Options from `Kroki-Diagram-Options-{name}` headers, in any letter case.
fn add_header_options(options: &mut DiagramOptions, headers: &HeaderMap) -> Result<(), AppError> {
    for (name, value) in headers {
        let name = name.as_str();
        if name.len() > HEADER_PREFIX.len()
            && name[..HEADER_PREFIX.len()].eq_ignore_ascii_case(HEADER_PREFIX)
        {
            let value = String::from_utf8_lossy(value.as_bytes());
            options.insert_text(&name[HEADER_PREFIX.len()..], &value)?;
        }
    }
    Ok(())
}

/// Whether the client's first choice, by `Accept`, is an HTML page (a browser).
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    by_preference(accept)
        .first()
        .is_some_and(|media| media.starts_with("text/html"))
}

/// Kroki's choice of format from `Accept` when the request names none: media types in quality
/// order, parameters removed, matched exactly against the formats the type supports.
pub fn negotiate_format(kind: &DiagramKind, headers: &HeaderMap) -> Result<OutputFormat, AppError> {
    let accept: Vec<String> = headers
        .get_all(ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect();
    if accept.is_empty() {
        return Err(AppError::bad_request(
            "undefined_format",
            "Output format is undefined. Must be defined as part of the query path or as an Accept header.",
        ));
    }
    let joined = accept.join(",");
    let requested = by_preference(&joined);
    if let Some(format) = requested
        .iter()
        .filter_map(|media| OutputFormat::from_accept_mime(media))
        .find(|format| kind.supports(*format))
    {
        return Ok(format);
    }
    let mut supported: Vec<&str> = kind
        .formats
        .iter()
        .map(|format| format.accept_mime())
        .collect();
    supported.dedup();
    Err(AppError::bad_request(
        "unsupported_format",
        format!(
            "Content negotiation failed, no output format found for the following MIME types: {}. Must be one of {} for {}.",
            requested.join(", "),
            join_or(supported),
            kind.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn negotiation_follows_quality_and_support() {
        let graphviz = catalog::find("graphviz").expect("graphviz");
        let pick = |accept: &str| negotiate_format(graphviz, &headers(&[("accept", accept)]));
        assert_eq!(pick("image/svg+xml").ok(), Some(OutputFormat::Svg));
        assert_eq!(
            pick("text/html;q=0.9, image/png;q=0.5, image/svg+xml;q=0.4").ok(),
            Some(OutputFormat::Png)
        );
        assert_eq!(
            pick("image/svg+xml; charset=utf-8").ok(),
            Some(OutputFormat::Svg)
        );
        let error = pick("text/html")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(error, "Content negotiation failed, no output format found for the following MIME types: text/html. Must be one of image/png, image/svg+xml, image/jpeg or application/pdf for graphviz.");
        assert!(pick("*/*").is_err());
        let none = negotiate_format(graphviz, &HeaderMap::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(none.as_deref(), Some("Output format is undefined. Must be defined as part of the query path or as an Accept header."));
    }

    #[test]
    fn options_come_from_headers_in_any_case() {
        let mut options = DiagramOptions::new();
        let map = headers(&[
            ("Kroki-Diagram-Options-Edge-Attribute-ArrowHead", "diamond"),
            ("KROKI-DIAGRAM-OPTIONS-THEME", "dark"),
            ("kroki-diagram-options-", "ignored"),
            ("x-other", "ignored"),
        ]);
        add_header_options(&mut options, &map).ok();
        assert_eq!(
            options.to_json(),
            serde_json::json!({"edge-attribute-arrowhead": "diamond", "theme": "dark"})
        );
    }

    #[test]
    fn query_options_skip_reserved_names_and_tolerate_raw_values() {
        let pairs =
            query_pairs("output_format=png&Theme=dark%20blue&scale=2&raw=a b|c&source_encoded=x");
        let mut options = DiagramOptions::new();
        add_query_options(&mut options, &pairs, &["output_format", "source_encoded"]).ok();
        assert_eq!(
            options.to_json(),
            serde_json::json!({"theme": "dark blue", "scale": "2", "raw": "a b|c"})
        );
    }

    #[test]
    fn media_type_ignores_parameters_and_case() {
        assert_eq!(
            media_type(&headers(&[(
                "content-type",
                "Application/JSON; charset=utf-8"
            )]))
            .as_deref(),
            Some("application/json")
        );
        assert_eq!(media_type(&HeaderMap::new()), None);
    }

    #[test]
    fn options_merge_with_kroki_precedence_json_over_headers_over_query() {
        let map = headers(&[
            ("Kroki-Diagram-Options-Theme", "header"),
            ("kroki-diagram-options-scale", "header"),
        ]);
        let json = serde_json::json!({"Theme": "json", "sketch": true});
        let query = "theme=query&scale=query&layout=query&output_format=png&source_encoded=x";
        let options = kroki_options(query, &map, Some(&json)).map(|o| o.to_json());
        assert_eq!(
            options.ok(),
            Some(
                serde_json::json!({"theme": "json", "scale": "header", "layout": "query", "sketch": true})
            )
        );
        let without_json = kroki_options(query, &map, None).map(|o| o.to_json());
        assert_eq!(
            without_json.ok(),
            Some(serde_json::json!({"theme": "header", "scale": "header", "layout": "query"}))
        );
    }

    #[test]
    fn a_parameter_is_its_first_value() {
        let pairs = query_pairs("a=1&b=&a=2");
        assert_eq!(param(&pairs, "a"), Some("1"));
        assert_eq!(param(&pairs, "b"), Some(""));
        assert_eq!(param(&pairs, "A"), None);
        let request = actix_web::test::TestRequest::get()
            .uri("/x?url=https%3A%2F%2Fa%2Fb&url=second")
            .to_http_request();
        assert_eq!(query_param(&request, "url").as_deref(), Some("https://a/b"));
        assert_eq!(query_param(&request, "import"), None);
    }

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default)]
        name: TextField,
        #[serde(default)]
        other: TextField,
        #[serde(default)]
        third: TextField,
    }

    #[test]
    fn json_bodies_are_objects_whose_text_fields_take_any_value() {
        let body: Result<Body, _> = json_object(br#"{"name": "a", "other": 7, "extra": [1]}"#);
        let body = body.expect("an object parses");
        assert_eq!(body.name, TextField::Text("a".into()));
        assert_eq!(body.other, TextField::NotText);
        assert_eq!(body.third, TextField::Absent);
        let error = body
            .other
            .text("other", str::is_empty)
            .err()
            .map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("Field other must be a string."));
        // A repeated key keeps its last value, as Kroki's JsonObject does.
        let repeated: Option<Body> = json_object(br#"{"name": 1, "name": "last"}"#).ok();
        assert_eq!(
            repeated.map(|body| body.name),
            Some(TextField::Text("last".into()))
        );
        // Read straight or through a `Value`, the same fields.
        let repeated: Option<Body> =
            json_object(br#" {"other": "x", "other": "y", "name": "n", "zz": {"a": 1}}"#).ok();
        let repeated = repeated.map(|body| (body.name, body.other, body.third));
        let straight: Option<Body> =
            json_object(br#"{"other": "y", "name": "n", "zz": {"a": 1}}"#).ok();
        let straight = straight.map(|body| (body.name, body.other, body.third));
        let expected = (
            TextField::Text("n".into()),
            TextField::Text("y".into()),
            TextField::Absent,
        );
        assert_eq!(repeated, Some(expected.clone()));
        assert_eq!(straight, Some(expected));
        let null: Option<Body> = json_object(br#"{"name": null}"#).ok();
        assert_eq!(null.map(|body| body.name), Some(TextField::Absent));
        let message = |body: &[u8]| json_object::<Body>(body).err().map(|e| e.to_string());
        assert_eq!(
            message(b"[\"a\", \"b\", \"c\"]").as_deref(),
            Some("The request body must be a JSON object.")
        );
        assert_eq!(
            message(b"{").as_deref(),
            Some("The request body is not valid JSON: EOF while parsing an object at line 1 column 1.")
        );
        let blank = TextField::Text(" ".into());
        assert_eq!(
            blank.clone().text("f", str::is_empty).ok(),
            Some(Some(" ".into()))
        );
        assert_eq!(
            blank.text("f", |text| text.trim().is_empty()).ok(),
            Some(None)
        );
    }
}
