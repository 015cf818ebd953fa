//! Serves the static assets (`crate::views::assets`, embedded in the binary) at URLs that carry
//! a hash of their content, with a year-long, immutable cache lifetime.
//!
//! The unhashed name (`/static/style.css`) still answers, revalidated on every use, for anything
//! that cannot know the hash; a hashed name from another build is a 404.

use crate::views::assets::{is_chunk, Asset, ASSETS};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// Kept here for the black-box tests and other callers that name it by its former place.
pub use crate::views::assets::url;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/static/{name}")
            .route(super::middleware::get_or_head().to(serve))
            .default_service(super::middleware::wrong_method("GET, HEAD")),
    );
}

async fn serve(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let name = name.as_str();
    if let Some(asset) = ASSETS.iter().find(|asset| asset.hashed_name() == name) {
        return respond(asset, IMMUTABLE);
    }
    if let Some(asset) = ASSETS
        .iter()
        .find(|asset| asset.name == name && is_chunk(name))
    {
        return respond(asset, IMMUTABLE);
    }
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) if super::responses::etag_matches(request.headers(), &asset.etag) => {
            HttpResponse::NotModified()
                .insert_header((header::ETAG, asset.etag.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .finish()
        }
        Some(asset) => respond(asset, "no-cache"),
        None => crate::views::error_page(
            StatusCode::NOT_FOUND,
            "File not found",
            "There is no such static file (an address from an older version of this app?).",
        ),
    }
}

fn respond(asset: &Asset, cache_control: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, asset.etag.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.bytes.clone())
}
