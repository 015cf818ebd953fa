//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers' annotations (so it
//! cannot drift from the routes), served as JSON at `/api/openapi.json` and as a readable page at
//! `/api/docs` rendered by the app itself (no external viewer, no external requests).

use crate::domain::{catalog, OutputFormat};
use crate::routes::{api, api_docs, gateway, operations};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kroki-web",
        description = "Diagrams from text through Kroki: an API for scripts and CI, Kroki's own API \
                       with caching and limits, and operations endpoints.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        api::generate,
        api::diagram_types,
        crate::routes::examples_api::examples,
        crate::routes::editor::decode,
        gateway::get_diagram,
        gateway::post_with_format,
        gateway::post_negotiated,
        gateway::post_root,
        operations::health,
        operations::kroki_health,
        operations::liveness,
        operations::metrics,
        api_docs::openapi_json,
    ),
    components(schemas(KrokiErrorBody)),
    tags(
        (name = "API", description = "For scripts and CI: one JSON error shape"),
        (name = "Kroki-compatible", description = "Kroki 0.32.1's own API, for documentation tools; errors as Kroki gives them, by `Accept`"),
        (name = "Operations", description = "Health, liveness, metrics, this description"),
    )
)]
pub struct ApiDoc;

/// The document, built once: the annotations, with the valid diagram types and formats filled in
/// from the catalog (the one table of truth) wherever a parameter or field names one.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document = ApiDoc::openapi();
        document.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let mut json = serde_json::to_value(&document).unwrap_or(Value::Null);
        let types: Vec<&str> = catalog::url_names().collect();
        let formats: Vec<&str> = OutputFormat::ALL
            .iter()
            .map(|format| format.name())
            .collect();
        if let Some(paths) = json.get_mut("paths").and_then(Value::as_object_mut) {
            for operation in paths
                .values_mut()
                .filter_map(Value::as_object_mut)
                .flat_map(|item| item.values_mut())
            {
                let parameters = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut);
                for parameter in parameters.into_iter().flatten() {
                    // An example for each path parameter, which `/api/docs` shows in a request.
                    let (values, example) = match parameter.get("name").and_then(Value::as_str) {
                        Some("type") => (&types, json!("graphviz")),
                        Some("format") => (&formats, json!("svg")),
                        Some("encoded") => {
                            parameter["example"] =
                                json!(crate::domain::encoding::encode("digraph { a -> b }"));
                            continue;
                        }
                        _ => continue,
                    };
                    parameter["schema"]["enum"] = json!(values);
                    parameter["example"] = example;
                }
            }
        }
        add_kroki_compatible_responses(&mut json);
        for (schema, field, values) in [
            ("GenerateRequest", "diagram_type", &types),
            ("KrokiRootRequest", "diagram_type", &types),
            ("KrokiRootRequest", "output_format", &formats),
        ] {
            if let Some(property) =
                json.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
            {
                property["examples"] = json!(values);
            }
        }
        json
    })
}

/// The answers every Kroki-compatible route shares, described once: the diagram in any format,
/// and errors whose body type follows `Accept` as Kroki's do.
fn add_kroki_compatible_responses(document: &mut Value) {
    let diagram: serde_json::Map<String, Value> = OutputFormat::ALL
        .iter()
        .map(|format| {
            (
                format.content_type().to_owned(),
                json!({"schema": {"type": "string"}}),
            )
        })
        .collect();
    let error = json!({
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {"schema": {"$ref": "#/components/schemas/KrokiErrorBody"}},
        "text/html": {"schema": {"type": "string"}},
        "image/svg+xml": {"schema": {"type": "string"}},
        "image/png": {"schema": {"type": "string"}},
    });
    let errors = [
        (
            "400",
            "Kroki's message: bad encoding, unsupported format, a syntax error…",
        ),
        ("404", "Unknown diagram type"),
        ("405", "Only POST is routed here (`Allow: POST`)"),
        (
            "408",
            "A POST body did not arrive within CLIENT_REQUEST_TIMEOUT",
        ),
        ("413", "The decoded source or the body is over the limit"),
        ("414", "The request target is over MAX_URI_LENGTH"),
        (
            "429",
            "Over RATE_LIMIT for this client address (`Retry-After`)",
        ),
        ("502", "Kroki unreachable (connection refused, or none made within KROKI_CONNECT_TIMEOUT), failing or answering badly"),
        (
            "503",
            "A companion is down, or too many renders are waiting (`Retry-After`)",
        ),
        ("504", "Kroki took the request but did not answer within KROKI_TIMEOUT"),
    ];
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter(|operation| operation["tags"][0] == "Kroki-compatible");
    for operation in operations {
        let responses = &mut operation["responses"];
        responses["200"] = json!({
            "description": "The diagram, as Kroki sends it, with a strong ETag",
            "content": diagram,
        });
        for (status, description) in errors {
            responses[status] = json!({"description": description, "content": error});
        }
    }
}

