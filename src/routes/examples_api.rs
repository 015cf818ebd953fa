//! `GET /api/examples`: every example source the app ships, with the path of its picture through
//! the app's own Kroki-compatible GET (so the editor's gallery shows thumbnails from the app's
//! cache, and a script can list and render them).

use crate::domain::encoding::encode;
use crate::domain::{catalog, examples};
use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;

/// `GET /api/examples`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExampleList {
    /// In catalog order; each type's default example (the one the editor opens) first.
    pub examples: Vec<ExampleInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExampleInfo {
    /// The catalog type (canonical URL name).
    #[schema(example = "mermaid")]
    pub diagram_type: String,
    /// The type's title.
    #[schema(example = "Mermaid")]
    pub type_title: String,
    /// The example's name, unique within its type.
    #[schema(example = "sequence")]
    pub name: String,
    #[schema(example = "Sequence diagram")]
    pub title: String,
    /// Whether this is the type's default example.
    pub default: bool,
    #[schema(example = "sequenceDiagram\n  Alice->>Bob: Hello")]
    pub source: String,
    /// The format of `image` (the type's usual one).
    #[schema(example = "svg")]
    pub output_format: String,
    /// The example's picture through this app's GET route: `/{type}/{format}/{encoded}`.
    #[schema(example = "/mermaid/svg/eNorTi0sTc1LTnXJTEwvSszlUgCCxJzMpFQFj9ScnHwAlyAJvA")]
    pub image: String,
}

pub fn list() -> ExampleList {
    let mut seen = Vec::new();
    let examples = examples::all()
        .iter()
        .filter_map(|example| {
            let kind = catalog::find(example.kind)?;
            let default = !seen.contains(&example.kind);
            seen.push(example.kind);
            let format = kind.default_format().name();
            Some(ExampleInfo {
                diagram_type: kind.name.to_owned(),
                type_title: kind.title.to_owned(),
                name: example.name.to_owned(),
                title: example.title.to_owned(),
                default,
                source: example.source.to_owned(),
                output_format: format.to_owned(),
                image: format!("/{}/{format}/{}", kind.name, encode(example.source)),
            })
        })
        .collect();
    ExampleList { examples }
}

/// Every example, for the editor's gallery and for scripts.
#[utoipa::path(
    get,
    path = "/api/examples",
    tag = "API",
    responses((status = 200, description = "Every example source, with the path of its picture", body = ExampleList))
)]
pub async fn examples() -> HttpResponse {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| serde_json::to_string(&list()).unwrap_or_default());
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("application/json")
        .body(body.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::encoding::decode;

    #[test]
    fn every_example_is_listed_once_with_one_default_per_type() {
        let list = list().examples;
        assert_eq!(list.len(), examples::all().len());
        for kind in &catalog::CATALOG {
            let defaults = list
                .iter()
                .filter(|e| e.diagram_type == kind.name && e.default)
                .count();
            assert_eq!(defaults, 1, "{}", kind.name);
        }
        let first_mermaid = list.iter().find(|e| e.diagram_type == "mermaid");
        assert_eq!(
            first_mermaid.map(|e| e.source.as_str()),
            examples::example("mermaid")
        );
    }

    #[test]
    fn image_paths_decode_to_the_source_in_the_types_format() {
        for example in list().examples {
            let parts: Vec<&str> = example.image.splitn(4, '/').collect();
            assert_eq!(
                parts[..3],
                [
                    "",
                    example.diagram_type.as_str(),
                    example.output_format.as_str()
                ]
            );
            let decoded = decode(parts.get(3).copied().unwrap_or_default(), 1 << 20);
            assert_eq!(
                decoded.ok().as_deref(),
                Some(example.source.as_str()),
                "{}",
                example.image
            );
        }
    }
}
