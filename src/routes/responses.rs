//! How a rendered diagram is sent: Kroki's Content-Type, a strong ETag from the content address
//! (`If-None-Match` answered with 304 before Kroki or the cache is touched), `Cache-Control`,
//! and headers that stop a diagram (SVG above all, which can carry script) from acting in this
//! app's origin.
//!
//! A compressible diagram (SVG, text) is sent in the coding `compress::negotiate` chooses, with
//! `Vary: Accept-Encoding` whatever the coding: the cache's stored variant when it has one (a
//! strong ETag with the coding inside the quotes, `"<hex>-br"`), otherwise compressed on the fly
//! (the same ETag, weak: `W/"<hex>-br"`, as the bytes of an on-the-fly compression are not the
//! stored ones). Identity answers keep the plain `"<hex>"`. Images and PDF are sent as they are,
//! without `Vary`.

use super::compress::{content_encoding, negotiate, vary_on_accept_encoding};
use crate::cache::{is_compressible, Coding};
use crate::renderer::Diagram;
use actix_http::encoding::Encoder;
use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::HttpResponse;
use std::cell::RefCell;
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
fn immutable_cache_control(max_age: Duration) -> String {
    format!("public, max-age={}, immutable", max_age.as_secs())
}

/// [`immutable_cache_control`] as a header value, made once per thread and lifetime and then
/// shared (a clone is a reference count), not formatted and copied on every hit.
pub fn immutable_cache_control_value(max_age: Duration) -> HeaderValue {
    thread_local! {
        static MADE: RefCell<Option<(Duration, HeaderValue)>> = const { RefCell::new(None) };
    }
    MADE.with_borrow_mut(|made| match made {
        Some((age, value)) if *age == max_age => value.clone(),
        _ => {
            // Digits and ASCII: always a valid value.
            let value = HeaderValue::from_str(&immutable_cache_control(max_age))
                .unwrap_or_else(|_| HeaderValue::from_static("public, immutable"));
            *made = Some((max_age, value.clone()));
            value
        }
    })
}

/// The coding a diagram of `content_type` is answered in, for a request with these headers.
pub fn answer_coding(request_headers: &HeaderMap, content_type: &str) -> Coding {
    if is_compressible(content_type) {
        negotiate(request_headers)
    } else {
        Coding::Identity
    }
}

/// [`coded_etag`], weak (`W/`) or not, as a header value: written into a buffer on the stack and
/// copied once, with no `String` in between.
fn coded_etag_value(identity_etag: &str, coding: Coding, weak: bool) -> HeaderValue {
    let mut buffer = [0u8; 80];
    let mut length = 0;
    let mut put = |bytes: &[u8]| {
        let end = (length + bytes.len()).min(buffer.len());
        buffer[length..end].copy_from_slice(&bytes[..end - length]);
        length = end;
    };
    if weak {
        put(b"W/");
    }
    match (coding, identity_etag.strip_suffix('"')) {
        (Coding::Identity, _) | (_, None) => put(identity_etag.as_bytes()),
        (coding, Some(open)) => {
            put(open.as_bytes());
            put(b"-");
            put(coding.token().as_bytes());
            put(b"\"");
        }
    }
    match HeaderValue::from_bytes(&buffer[..length]) {
        Ok(value) if length < buffer.len() => value,
        // Longer than any ETag this app makes: the slow way, never truncated.
        _ => {
            let etag = coded_etag(identity_etag, coding);
            let etag = if weak { format!("W/{etag}") } else { etag };
            HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        }
    }
}

/// The ETag of the answer in `coding`, from the identity one (`"<hex>"` becomes `"<hex>-br"`).
pub fn coded_etag(identity_etag: &str, coding: Coding) -> String {
    match (coding, identity_etag.strip_suffix('"')) {
        (Coding::Identity, _) | (_, None) => identity_etag.to_owned(),
        (coding, Some(open)) => {
            let mut etag = String::with_capacity(identity_etag.len() + 6);
            etag.push_str(open);
            etag.push('-');
            etag.push_str(coding.token());
            etag.push('"');
            etag
        }
    }
}

/// A diagram's answer, in the coding the request accepts. Every header value is either static
/// or made once (`cache_control` too: a clone is a reference count), and the ETag is the one
/// copy per response: this runs on every cache hit and every render.
pub fn diagram_response(
    request_headers: &HeaderMap,
    diagram: &Diagram,
    disposition: Disposition,
    cache_control: HeaderValue,
) -> HttpResponse {
    let compressible = is_compressible(diagram.content_type);
    let coding = answer_coding(request_headers, diagram.content_type);
    let stored = match coding {
        Coding::Identity => Some(&diagram.bytes),
        coding => diagram.encoded.get(coding),
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, static_value(diagram.content_type)))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DIAGRAM_CSP),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            HeaderName::from_static("x-cache"),
            HeaderValue::from_static(x_cache(diagram)),
        ));
    if compressible {
        response.insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    }
    if let Disposition::Inline(extension) = disposition {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"diagram.{extension}\""),
        ));
    }
    match stored {
        Some(bytes) => {
            if coding != Coding::Identity {
                response.insert_header((
                    header::CONTENT_ENCODING,
                    HeaderValue::from_static(coding.token()),
                ));
            }
            response.insert_header((header::ETAG, coded_etag_value(&diagram.etag, coding, false)));
            response.body(bytes.clone())
        }
        None => {
            response.insert_header((header::ETAG, coded_etag_value(&diagram.etag, coding, true)));
            let encoding = content_encoding(coding);
            let mut response = response
                .body(diagram.bytes.clone())
                .map_body(|head, body| Encoder::response(encoding, head, body));
            // The encoder adds its own `Vary` value: keep one.
            vary_on_accept_encoding(response.headers_mut());
            response.map_into_boxed_body()
        }
    }
}

