//! The API's description: `GET /api/openapi.json` serves the OpenAPI document
//! (`crate::openapi::document`), and `GET /api/docs` the same document as a readable page
//! (`crate::views::api_docs`).

use crate::openapi::document;
use crate::views;
use actix_web::HttpResponse;
use std::sync::OnceLock;

/// This description.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "Operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> actix_web::HttpResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_string());
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=300",
        ))
        .body(json.as_str())
}

/// The document as a page for people.
pub async fn api_docs() -> HttpResponse {
    views::api_docs::page(document())
}
