//! `GET /api/docs`: the OpenAPI document as a readable page, rendered here from the same document
//! that `/api/openapi.json` serves (no external viewer, no request leaves the page).

use super::pages::{render_page, Layout};
use crate::openapi::document;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use serde_json::Value;

/// A description's text in runs, `code` where the document had `backticks`.
struct Run {
    code: bool,
    text: String,
}

fn runs(text: &str) -> Vec<Run> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(index, part)| Run {
            code: index % 2 == 1,
            text: part.to_owned(),
        })
        .collect()
}

struct Tag {
    name: String,
    description: Vec<Run>,
    operations: Vec<Operation>,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: Vec<Run>,
    parameters: Vec<Parameter>,
    request_types: Vec<String>,
    responses: Vec<Response>,
}

struct Parameter {
    name: String,
    location: String,
    required: bool,
    description: Vec<Run>,
}

struct Response {
    status: String,
    description: Vec<Run>,
    content_types: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    layout: Layout,
    title: String,
    version: String,
    description: String,
    tags: Vec<Tag>,
}

pub async fn api_docs() -> HttpResponse {
    let doc = document();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Tag {
            name: text(&tag["name"]),
            description: runs(&text(&tag["description"])),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let tag_name = text(&operation["tags"][0]);
            let Some(tag) = tags.iter_mut().find(|tag| tag.name == tag_name) else {
                continue;
            };
            tag.operations.push(Operation {
                anchor: format!("{method}-{path}").replace(['/', '{', '}', '.'], "-"),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary: runs(&text(&operation["description"])),
                parameters: operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|parameter| Parameter {
                        name: text(&parameter["name"]),
                        location: text(&parameter["in"]),
                        required: parameter["required"].as_bool().unwrap_or(false),
                        description: runs(&text(&parameter["description"])),
                    })
                    .collect(),
                request_types: content_types(&operation["requestBody"]),
                responses: operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, response)| Response {
                        status: status.clone(),
                        description: runs(&text(&response["description"])),
                        content_types: content_types(response),
                    })
                    .collect(),
            });
        }
    }
    let page = ApiDocsPage {
        layout: Layout::new(),
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        description: text(&doc["info"]["description"]),
        tags,
    };
    let nonce = page.layout.nonce.clone();
    render_page(StatusCode::OK, &nonce, page.render())
}

fn content_types(holder: &Value) -> Vec<String> {
    holder["content"]
        .as_object()
        .map(|content| content.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn backticks_become_code_runs() {
        let parts: Vec<(bool, String)> = runs("send `a` or `b`!")
            .into_iter()
            .map(|r| (r.code, r.text))
            .collect();
        assert_eq!(
            parts,
            vec![
                (false, "send ".into()),
                (true, "a".into()),
                (false, " or ".into()),
                (true, "b".into()),
                (false, "!".into())
            ]
        );
    }
}
