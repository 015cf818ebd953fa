//! Content codings: which one a request accepts (`Accept-Encoding`, RFC 9110 section 12.5.3),
//! and the middleware that compresses answers on the fly (in place of actix-web's `Compress`,
//! so that the diagram responses, which choose their coding and ETag themselves, and this
//! middleware always agree on the coding).
//!
//! Compressible media types (text, SVG, JSON, XML: `crate::cache::is_compressible`) are
//! compressed, with actix-web's encoder (brotli 3, zstd 3, gzip fast), when the client accepts a
//! coding and the answer has no `Content-Encoding` yet; every compressible answer carries
//! `Vary: Accept-Encoding`, whatever coding it is sent in. Other media types are never
//! compressed. Cached diagrams carry stored variants instead (`crate::cache`), which this
//! middleware leaves alone.

use crate::cache::{is_compressible, Coding};
use actix_http::encoding::Encoder;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentEncoding, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

/// Weights in thousandths (RFC 9110's `qvalue` has three decimals).
type Weight = u16;
const FULL: Weight = 1000;

/// The coding to answer a compressible response in. The compressed coding with the highest
/// weight (`q`) wins, ties going to the server's order (brotli, zstd, gzip); `*` gives its
/// weight to every coding not listed; `q=0` refuses a coding. Identity wins only when listed
/// (or covered by `*`) with a higher weight than every compressed coding, or when no compressed
/// coding is acceptable. Without `Accept-Encoding` (or with an empty one) the answer is identity.
/// A request that refuses identity too and accepts nothing this app has still gets identity
/// (RFC 9110 allows answering without a coding; a 406 would break more clients than it helps).
pub fn negotiate(headers: &HeaderMap) -> Coding {
    let mut listed: [Option<Weight>; 4] = [None; 4];
    let mut star: Option<Weight> = None;
    let mut any_header = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        any_header = true;
        let Ok(text) = value.to_str() else { continue };
        for element in text.split(',') {
            let mut parts = element.split(';');
            let token = parts.next().unwrap_or_default().trim();
            if token.is_empty() {
                continue;
            }
            let mut weight = Some(FULL);
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("q") {
                        weight = parse_weight(value.trim());
                    }
                }
            }
            // An element with a malformed weight is ignored.
            let Some(weight) = weight else { continue };
            let slot = if token == "*" {
                &mut star
            } else if let Some(coding) = Coding::from_token(token) {
                &mut listed[index(coding)]
            } else {
                continue;
            };
            // Listed twice: the higher weight counts.
            *slot = Some(slot.map_or(weight, |old| old.max(weight)));
        }
    }
    if !any_header {
        return Coding::Identity;
    }
    let weight_of = |coding: Coding| listed[index(coding)].or(star);
    let mut best: Option<(Coding, Weight)> = None;
    for coding in Coding::COMPRESSED {
        let weight = weight_of(coding).unwrap_or(0);
        if weight > 0 && best.is_none_or(|(_, top)| weight > top) {
            best = Some((coding, weight));
        }
    }
    match (best, weight_of(Coding::Identity)) {
        (Some((_, top)), Some(identity)) if identity > top => Coding::Identity,
        (Some((coding, _)), _) => coding,
        (None, _) => Coding::Identity,
    }
}

fn index(coding: Coding) -> usize {
    match coding {
        Coding::Identity => 0,
        Coding::Brotli => 1,
        Coding::Zstd => 2,
        Coding::Gzip => 3,
    }
}

/// `0`, `0.5`, `1`, `1.000`: a weight in thousandths; anything else is malformed.
fn parse_weight(text: &str) -> Option<Weight> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |acc, digit| acc * 10 + Weight::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(FULL),
        _ => None,
    }
}

/// actix-web's name of a coding, for its encoder.
pub fn content_encoding(coding: Coding) -> ContentEncoding {
    match coding {
        Coding::Identity => ContentEncoding::Identity,
        Coding::Brotli => ContentEncoding::Brotli,
        Coding::Zstd => ContentEncoding::Zstd,
        Coding::Gzip => ContentEncoding::Gzip,
    }
}

/// Sets `Vary: Accept-Encoding` once, keeping any other `Vary` values.
pub fn vary_on_accept_encoding(headers: &mut HeaderMap) {
    const VALUE: HeaderValue = HeaderValue::from_static("Accept-Encoding");
    let mut values = headers.get_all(header::VARY);
    match (values.next(), values.next()) {
        (None, _) => {
            headers.insert(header::VARY, VALUE);
            return;
        }
        // The common case on a diagram answer: already there, alone.
        (Some(only), None) if only.as_bytes().eq_ignore_ascii_case(b"accept-encoding") => return,
        _ => {}
    }
    let others: Vec<HeaderValue> = headers
        .get_all(header::VARY)
        .filter(|value| !value.as_bytes().eq_ignore_ascii_case(b"accept-encoding"))
        .cloned()
        .collect();
    headers.insert(header::VARY, VALUE);
    for value in others {
        headers.append(header::VARY, value);
    }
}

