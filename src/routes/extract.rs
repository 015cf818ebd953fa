//! Reading requests the way Kroki does: bodies with a size limit, media types, diagram options
//! from the query string and `Kroki-Diagram-Options-*` headers, and content negotiation: the
//! output format Kroki picks by `Accept`, and whether a browser asked for a page.

use crate::config::Config;
use crate::domain::accept::by_preference;
use crate::domain::options::HEADER_PREFIX;
use crate::domain::request::join_or;
use crate::domain::{DiagramKind, DiagramOptions, OutputFormat};
use crate::error::AppError;
use actix_web::http::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

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

/// The body as text. Kroki decodes bodies as UTF-8, replacing what is not.
pub fn body_text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// Query parameters in order, decoded leniently (clients do not always escape option values).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
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
pub fn add_header_options(
    options: &mut DiagramOptions,
    headers: &HeaderMap,
) -> Result<(), AppError> {
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
}
