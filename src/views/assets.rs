//! The static assets pages link to, embedded in the binary so that one file is the whole
//! deployment, each named by a hash of its content (`/static/style.5d41402abc4b2a76.css`): a new
//! build changes the URL, never the content behind one. `routes::assets` serves them.

use actix_web::web::Bytes;
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

pub struct Asset {
    /// The plain name, as in `static/`.
    pub name: &'static str,
    /// The URL path with the content hash: `/static/style.<hash>.css`.
    pub path: String,
    pub content_type: &'static str,
    pub bytes: Bytes,
    /// The content hash, quoted, for `ETag`.
    pub etag: String,
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

    pub fn hashed_name(&self) -> &str {
        self.path.trim_start_matches("/static/")
    }
}

/// Every asset, hashed once at start-up. The editor's data (the catalog, the examples and the
/// look controls) is generated from the code's tables and served the same way.
pub static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
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
        Bytes::from(super::editor_data::json()),
    ));
    assets
});

/// Whether `name` is one of the editor's chunks (named by esbuild with their content hash).
pub fn is_chunk(name: &str) -> bool {
    CHUNKS.iter().any(|(chunk, _)| *chunk == name)
}

/// The hashed URL path of an asset, for pages to link to.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map_or("/static/missing-asset", |asset| asset.path.as_str())
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
