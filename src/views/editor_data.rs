//! The data the editor's script needs to switch types without a round trip: the catalog, each
//! type's example and look controls, and the formats' file extensions. Generated from the code's
//! tables (nothing is repeated in JavaScript) and served as a content-hashed asset.

use crate::domain::{controls, examples, OutputFormat, CATALOG};
use serde_json::{json, Value};

pub fn json() -> Vec<u8> {
    let types: Vec<Value> = CATALOG
        .iter()
        .map(|kind| {
            json!({
                "name": kind.name,
                "aliases": kind.aliases,
                "title": kind.title,
                "description": kind.description,
                "category": kind.category.label(),
                "formats": kind.formats,
                "default_format": kind.default_format(),
                "companion": kind.companion,
                "source_extension": kind.source_extension,
                "example": examples::example(kind.name),
                "theme": controls::theme(kind),
                "background": controls::background(kind),
            })
        })
        .collect();
    let formats: serde_json::Map<String, Value> = OutputFormat::ALL
        .iter()
        .map(|format| {
            (
                format.name().to_owned(),
                json!({
                    "content_type": format.content_type(),
                    "file_extension": format.file_extension(),
                    "text": matches!(format, OutputFormat::Txt | OutputFormat::Utxt | OutputFormat::Base64),
                }),
            )
        })
        .collect();
    json!({"types": types, "formats": formats})
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_formats_controls_and_example() {
        let data: Value = serde_json::from_slice(&json()).unwrap_or_default();
        let types = data["types"].as_array().cloned().unwrap_or_default();
        assert_eq!(types.len(), CATALOG.len());
        let mermaid = types
            .iter()
            .find(|t| t["name"] == "mermaid")
            .cloned()
            .unwrap_or_default();
        assert_eq!(mermaid["formats"], json!(["png", "svg"]));
        assert_eq!(mermaid["theme"]["choices"][1], json!(["dark", "Dark"]));
        assert!(mermaid["background"].is_null());
        assert_eq!(data["formats"]["utxt"]["file_extension"], "utxt.txt");
        assert!(
            types.iter().all(|t| t["example"].is_string()),
            "a type has no example"
        );
    }
}
