//! The parsing of a request into a render request, as the routes do it, on arbitrary requests
//! written as text: a first line `/{type}[/{format}][?query]` (`/` alone is Kroki's `POST /`),
//! header lines `Name: value`, a blank line, then the body. Each input goes through
//! `POST /api/generate`'s JSON parser (`api::from_json`) and through Kroki's `POST /` or
//! `POST /{type}[/{format}]` (query and `Kroki-Diagram-Options-*` options, JSON or text body,
//! format from the path, the JSON or `Accept`): the gateway's own `root_request` and
//! `post_request`.
//!
//! Checked: nothing panics; whatever is accepted is a valid render request (the type supports
//! the format, the source is within the limit and not blank, it has a content address);
//! whatever is refused is a 4xx with a message, never a 5xx.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use kroki_web::cache::CacheKey;
use kroki_web::domain::request::{parse_format, parse_type};
use kroki_web::domain::RenderRequest;
use kroki_web::error::AppError;
use kroki_web::routes::api::from_json;
use kroki_web::routes::extract::media_type;
use kroki_web::routes::gateway::{post_request, root_request};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 64 * 1024;

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
        check(root_request(query, &headers, body, LIMIT));
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
    post_request(kind, path_format, query, headers, body, LIMIT)
}
