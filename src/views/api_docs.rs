//! The API's reference page (`GET /api/docs`): the OpenAPI document rendered as a readable
//! page (no external viewer, no request leaves the page). Each operation shows its parameters,
//! the fields of its JSON request body, and an example request and answer built from the
//! document's examples (its schemas' `example`s, else their first allowed value).

use super::{render_page, Layout};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use serde_json::{json, Value};

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
    fields: Vec<Field>,
    example_request: String,
    example_answers: Vec<String>,
    responses: Vec<Response>,
}

/// A field of a JSON request body.
struct Field {
    name: String,
    kind: String,
    required: bool,
    description: Vec<Run>,
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

/// The page for `doc`, an OpenAPI 3.1 document.
pub fn page(doc: &Value) -> HttpResponse {
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
                fields: request_fields(doc, operation),
                example_request: example_request(doc, method, path, operation),
                example_answers: example_answers(doc, operation),
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

/// The schema behind a `$ref` (one level of `#/components/schemas/...`), or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

/// A schema's type for people: `string`, `integer`, `object`, `array of string`, `string or null`.
fn type_name(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    let one = |kind: &Value| -> String {
        match kind.as_str() {
            Some("array") => format!("array of {}", type_name(doc, &schema["items"])),
            Some(kind) => kind.to_owned(),
            None => "any".to_owned(),
        }
    };
    match &schema["type"] {
        Value::Array(kinds) => kinds.iter().map(one).collect::<Vec<_>>().join(" or "),
        Value::Null => ["oneOf", "anyOf", "allOf"]
            .iter()
            .find_map(|key| schema[key].as_array())
            .map(|options| {
                options
                    .iter()
                    .map(|option| type_name(doc, option))
                    .collect::<Vec<_>>()
                    .join(" or ")
            })
            .unwrap_or_else(|| "any".to_owned()),
        kind => one(kind),
    }
}

/// An example value for a schema: its `example`, its first `examples` or `enum` value, else one
/// built from its properties or items; `None` for an optional part with nothing to show.
fn example_value(doc: &Value, schema: &Value, depth: usize) -> Option<Value> {
    let schema = resolve(doc, schema);
    if depth > 6 || schema.is_null() {
        return None;
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    for key in ["examples", "enum"] {
        if let Some(first) = schema[key].as_array().and_then(|values| values.first()) {
            return Some(first.clone());
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        // Required fields always appear (a placeholder of their type where the document has no
        // example); optional ones only with an example.
        let required = required_fields(schema);
        let object: serde_json::Map<String, Value> = properties
            .iter()
            .filter_map(|(name, property)| {
                let value = example_value(doc, property, depth + 1).or_else(|| {
                    required
                        .contains(&name.as_str())
                        .then(|| placeholder(resolve(doc, property)))
                })?;
                Some((name.clone(), value))
            })
            .collect();
        return Some(Value::Object(object));
    }
    if let Some(items) = schema.get("items") {
        return Some(Value::Array(
            example_value(doc, items, depth + 1).into_iter().collect(),
        ));
    }
    None
}

/// A value of a schema's type, for a required field the document gives no example of.
fn placeholder(schema: &Value) -> Value {
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or_default(),
        kind => kind.clone(),
    };
    match kind.as_str() {
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => json!("string"),
    }
}

/// The JSON request body's schema, if the operation takes JSON.
fn json_body<'a>(doc: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    (!schema.is_null()).then(|| resolve(doc, schema))
}

/// The names an object schema lists as `required`.
fn required_fields(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn request_fields(doc: &Value, operation: &Value) -> Vec<Field> {
    let Some(schema) = json_body(doc, operation) else {
        return Vec::new();
    };
    let required = required_fields(schema);
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| {
            let description = resolve(doc, property)["description"]
                .as_str()
                .or_else(|| property["description"].as_str())
                .unwrap_or_default();
            Field {
                name: name.clone(),
                kind: type_name(doc, property),
                required: required.contains(&name.as_str()),
                description: runs(description),
            }
        })
        .collect()
}

/// An example request as HTTP: the path with example parameters, required query parameters, and
/// a JSON or text body where the operation takes one.
fn example_request(doc: &Value, method: &str, path: &str, operation: &Value) -> String {
    let parameters: Vec<&Value> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let example_of = |parameter: &Value| -> String {
        parameter
            .get("example")
            .cloned()
            .or_else(|| example_value(doc, &parameter["schema"], 0))
            .map(|value| match value {
                Value::String(text) => text,
                other => other.to_string(),
            })
            .unwrap_or_else(|| format!("<{}>", parameter["name"].as_str().unwrap_or("value")))
    };
    let mut target = path.to_owned();
    for parameter in parameters.iter().filter(|p| p["in"] == "path") {
        let name = parameter["name"].as_str().unwrap_or_default();
        target = target.replace(&format!("{{{name}}}"), &example_of(parameter));
    }
    let query: Vec<String> = parameters
        .iter()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| {
            format!(
                "{}={}",
                p["name"].as_str().unwrap_or_default(),
                example_of(p)
            )
        })
        .collect();
    if !query.is_empty() {
        target = format!("{target}?{}", query.join("&"));
    }
    let mut request = format!("{} {target}", method.to_ascii_uppercase());
    let content = &operation["requestBody"]["content"];
    if let Some(body) = json_body(doc, operation).and_then(|schema| example_value(doc, schema, 0)) {
        let body = serde_json::to_string_pretty(&body).unwrap_or_default();
        request.push_str(&format!("\nContent-Type: application/json\n\n{body}"));
    } else if let Some(media) = content.as_object().and_then(|c| c.keys().next()) {
        request.push_str(&format!("\nContent-Type: {media}\n\ndigraph {{ a -> b }}"));
    }
    request
}

/// Example answers: the first success and the first client error, each with its status, content
/// type and, for JSON, an example body.
fn example_answers(doc: &Value, operation: &Value) -> Vec<String> {
    let Some(responses) = operation["responses"].as_object() else {
        return Vec::new();
    };
    let pick = |prefix: char| {
        responses
            .iter()
            .find(|(status, _)| status.starts_with(prefix))
    };
    [pick('2'), pick('4')]
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let content = response["content"].as_object();
            let json = content
                .and_then(|c| {
                    c.get("application/json")
                        .or_else(|| c.get("application/health+json"))
                })
                .and_then(|media| example_value(doc, &media["schema"], 0))
                .filter(|body| !body.is_null() && body != &Value::Object(Default::default()));
            // JSON when there is an example body; else the first picture or text type.
            let media = content
                .and_then(|c| {
                    let json_type = json
                        .as_ref()
                        .and_then(|_| c.keys().find(|k| k.ends_with("json")));
                    json_type
                        .or_else(|| c.keys().find(|k| *k == "image/svg+xml"))
                        .or_else(|| c.keys().next())
                })
                .cloned();
            let reason = StatusCode::from_bytes(status.as_bytes())
                .ok()
                .and_then(|code| code.canonical_reason())
                .unwrap_or_default();
            let mut answer = format!("HTTP/1.1 {status} {reason}");
            if let Some(media) = media {
                answer.push_str(&format!("\nContent-Type: {media}"));
                match json {
                    Some(body) => answer.push_str(&format!(
                        "\n\n{}",
                        serde_json::to_string_pretty(&body).unwrap_or_default()
                    )),
                    None => answer.push_str(&format!("\n\n<the {media} body>")),
                }
            }
            answer
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
