//! How a rendered diagram is sent: Kroki's Content-Type, a strong ETag from the content address
//! (`If-None-Match` answered with 304 before Kroki or the cache is touched), `Cache-Control`,
//! and headers that stop a diagram (SVG above all, which can carry script) from acting in this
//! app's origin.

use crate::renderer::Diagram;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::HttpResponse;
use std::time::Duration;

/// Kroki's lifetime for POST answers, kept for clients that cache them.
pub const POST_CACHE_CONTROL: &str = "public, max-age=432000";

/// Diagrams are documents of their own: no script, no plugins, a sandbox, no sniffing.
pub const DIAGRAM_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";

/// Gives a response that has none of its own the headers diagrams carry: errors, JSON and text
/// reflect what a client sent, and must not be read as markup or run in this app's origin when
/// opened directly. The pages set their own policy, which is kept.
pub fn add_document_defaults(headers: &mut HeaderMap) {
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DIAGRAM_CSP),
        );
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Disposition {
    /// As Kroki answers: no Content-Disposition.
    None,
    /// `inline; filename="diagram.<ext>"`, as the API answers.
    Inline(&'static str),
}

/// `Cache-Control` for a content-addressed GET URL: its content can never change.
pub fn immutable_cache_control(max_age: Duration) -> String {
    format!("public, max-age={}, immutable", max_age.as_secs())
}

pub fn diagram_response(
    diagram: &Diagram,
    disposition: Disposition,
    cache_control: &str,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .content_type(diagram.content_type)
        .insert_header((header::ETAG, diagram.etag.as_str()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::CONTENT_SECURITY_POLICY, DIAGRAM_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("x-cache", x_cache(diagram)));
    if let Disposition::Inline(extension) = disposition {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"diagram.{extension}\""),
        ));
    }
    response.body(diagram.bytes.clone())
}

/// `HIT` (memory), `HIT-REDIS` (the Redis tier) or `MISS` (rendered by Kroki).
fn x_cache(diagram: &Diagram) -> &'static str {
    if diagram.redis_hit {
        "HIT-REDIS"
    } else if diagram.cache_hit {
        "HIT"
    } else {
        "MISS"
    }
}

/// True when `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks) or `*`.
pub fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

pub fn not_modified(etag: &str, cache_control: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static("if-none-match"),
            HeaderValue::from_str(value).unwrap(),
        );
        map
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let etag = "\"abc\"";
        assert!(etag_matches(&headers("\"abc\""), etag));
        assert!(etag_matches(&headers("W/\"abc\""), etag));
        assert!(etag_matches(&headers("\"x\", \"abc\""), etag));
        assert!(etag_matches(&headers("*"), etag));
        assert!(!etag_matches(&headers("\"abcd\""), etag));
        assert!(!etag_matches(&HeaderMap::new(), etag));
    }

    #[test]
    fn document_defaults_fill_in_and_never_replace_a_policy() {
        let mut bare = HeaderMap::new();
        add_document_defaults(&mut bare);
        assert_eq!(bare.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert_eq!(
            bare.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            DIAGRAM_CSP
        );

        let mut page = HeaderMap::new();
        page.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'"),
        );
        add_document_defaults(&mut page);
        assert_eq!(
            page.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            "default-src 'self'"
        );
    }
}
