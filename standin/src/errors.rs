//! Kroki's errors: status, reason phrase, message, and the `Accept`-dependent body (§3).
//!
//! The body format is chosen by walking the `Accept` values in q order and taking the first that
//! *starts with* `text/html`, `application/json`, `text/plain`, `image/svg+xml`, or `image/png` /
//! `image/*`; nothing matching (no Accept, `*/*`) gives `text/plain`. Content-Types carry no charset.

use crate::render::{raster, svg, Palette};

/// An error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KrokiError {
    /// HTTP status.
    pub status: u16,
    /// Reason phrase on the status line.
    pub reason: &'static str,
    /// The message (`Error {status}: {message}` in text form).
    pub message: String,
    /// Whether to send `Allow: POST` (405).
    pub allow_post: bool,
}

impl KrokiError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> KrokiError {
        KrokiError {
            status: 400,
            reason: "Bad Request",
            message: message.into(),
            allow_post: false,
        }
    }

    /// 404 `Not Found`.
    pub fn not_found() -> KrokiError {
        KrokiError {
            status: 404,
            reason: "Not Found",
            message: "Not Found".to_owned(),
            allow_post: false,
        }
    }

    /// 405 with `Allow: POST`.
    pub fn method_not_allowed() -> KrokiError {
        KrokiError {
            status: 405,
            reason: "Method Not Allowed",
            message: "Method not allowed. Please use a POST request.".to_owned(),
            allow_post: true,
        }
    }

    /// 500 `Internal Server Error`.
    pub fn internal() -> KrokiError {
        KrokiError {
            status: 500,
            reason: "Internal Server Error",
            message: "Internal Server Error".to_owned(),
            allow_post: false,
        }
    }

    /// 413 (body over the limit): Vert.x `fail(413)` lands in the generic branch.
    pub fn body_too_large() -> KrokiError {
        KrokiError {
            status: 413,
            reason: "Internal Server Error",
            message: "Internal Server Error".to_owned(),
            allow_post: false,
        }
    }

    /// 414 (request line over `max`), with `InvalidRequestHandler`'s message.
    pub fn uri_too_long(max: usize) -> KrokiError {
        KrokiError {
            status: 414,
            reason: "Request-URI Too Long",
            message: format!(
                "The request URI's length exceeds {max}. You can update this value by setting \
KROKI_MAX_URI_LENGTH environment variable. Please read: \
https://docs.kroki.io/kroki/setup/configuration/#_max_uri_length for more information."
            ),
            allow_post: false,
        }
    }

    /// 503 with `message` (a companion that cannot be reached).
    pub fn unavailable(message: impl Into<String>) -> KrokiError {
        KrokiError {
            status: 503,
            reason: "Service Unavailable",
            message: message.into(),
            allow_post: false,
        }
    }

    /// An arbitrary status with Kroki's generic `Internal Server Error` message (the `Status` fault).
    pub fn with_status(status: u16) -> KrokiError {
        let reason = actix_web::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Internal Server Error");
        KrokiError {
            status,
            reason,
            message: "Internal Server Error".to_owned(),
            allow_post: false,
        }
    }

    /// `Error {status}: {message}`.
    pub fn text(&self) -> String {
        format!("Error {}: {}", self.status, self.message)
    }
}

/// The error body formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `text/html` page.
    Html,
    /// `application/json` `{"error":{"code":N,"message":"..."}}`.
    Json,
    /// `text/plain` `Error N: message`.
    Text,
    /// `image/svg+xml` error image.
    Svg,
    /// `image/png` error image.
    Png,
}

