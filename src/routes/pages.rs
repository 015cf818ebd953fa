//! HTML pages: the home page, and error pages that carry their real status (never a 200).

use crate::domain::{DiagramKind, CATALOG};
use crate::error::{accept_by_preference, AppError, GatewayError};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

/// Pages may load only this app's own assets: no inline script, nothing from elsewhere.
pub const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    version: &'a str,
    kroki_url: &'a str,
    kinds: &'a [DiagramKind],
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    version: &'a str,
    status: u16,
    title: &'a str,
    message: &'a str,
}

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    render_page(
        StatusCode::OK,
        HomePage {
            version: env!("CARGO_PKG_VERSION"),
            kroki_url: state.config.kroki_url.as_str(),
            kinds: &CATALOG,
        }
        .render(),
    )
}

/// Unknown paths: an HTML page for browsers, Kroki's error body for everything else.
pub async fn not_found(request: HttpRequest) -> HttpResponse {
    if wants_html(&request) {
        error_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address.",
        )
    } else {
        GatewayError::new(AppError::NotFound, &request).error_response()
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    render_page(
        status,
        ErrorPage {
            version: env!("CARGO_PKG_VERSION"),
            status: status.as_u16(),
            title,
            message,
        }
        .render(),
    )
}

fn wants_html(request: &HttpRequest) -> bool {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    accept_by_preference(accept)
        .first()
        .is_some_and(|media| media.starts_with("text/html"))
}

/// Sends a rendered template; a template that fails to render is a 500 page, never a panic.
fn render_page(status: StatusCode, rendered: Result<String, askama::Error>) -> HttpResponse {
    match rendered {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Internal Server Error: a page failed to render.")
        }
    }
}