/// The middleware: compresses compressible answers that are not encoded yet, in the coding
/// [`negotiate`] chooses. An answer sent as it is (identity, or not compressible) keeps its
/// body untouched: no encoder around it (the common case of a request without
/// `Accept-Encoding`, and of every cache hit, whose diagram answer is already encoded).
pub async fn compress(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let coding = negotiate(request.headers());
    let response = next.call(request).await?;
    Ok(response.map_body(|head, body| {
        let compressible = head
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(is_compressible);
        if !compressible {
            return EitherBody::right(body);
        }
        if coding == Coding::Identity || head.headers().contains_key(header::CONTENT_ENCODING) {
            vary_on_accept_encoding(head.headers_mut());
            return EitherBody::right(body);
        }
        let encoder = Encoder::response(content_encoding(coding), head, body);
        // After the encoder, which adds its own `Vary` value: keep one.
        vary_on_accept_encoding(head.headers_mut());
        EitherBody::left(encoder)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn accept(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                HeaderName::from_static("accept-encoding"),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    fn chosen(value: &str) -> Coding {
        negotiate(&accept(&[value]))
    }

    #[test]
    fn browsers_get_brotli_and_single_codings_get_themselves() {
        assert_eq!(chosen("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(chosen("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(chosen("gzip, deflate"), Coding::Gzip);
        assert_eq!(chosen("zstd"), Coding::Zstd);
        assert_eq!(chosen("GZIP"), Coding::Gzip);
        assert_eq!(chosen("x-gzip"), Coding::Gzip);
        assert_eq!(chosen("deflate"), Coding::Identity);
        assert_eq!(chosen("compress, bogus"), Coding::Identity);
    }

    #[test]
    fn no_header_or_an_empty_one_is_identity() {
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
        assert_eq!(chosen(""), Coding::Identity);
        assert_eq!(chosen("identity"), Coding::Identity);
    }

    #[test]
    fn weights_choose_and_zero_refuses() {
        assert_eq!(chosen("br;q=0.5, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(chosen("br;q=0.5, gzip;q=0.8, zstd;q=0.9"), Coding::Zstd);
        assert_eq!(chosen("br;q=0, gzip"), Coding::Gzip);
        assert_eq!(chosen("br; q=0.001, gzip;Q=0.000"), Coding::Brotli);
        assert_eq!(chosen("br;q=0, gzip;q=0, zstd;q=0"), Coding::Identity);
        // Ties go to the server's order.
        assert_eq!(chosen("gzip;q=0.7, zstd;q=0.7"), Coding::Zstd);
        // Listed twice: the higher weight.
        assert_eq!(chosen("gzip;q=0.1, br;q=0.5, gzip;q=0.9"), Coding::Gzip);
    }

    #[test]
    fn identity_wins_only_with_a_higher_weight() {
        assert_eq!(chosen("identity;q=1, gzip;q=0.5"), Coding::Identity);
        assert_eq!(chosen("identity;q=0.5, gzip;q=0.5"), Coding::Gzip);
        assert_eq!(chosen("identity;q=0, gzip"), Coding::Gzip);
        // Nothing acceptable: identity all the same.
        assert_eq!(chosen("identity;q=0, deflate"), Coding::Identity);
        assert_eq!(chosen("*;q=0"), Coding::Identity);
    }

    #[test]
    fn star_covers_the_codings_not_listed() {
        assert_eq!(chosen("*"), Coding::Brotli);
        assert_eq!(chosen("br;q=0, *"), Coding::Zstd);
        assert_eq!(chosen("br;q=0, zstd;q=0, *;q=0.3"), Coding::Gzip);
        assert_eq!(chosen("gzip;q=0.2, *;q=0"), Coding::Gzip);
        assert_eq!(chosen("*;q=0.5, identity"), Coding::Identity);
    }

    #[test]
    fn malformed_weights_drop_their_element_and_headers_combine() {
        assert_eq!(chosen("br;q=2, gzip"), Coding::Gzip);
        assert_eq!(chosen("br;q=0.5x, gzip;q=0.1"), Coding::Gzip);
        assert_eq!(chosen("br;q=1.5"), Coding::Identity);
        assert_eq!(chosen("br;q=-1, zstd;q=.5"), Coding::Identity);
        assert_eq!(negotiate(&accept(&["gzip;q=0.5", "br"])), Coding::Brotli);
    }

    #[test]
    fn weights_parse_as_rfc_9110_writes_them() {
        assert_eq!(parse_weight("0"), Some(0));
        assert_eq!(parse_weight("0.5"), Some(500));
        assert_eq!(parse_weight("0.125"), Some(125));
        assert_eq!(parse_weight("1"), Some(1000));
        assert_eq!(parse_weight("1.000"), Some(1000));
        for bad in ["1.001", "0.1234", "2", "", ".5", "0.x", "1e0"] {
            assert_eq!(parse_weight(bad), None, "{bad}");
        }
    }

    #[test]
    fn vary_is_set_once_and_keeps_other_values() {
        let mut headers = HeaderMap::new();
        vary_on_accept_encoding(&mut headers);
        vary_on_accept_encoding(&mut headers);
        assert_eq!(headers.get_all(header::VARY).count(), 1);
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        vary_on_accept_encoding(&mut headers);
        let values: Vec<_> = headers.get_all(header::VARY).collect();
        assert_eq!(values, ["Accept-Encoding", "Origin"]);
    }
}
