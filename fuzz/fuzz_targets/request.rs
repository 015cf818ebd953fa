//! The parsing of a request into a render request, as the routes do it, on arbitrary requests
//! written as text: a first line `/{type}[/{format}][?query]` (`/` alone is Kroki's `POST /`),
//! header lines `Name: value`, a blank line, then the body. Each input goes through
//! `POST /api/generate`'s JSON parser (`api::from_json`) and through Kroki's `POST /` or
//! `POST /{type}[/{format}]` (query and `Kroki-Diagram-Options-*` options, JSON or text body,
//! format from the path, the JSON or `Accept`), built from the gateway's own functions.
//!
//! Checked: nothing panics; whatever is accepted is a valid render request (the type supports
//! the format, the source is within the limit and not blank, it has a content address);
//! whatever is refused is a 4xx with a message, never a 5xx.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use kroki_web::cache::CacheKey;
use kroki_web::domain::request::{parse_format, parse_type};
use kroki_web::domain::{DiagramOptions, DiagramSource, RenderRequest};
use kroki_web::error::AppError;
use kroki_web::routes::api::from_json;
use kroki_web::routes::extract::{
    add_header_options, add_query_options, is_json, media_type, negotiate_format, query_pairs,
};
use kroki_web::routes::gateway::{optional_field, parse_json, required_field};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const LIMIT: usize = 64 * 1024;

/// As `gateway::RESERVED_QUERY`: query parameters that are not diagram options.
const RESERVED_QUERY: &[&str] = &["output_format", "source_encoded"];

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|pair| pair == b"\n\n") {
        Some(end) => (&data[..end], &data[end + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&byte| byte == b'\n');
    let target = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) {
            headers.append(name, value);
        }
    }
    let _ = media_type(&headers);

    check(from_json(body, LIMIT));
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() {
        check(kroki_root(query, &headers, body));
    } else {
        check(kroki_post(path, query, &headers, body));
    }
});

fn check(result: Result<RenderRequest, AppError>) {
    match result {
        Ok(request) => {
            assert!(request.kind.supports(request.format), "{request:?}");
            assert!(request.source.len() <= LIMIT);
            assert!(!request.source.as_str().trim().is_empty());
            assert_eq!(CacheKey::of(&request, "engine@1").etag().len(), 34);
        }
        Err(error) => {
            assert!(error.status().is_client_error(), "not a 4xx: {error:?}");
            assert!(!error.to_string().is_empty(), "no message: {error:?}");
            let _ = error.details();
        }
    }
}

fn empty_body(body: &[u8]) -> Option<AppError> {
    String::from_utf8_lossy(body)
        .trim()
        .is_empty()
        .then(|| AppError::bad_request("empty_source", "Request body must not be empty."))
}

/// `gateway::post_root`: everything in a JSON body, whatever the Content-Type.
fn kroki_root(query: &str, headers: &HeaderMap, body: &[u8]) -> Result<RenderRequest, AppError> {
    if let Some(error) = empty_body(body) {
        return Err(error);
    }
    let json = parse_json(body)?;
    let source = required_field(&json, "diagram_source")?;
    let kind = parse_type(&required_field(&json, "diagram_type")?)?;
    let format = parse_format(kind, &required_field(&json, "output_format")?)?;
    let mut options = DiagramOptions::new();
    add_query_options(&mut options, &query_pairs(query), RESERVED_QUERY)?;
    add_header_options(&mut options, headers)?;
    options.merge_json(json.get("diagram_options").unwrap_or(&Value::Null))?;
    Ok(RenderRequest {
        kind,
        format,
        source: DiagramSource::parse(source, LIMIT)?,
        options,
    })
}

/// `gateway::post_with_format` and `post_negotiated`, then `post_diagram`.
fn kroki_post(
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<RenderRequest, AppError> {
    let (type_name, format_name) = match path.split_once('/') {
        Some((type_name, format_name)) => (type_name, Some(format_name)),
        None => (path, None),
    };
    let kind = parse_type(type_name).map_err(|_| AppError::NotFound)?;
    let path_format = format_name
        .map(|name| parse_format(kind, name))
        .transpose()?;
    if let Some(error) = empty_body(body) {
        return Err(error);
    }
    let mut options = DiagramOptions::new();
    add_query_options(&mut options, &query_pairs(query), RESERVED_QUERY)?;
    add_header_options(&mut options, headers)?;
    let (source, json_format) = if is_json(headers) {
        let json = parse_json(body)?;
        options.merge_json(json.get("diagram_options").unwrap_or(&Value::Null))?;
        (
            required_field(&json, "diagram_source")?,
            optional_field(&json, "output_format")?,
        )
    } else {
        (String::from_utf8_lossy(body).into_owned(), None)
    };
    let format = match (path_format, json_format) {
        (Some(format), _) => format,
        (None, Some(name)) => parse_format(kind, &name)?,
        (None, None) => negotiate_format(kind, headers)?,
    };
    Ok(RenderRequest {
        kind,
        format,
        source: DiagramSource::parse(source, LIMIT)?,
        options,
    })
}
