//! Static assets, embedded in the binary so that one file is the whole deployment, and served at
//! URLs that carry a hash of their content (`/static/style.5d41402abc4b2a76.css`) with a year-long,
//! immutable cache lifetime: a new build changes the URL, never the content behind one.
//!
//! The unhashed name (`/static/style.css`) still answers, revalidated on every use, for anything
//! that cannot know the hash; a hashed name from another build is a 404.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use std::sync::LazyLock;

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Files under `static/`; `editor.js` and `theme.js` are built from `web/` by `make assets`.
const EMBEDDED: &[(&str, &str, &[u8])] = &[
    ("style.css", CSS, include_bytes!("../../static/style.css")),
    ("editor.js", JS, include_bytes!("../../static/editor.js")),
    ("theme.js", JS, include_bytes!("../../static/theme.js")),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
];

/// The editor script's chunks (the grammars and what they share), which `editor.js` imports by
/// their plain names (`./editor-<name>-<hash>.js`); esbuild puts a content hash in each name, so
/// they are served as immutable under that name too. The list is written by `web/build.mjs`.
const CHUNKS: &[(&str, &[u8])] = include!("../../static/editor-chunks.rs");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Asset {
    /// The plain name, as in `static/`.
    pub name: &'static str,
    /// The URL path with the content hash: `/static/style.<hash>.css`.
    pub path: String,
    content_type: &'static str,
    bytes: Bytes,
    etag: String,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, bytes: Bytes) -> Asset {
        let digest = blake3::hash(&bytes).to_hex();
        let hash = &digest.as_str()[..16];
        let hashed_name = match name.split_once('.') {
            Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
            None => format!("{name}.{hash}"),
        };
        Asset {
            name,
            path: format!("/static/{hashed_name}"),
            content_type,
            etag: format!("\"{hash}\""),
            bytes,
        }
    }

    fn hashed_name(&self) -> &str {
        self.path.trim_start_matches("/static/")
    }
}

/// Every asset, hashed once at start-up. The editor's data (the catalog, the examples and the
/// look controls) is generated from the code's tables and served the same way.
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let mut assets: Vec<Asset> = EMBEDDED
        .iter()
        .map(|(name, content_type, bytes)| {
            Asset::new(name, content_type, Bytes::from_static(bytes))
        })
        .collect();
    assets.extend(
        CHUNKS
            .iter()
            .map(|(name, bytes)| Asset::new(name, JS, Bytes::from_static(bytes))),
    );
    assets.push(Asset::new(
        "editor-data.json",
        "application/json",
        Bytes::from(super::editor::data::json()),
    ));
    assets
});

/// The hashed URL path of an asset, for pages to link to.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map_or("/static/missing-asset", |asset| asset.path.as_str())
}

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
        None => super::pages::error_page(
            StatusCode::NOT_FOUND,
            "File not found",
            "There is no such static file (an address from an older version of this app?).",
        ),
    }
}

/// Whether `name` is one of the editor's chunks (named by esbuild with their content hash).
fn is_chunk(name: &str) -> bool {
    CHUNKS.iter().any(|(chunk, _)| *chunk == name)
}

fn respond(asset: &Asset, cache_control: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, asset.etag.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.bytes.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_a_content_hash() {
        let style = url("style.css");
        assert!(
            style.starts_with("/static/style.") && style.ends_with(".css"),
            "{style}"
        );
        assert_eq!(style.len(), "/static/style..css".len() + 16);
        assert_ne!(url("editor.js"), url("theme.js"));
        assert_eq!(url("nothing.css"), "/static/missing-asset");
    }

    #[test]
    fn every_chunk_the_editor_imports_is_served_under_its_name() {
        let editor = ASSETS
            .iter()
            .find(|asset| asset.name == "editor.js")
            .map(|asset| String::from_utf8_lossy(&asset.bytes).into_owned())
            .unwrap_or_default();
        let mut imported: Vec<&str> = editor
            .split("\"./")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(name, _)| name))
            .collect();
        imported.sort_unstable();
        imported.dedup();
        assert!(imported.len() >= 6, "{imported:?}");
        for name in imported {
            assert!(is_chunk(name), "{name} is imported but not embedded");
        }
        assert!(CHUNKS.iter().all(|(_, bytes)| !bytes.is_empty()));
    }

    #[test]
    fn every_asset_the_pages_link_exists() {
        for name in [
            "style.css",
            "editor.js",
            "theme.js",
            "favicon.svg",
            "editor-data.json",
        ] {
            assert!(ASSETS.iter().any(|asset| asset.name == name), "{name}");
        }
    }
}
