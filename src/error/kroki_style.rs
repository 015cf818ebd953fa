//! Errors on the Kroki-compatible routes, rendered as Kroki renders them: the body's type follows
//! the request's `Accept` (HTML, JSON, plain text, an SVG or PNG picture of the message), and
//! plain text `Error 400: …` when nothing matches, which is what documentation tools show.

use super::{text_png, AppError};
use crate::domain::accept::by_preference;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::fmt;

#[derive(Debug)]
pub struct GatewayError {
    pub error: AppError,
    accept: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Html,
    Json,
    Text,
    Svg,
    Png,
}

impl GatewayError {
    pub fn new(error: impl Into<AppError>, request: &HttpRequest) -> GatewayError {
        GatewayError::with_headers(error, request.headers())
    }

    pub fn with_headers(error: impl Into<AppError>, headers: &HeaderMap) -> GatewayError {
        let accept = headers
            .get_all(header::ACCEPT)
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        GatewayError {
            error: error.into(),
            accept,
        }
    }

    fn body_kind(&self) -> Body {
        for media in by_preference(&self.accept) {
            let media = media.to_ascii_lowercase();
            let kind = [
                ("text/html", Body::Html),
                ("application/json", Body::Json),
                ("text/plain", Body::Text),
                ("image/svg+xml", Body::Svg),
                ("image/png", Body::Png),
                ("image/*", Body::Png),
            ]
            .into_iter()
            .find(|(prefix, _)| media.starts_with(prefix));
            if let Some((_, kind)) = kind {
                return kind;
            }
        }
        Body::Text
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for GatewayError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = status.as_u16();
        let message = self.error.to_string();
        let text = format!("Error {code}: {message}");
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.error.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if matches!(self.error, AppError::MethodNotAllowed) {
            response.insert_header((header::ALLOW, "POST"));
        }
        match self.body_kind() {
            Body::Text => response.content_type("text/plain").body(text),
            Body::Json => response
                .content_type("application/json")
                .body(serde_json::json!({"error": {"code": code, "message": message}}).to_string()),
            // Browsers get the app's own error page, with the same status and message.
            Body::Html => {
                let title = status.canonical_reason().unwrap_or("Error");
                let mut page = crate::views::error_page(status, title, &message);
                for (name, value) in response.finish().headers() {
                    page.headers_mut().insert(name.clone(), value.clone());
                }
                page
            }
            Body::Svg => response.content_type("image/svg+xml").body(text_svg(&text)),
            Body::Png => response.content_type("image/png").body(text_png(&text)),
        }
    }
}

/// Escapes text for HTML and XML, attributes included.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A picture of an error message, one `<tspan>` per line, as Kroki's `ErrorImage`.
fn text_svg(text: &str) -> String {
    let lines: Vec<&str> = text.lines().take(200).collect();
    let width = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
        * 8
        + 20;
    let height = lines.len() * 16 + 20;
    let spans: String = lines
        .iter()
        .map(|line| format!("<tspan x=\"10\" dy=\"16\">{}</tspan>", escape_markup(line)))
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text font-family=\"monospace\" font-size=\"13\" fill=\"#b00020\" xml:space=\"preserve\">{spans}</text></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn render(accept: &str) -> (u16, String, Vec<u8>) {
        let mut headers = HeaderMap::new();
        if !accept.is_empty() {
            headers.insert(header::ACCEPT, accept.parse().expect("header"));
        }
        let error = GatewayError::with_headers(
            AppError::bad_request("x", "Syntax Error? <b> (line: 1)"),
            &headers,
        );
        let response = error.error_response();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .into_body()
            .try_into_bytes()
            .unwrap_or_default()
            .to_vec();
        (error.status_code().as_u16(), content_type, body)
    }

    #[test]
    fn falls_back_to_plain_text_like_kroki() {
        for accept in ["", "*/*", "application/xml"] {
            let (status, content_type, body) = render(accept);
            assert_eq!((status, content_type.as_str()), (400, "text/plain"));
            assert_eq!(body, b"Error 400: Syntax Error? <b> (line: 1)");
        }
    }

    #[test]
    fn follows_accept_in_quality_order() {
        assert_eq!(render("application/json").1, "application/json");
        assert_eq!(
            render("text/html;q=0.5, application/json").1,
            "application/json"
        );
        assert_eq!(
            render("text/html,application/xhtml+xml,*/*;q=0.8").1,
            "text/html; charset=utf-8"
        );
        let (_, svg_type, svg) = render("image/avif,image/webp,image/svg+xml,image/*,*/*;q=0.8");
        assert_eq!(svg_type, "image/svg+xml");
        assert!(
            String::from_utf8_lossy(&svg).contains("Error 400: Syntax Error? &lt;b&gt; (line: 1)")
        );
        let (_, png_type, png) = render("image/png");
        assert_eq!(png_type, "image/png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (status, html_type, html) = render("text/html");
        assert_eq!(
            (status, html_type.as_str()),
            (400, "text/html; charset=utf-8")
        );
        let html = String::from_utf8_lossy(&html);
        assert!(
            html.contains("Syntax Error? ") && html.contains("(line: 1)"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "the message is escaped: {html}");
    }
}
