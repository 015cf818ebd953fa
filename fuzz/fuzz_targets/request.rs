//! The parsing of a request into a render request, as the routes do it, on arbitrary parts:
//! type and format names, the query string, headers (options, Accept, Content-Type) and a JSON
//! body. Nothing may panic; whatever is accepted yields a content address.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use arbitrary::Arbitrary;
use kroki_web::cache::CacheKey;
use kroki_web::domain::request::{parse_format, parse_type};
use kroki_web::domain::{DiagramOptions, DiagramSource, RenderRequest};
use kroki_web::routes::extract::{
    add_header_options, add_query_options, is_json, media_type, negotiate_format, query_pairs,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Parts<'a> {
    type_name: &'a str,
    format_name: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
}

const LIMIT: usize = 64 * 1024;

fuzz_target!(|parts: Parts<'_>| {
    let mut headers = HeaderMap::new();
    for (name, value) in parts.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    let _ = media_type(&headers);
    let _ = is_json(&headers);
    let Ok(kind) = parse_type(parts.type_name) else {
        return;
    };
    let negotiated = negotiate_format(kind, &headers);
    let format = match parse_format(kind, parts.format_name) {
        Ok(format) => format,
        Err(_) => match negotiated {
            Ok(format) => format,
            Err(_) => return,
        },
    };
    let mut options = DiagramOptions::new();
    if add_query_options(&mut options, &query_pairs(parts.query), &["output_format"]).is_err()
        || add_header_options(&mut options, &headers).is_err()
    {
        return;
    }
    let text = match serde_json::from_slice::<serde_json::Value>(parts.body) {
        Ok(json) => {
            if let Some(json_options) = json.get("diagram_options") {
                if options.merge_json(json_options).is_err() {
                    return;
                }
            }
            match json.get("diagram_source").and_then(|v| v.as_str()) {
                Some(source) => source.to_owned(),
                None => return,
            }
        }
        Err(_) => String::from_utf8_lossy(parts.body).into_owned(),
    };
    let Ok(source) = DiagramSource::parse(text, LIMIT) else {
        return;
    };
    let request = RenderRequest {
        kind,
        format,
        source,
        options,
    };
    let etag = CacheKey::of(&request).etag();
    assert_eq!(etag.len(), 34);
});