/// Every API error: `error` is the message (a string, as kroki-flask-generator answered), the
/// rest is machine-readable.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "Missing required fields: diagram_type, diagram_source",
    "code": "missing_field",
    "status": 400,
    "missing_fields": ["diagram_type", "diagram_source"]
}))]
pub struct ApiErrorBody {
    /// What went wrong, for people: kroki-flask-generator's wording where it had one
    /// (`Missing required fields: …`, `Invalid JSON data`, `Invalid diagram type: …`,
    /// `Invalid diagram syntax: <Kroki's message>`…).
    #[schema(example = "Missing required fields: diagram_type, diagram_source")]
    pub error: String,
    /// A stable, machine-readable name of the failure.
    #[schema(example = "missing_field")]
    pub code: String,
    /// The HTTP status, repeated.
    #[schema(example = 400)]
    pub status: u16,
    /// For `unknown_diagram_type`, `unsupported_format` and `invalid_theme`: what would have
    /// been accepted.
    pub valid_values: Option<Vec<String>>,
    /// For `missing_field`: the fields that are missing.
    pub missing_fields: Option<Vec<String>>,
    /// For `invalid_json`: why the body is not a JSON object.
    pub detail: Option<String>,
    /// For `companion_unavailable`: the companion that is down…
    pub companion: Option<String>,
    /// …and the diagram types that cannot render meanwhile.
    pub diagram_types: Option<Vec<String>>,
    /// For errors Kroki answered: its status.
    pub kroki_status: Option<u16>,
}

/// Kroki's JSON error body (sent when `Accept` asks for JSON).
#[derive(Debug, Serialize, ToSchema)]
pub struct KrokiErrorBody {
    pub error: KrokiErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KrokiErrorDetail {
    #[schema(example = 400)]
    pub code: u16,
    #[schema(example = "Syntax Error? (Assumed diagram type: sequence) (line: 2)")]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_every_public_route_as_openapi_3_1() {
        let json = document();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = json["paths"].as_object().unwrap();
        for path in [
            "/api/generate",
            "/api/diagram-types",
            "/api/examples",
            "/{type}/{format}/{encoded}",
            "/{type}/{format}",
            "/{type}",
            "/",
            "/health",
            "/healthz",
            "/v1/health",
            "/metrics",
            "/api/openapi.json",
        ] {
            assert!(paths.contains_key(path), "{path} is not documented");
        }
        assert_eq!(json["info"]["version"], env!("CARGO_PKG_VERSION"));
        let parameters = &json["paths"]["/{type}/{format}/{encoded}"]["get"]["parameters"];
        assert_eq!(
            parameters[0]["schema"]["enum"].as_array().map(Vec::len),
            Some(31)
        );
        assert_eq!(
            parameters[1]["schema"]["enum"].as_array().map(Vec::len),
            Some(7)
        );
        let schemas = json["components"]["schemas"].as_object().unwrap();
        for schema in [
            "ApiErrorBody",
            "GenerateRequest",
            "HealthReport",
            "KrokiHealth",
            "DiagramTypes",
            "KrokiErrorBody",
        ] {
            assert!(schemas.contains_key(schema), "{schema}");
        }
        // The API's error: the message is `error` itself, a string, as the Flask service sent.
        let error = &schemas["ApiErrorBody"];
        assert_eq!(error["properties"]["error"]["type"], "string", "{error}");
        for field in ["error", "code", "status"] {
            assert!(
                error["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(field)),
                "{field}: {error}"
            );
        }
    }
}