impl ErrorFormat {
    /// Picks the format for Accept values already sorted by weight.
    pub fn negotiate(accepts: &[String]) -> ErrorFormat {
        for accept in accepts {
            if accept.starts_with("text/html") {
                return ErrorFormat::Html;
            }
            if accept.starts_with("application/json") {
                return ErrorFormat::Json;
            }
            if accept.starts_with("text/plain") {
                return ErrorFormat::Text;
            }
            if accept.starts_with("image/svg+xml") {
                return ErrorFormat::Svg;
            }
            if accept.starts_with("image/png") || accept.starts_with("image/*") {
                return ErrorFormat::Png;
            }
        }
        ErrorFormat::Text
    }
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds the error body for `accepts`: `(content type, bytes)`.
pub fn error_body(error: &KrokiError, accepts: &[String]) -> (&'static str, Vec<u8>) {
    match ErrorFormat::negotiate(accepts) {
        ErrorFormat::Html => ("text/html", html_page(error).into_bytes()),
        ErrorFormat::Json => {
            let message =
                serde_json::to_string(&error.message).unwrap_or_else(|_| "\"\"".to_owned());
            (
                "application/json",
                format!(
                    "{{\"error\":{{\"code\":{},\"message\":{message}}}}}",
                    error.status
                )
                .into_bytes(),
            )
        }
        ErrorFormat::Text => ("text/plain", error.text().into_bytes()),
        ErrorFormat::Svg => (
            "image/svg+xml",
            svg::error_image(&error.text()).into_bytes(),
        ),
        ErrorFormat::Png => {
            let lines = crate::render::layout_lines(&error.text());
            let image = raster::rasterize(&lines, Palette::ERROR);
            match raster::encode_png(&image, &[]) {
                Ok(png) => ("image/png", png),
                // Like ErrorHandler: if the image cannot be made, fall back to text.
                Err(_) => ("text/plain", error.text().into_bytes()),
            }
        }
    }
}

fn html_page(error: &KrokiError) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n    <title>Kroki!</title>\n  </head>\n\
<body>\n<section class=\"section\">\n  <div class=\"container\">\n    \
<a href=\"https://kroki.io\" target=\"_blank\" rel=\"noopener noreferrer\">Kroki</a>\n    \
<h1 class=\"subtitle is-spaced\">Convert <strong>plain text</strong> diagrams to <strong>images</strong> !</h1>\n    \
<h2 class=\"title\">\u{1F916} bip... bip... something wrong happened!</h2>\n    \
<article class=\"message is-danger\">\n      <div class=\"message-body\">\n        \
<strong id=\"error\"><code>{}</code> {}</strong>\n        <ul id=\"stacktrace\"></ul>\n      </div>\n    \
</article>\n  </div>\n</section>\n</body>\n</html>\n",
        error.status,
        html_escape(&error.message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(values: &[&str]) -> Vec<String> {
        crate::options::parse_accept(values.iter().copied())
    }

    #[test]
    fn negotiation_follows_accept_order() {
        assert_eq!(ErrorFormat::negotiate(&accepts(&[])), ErrorFormat::Text);
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["*/*"])),
            ErrorFormat::Text
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["text/html,application/xhtml+xml,*/*;q=0.8"])),
            ErrorFormat::Html
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["application/json"])),
            ErrorFormat::Json
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&[
                "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8"
            ])),
            ErrorFormat::Png
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["image/webp, image/svg+xml"])),
            ErrorFormat::Svg
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["text/html;q=0.1, application/json"])),
            ErrorFormat::Json
        );
        assert_eq!(
            ErrorFormat::negotiate(&accepts(&["image/*"])),
            ErrorFormat::Png
        );
    }

    #[test]
    fn bodies() {
        let err = KrokiError::bad_request("a \"quoted\" <b>");
        let (ct, body) = error_body(&err, &accepts(&["application/json"]));
        assert_eq!(ct, "application/json");
        assert_eq!(
            String::from_utf8_lossy(&body),
            r#"{"error":{"code":400,"message":"a \"quoted\" <b>"}}"#
        );
        let (ct, body) = error_body(&err, &[]);
        assert_eq!(ct, "text/plain");
        assert_eq!(
            String::from_utf8_lossy(&body),
            "Error 400: a \"quoted\" <b>"
        );
        let (ct, body) = error_body(&err, &accepts(&["text/html"]));
        assert_eq!(ct, "text/html");
        assert!(String::from_utf8_lossy(&body)
            .contains("<code>400</code> a &#34;quoted&#34; &lt;b&gt;"));
        let (ct, body) = error_body(&err, &accepts(&["image/svg+xml"]));
        assert_eq!(ct, "image/svg+xml");
        assert!(String::from_utf8_lossy(&body)
            .contains("Error 400: a &quot;quoted&quot; &lt;b&gt;</tspan>"));
        let (ct, body) = error_body(&err, &accepts(&["image/png"]));
        assert_eq!(ct, "image/png");
        assert!(body.starts_with(b"\x89PNG"));
    }

    #[test]
    fn messages() {
        assert_eq!(
            KrokiError::uri_too_long(4096).message,
            "The request URI's length exceeds 4096. You can update this value by setting KROKI_MAX_URI_LENGTH environment variable. Please read: https://docs.kroki.io/kroki/setup/configuration/#_max_uri_length for more information."
        );
        assert_eq!(
            KrokiError::internal().text(),
            "Error 500: Internal Server Error"
        );
        assert_eq!(KrokiError::with_status(502).reason, "Bad Gateway");
        assert_eq!(KrokiError::body_too_large().reason, "Internal Server Error");
    }
}
