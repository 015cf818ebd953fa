//! The HTTP surface, grouped by audience; each module registers its own routes (`configure`).
//! Order matters, as actix-web matches in registration order: the app's own paths (`/api`,
//! `/static`, `/health`, `/healthz`, the editor's `GET /`) are registered before the
//! Kroki-compatible gateway, whose `/{type}` patterns take everything else; no diagram type is
//! named like an app path. Pages are rendered by `crate::views`.

pub mod api;
pub mod api_docs;
pub mod assets;
pub mod compress;
pub mod editor;
pub mod examples_api;
pub mod extract;
pub mod fallback;
pub mod gateway;
pub mod middleware;
pub mod operations;
pub mod responses;

use actix_web::web;

/// Every route of the app; `main` and the in-process tests share this.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(operations::configure)
        .configure(editor::configure)
        .configure(api::configure)
        .configure(assets::configure)
        .configure(gateway::configure);
}

#[cfg(test)]
mod tests {
    use crate::domain::catalog;

    #[test]
    fn no_diagram_type_is_named_like_an_app_path() {
        for reserved in [
            "api",
            "static",
            "health",
            "healthz",
            "metrics",
            "favicon.ico",
        ] {
            assert!(catalog::find(reserved).is_none(), "{reserved}");
        }
    }
}