/// A media type of the diagram table as a header value, without a copy. The table's types are
/// plain ASCII; anything else would be copied (and, if not a valid value, sent as octets).
fn static_value(content_type: &'static str) -> HeaderValue {
    if content_type
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        HeaderValue::from_static(content_type)
    } else {
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
    }
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

/// What `If-None-Match` asks of a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-None-Match`, or none of its tags is this one.
    None,
    /// It lists this ETag (weak comparison, as RFC 9110 asks).
    Tag,
    /// It is `*`: it matches only if a current representation exists, which only the cache or
    /// a successful render can tell.
    Any,
}

/// What `If-None-Match` says about `etag`.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> Precondition {
    let mut any = false;
    let tags = headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim());
    for tag in tags {
        if tag == "*" {
            any = true;
        } else if tag.trim_start_matches("W/") == etag.trim_start_matches("W/") {
            return Precondition::Tag;
        }
    }
    if any {
        Precondition::Any
    } else {
        Precondition::None
    }
}

/// True when `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks) or `*`, for
/// resources that always exist (static assets).
pub fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    if_none_match(headers, etag) != Precondition::None
}

/// 304 for a diagram answered in `coding`: the ETag of that coding (strong: a client may hold
/// either form, and 304 carries the validator the client's copy has under weak comparison) and
/// `Vary` for compressible media types, as the 200 would carry.
pub fn not_modified(etag: &str, cache_control: HeaderValue) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .finish()
}

/// [`not_modified`] for a diagram: its coding's ETag and, when compressible, `Vary`.
pub fn diagram_not_modified(
    identity_etag: &str,
    coding: Coding,
    compressible: bool,
    cache_control: HeaderValue,
) -> HttpResponse<BoxBody> {
    let mut response = not_modified(&coded_etag(identity_etag, coding), cache_control);
    if compressible {
        vary_on_accept_encoding(response.headers_mut());
    }
    response
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
    fn each_coding_has_its_own_etag_and_identity_keeps_the_plain_one() {
        let base = format!("\"{}\"", "5a".repeat(16));
        assert_eq!(coded_etag(&base, Coding::Identity), base);
        assert_eq!(
            coded_etag(&base, Coding::Brotli),
            format!("\"{}-br\"", "5a".repeat(16))
        );
        assert_eq!(
            coded_etag(&base, Coding::Gzip),
            format!("\"{}-gzip\"", "5a".repeat(16))
        );
        assert_eq!(
            coded_etag(&base, Coding::Zstd),
            format!("\"{}-zstd\"", "5a".repeat(16))
        );
    }

    #[test]
    fn etag_values_are_the_coded_etags_strong_or_weak() {
        let base = format!("\"{}\"", "5a".repeat(16));
        for coding in [Coding::Identity, Coding::Brotli, Coding::Zstd, Coding::Gzip] {
            let strong = coded_etag(&base, coding);
            assert_eq!(coded_etag_value(&base, coding, false), strong.as_str());
            assert_eq!(
                coded_etag_value(&base, coding, true),
                format!("W/{strong}").as_str()
            );
        }
        // Longer than the buffer: whole, never cut.
        let long = format!("\"{}\"", "ab".repeat(60));
        assert_eq!(
            coded_etag_value(&long, Coding::Gzip, true),
            format!("W/{}", coded_etag(&long, Coding::Gzip)).as_str()
        );
    }

    #[test]
    fn the_cache_control_value_follows_the_max_age_it_is_asked_for() {
        for seconds in [60, 31_536_000, 60] {
            let age = Duration::from_secs(seconds);
            let value = immutable_cache_control_value(age);
            assert_eq!(value, immutable_cache_control(age).as_str());
            assert_eq!(immutable_cache_control_value(age), value);
        }
    }

    #[test]
    fn star_is_told_apart_from_a_listed_tag() {
        let etag = "\"abc-br\"";
        assert_eq!(if_none_match(&headers("*"), etag), Precondition::Any);
        assert_eq!(
            if_none_match(&headers("\"abc\", *"), etag),
            Precondition::Any
        );
        assert_eq!(
            if_none_match(&headers("*, W/\"abc-br\""), etag),
            Precondition::Tag
        );
        assert_eq!(if_none_match(&headers("\"abc\""), etag), Precondition::None);
        assert_eq!(
            if_none_match(&headers("\"abc-br\""), "W/\"abc-br\""),
            Precondition::Tag
        );
    }

    #[test]
    fn only_compressible_diagrams_are_negotiated() {
        let mut request = HeaderMap::new();
        request.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
        assert_eq!(answer_coding(&request, "image/svg+xml"), Coding::Brotli);
        assert_eq!(
            answer_coding(&request, "text/plain; charset=utf-8"),
            Coding::Brotli
        );
        assert_eq!(answer_coding(&request, "image/png"), Coding::Identity);
        assert_eq!(answer_coding(&request, "application/pdf"), Coding::Identity);
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
