//! `GET /api/examples`: the examples the editor's gallery offers, each with a picture path that the
//! app's own GET route renders (and caches).

use crate::helpers::{spawn_app, Forwarded};
use kroki_web::domain::examples as shipped;
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test]
async fn examples_lists_every_example_with_a_picture_the_app_renders() {
    let app = spawn_app().await;
    let response = app.get("/api/examples").await;
    assert_eq!(response.status(), 200);
    assert!(crate::helpers::content_type(&response).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    let list = body["examples"].as_array().unwrap();
    assert_eq!(list.len(), shipped::all().len());

    // The gallery's kinds of diagram are there, by type and name.
    let names: BTreeSet<(String, String)> = list
        .iter()
        .map(|e| {
            (
                e["diagram_type"].as_str().unwrap().to_owned(),
                e["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (kind, name) in [
        ("mermaid", "sequence"),
        ("mermaid", "timeline"),
        ("plantuml", "usecase"),
        ("c4plantuml", "context"),
        ("d2", "grid"),
    ] {
        assert!(
            names.contains(&(kind.to_owned(), name.to_owned())),
            "{kind}/{name}"
        );
    }
    // One default per type, and it is the example the editor opens for the type.
    let defaults: Vec<&Value> = list.iter().filter(|e| e["default"] == true).collect();
    assert_eq!(defaults.len(), 30);
    for example in &defaults {
        let kind = example["diagram_type"].as_str().unwrap();
        assert_eq!(example["source"].as_str(), shipped::example(kind), "{kind}");
    }

    // Each picture path is the app's Kroki-compatible GET, and it renders what the example says.
    let mermaid = list
        .iter()
        .find(|e| e["diagram_type"] == "mermaid" && e["name"] == "sequence")
        .unwrap();
    let image = mermaid["image"].as_str().unwrap();
    assert!(image.starts_with("/mermaid/svg/"), "{image}");
    let picture = app.get(image).await;
    assert_eq!(picture.status(), 200);
    assert_eq!(crate::helpers::content_type(&picture), "image/svg+xml");
    let forwarded = app.last_render();
    assert!(
        forwarded.path.starts_with("/mermaid/svg"),
        "{}",
        forwarded.path
    );
    assert_eq!(
        Some(forwarded.source().trim()),
        mermaid["source"].as_str().map(str::trim)
    );
}

#[tokio::test]
async fn every_example_picture_path_is_answered() {
    let app = spawn_app().await;
    let body: Value = app.get("/api/examples").await.json().await.unwrap();
    for example in body["examples"].as_array().unwrap() {
        let image = example["image"].as_str().unwrap();
        let response = app.get(image).await;
        assert_eq!(
            response.status(),
            200,
            "{} {}: {image:.80}",
            example["diagram_type"],
            example["name"]
        );
    }
}

#[tokio::test]
async fn examples_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let operation = &document["paths"]["/api/examples"]["get"];
    assert_eq!(
        operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ExampleList"
    );
    assert!(document["components"]["schemas"]["ExampleInfo"]["properties"]["image"].is_object());
}
