//! Static assets, embedded in the binary so that one file is the whole deployment.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[Asset {
    name: "style.css",
    content_type: "text/css; charset=utf-8",
    bytes: include_bytes!("../../static/style.css"),
}];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{name}", web::get().to(asset));
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|asset| asset.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.bytes),
        None => super::pages::error_page(
            actix_web::http::StatusCode::NOT_FOUND,
            "Asset not found",
            "There is no such static file.",
        ),
    }
}
