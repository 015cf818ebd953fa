//! What pages look like, apart from the HTTP routes that answer with them: the frame every
//! page shares (`Layout`, `templates/base.html`) and the strict headers pages are sent with, the
//! error page, the health status page, the API's reference page, the asset catalog pages link
//! to (`assets`) and the editor's data asset (`editor_data`). Views depend on the domain and nothing of `routes`: the
//! handlers (`routes/`) and the error bodies (`error/`) call them.
//!
//! Every page gets the same strict headers: a Content-Security-Policy with no inline script,
//! and a per-response nonce for the `<style>` elements the code editor injects. Error pages carry
//! their real status (never a 200).

pub mod api_docs;
pub mod assets;
pub mod editor_data;
pub mod health;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

/// Pages load only this app's own scripts and styles. Diagrams are shown from `blob:` and
/// `data:` URLs (and read back from `blob:` to copy them); the editor's injected `<style>`
/// elements carry the response's nonce.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'nonce-{nonce}'; \
         script-src 'self'; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// What every page's frame (`base.html`) needs.
pub struct Layout {
    pub version: &'static str,
    pub nonce: String,
    pub stylesheet: &'static str,
    pub theme_script: &'static str,
    pub favicon: &'static str,
}

impl Layout {
    pub fn new() -> Layout {
        Layout {
            version: env!("CARGO_PKG_VERSION"),
            nonce: nonce(),
            stylesheet: assets::url("style.css"),
            theme_script: assets::url("theme.js"),
            favicon: assets::url("favicon.svg"),
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// The app's error page, as browsers get it: the status, its title and the message.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let page = ErrorPage {
        layout: Layout::new(),
        status: status.as_u16(),
        title,
        message,
    };
    let nonce = page.layout.nonce.clone();
    render_page(status, &nonce, page.render())
}

/// Sends a rendered template; a template that fails to render is a 500, never a panic.
pub fn render_page(
    status: StatusCode,
    nonce: &str,
    rendered: Result<String, askama::Error>,
) -> HttpResponse {
    match rendered {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, page_csp(nonce)))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body("Internal Server Error: a page failed to render.")
        }
    }
}

/// 128 bits from the operating system's random source (a version-4 UUID's random bits), so a
/// nonce can neither be guessed nor repeat.
fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_and_are_hex() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn the_policy_allows_no_inline_script() {
        let csp = page_csp("abc");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("style-src 'self' 'nonce-abc'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
}
