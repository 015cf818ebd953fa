//! The HTTP API for scripts and CI, compatible with the original Flask service:
//! `POST /api/generate` (JSON, or a text body with query parameters) and
//! `GET /api/diagram-types` (the catalog). Every failure is the one JSON error shape
//! (`crate::error::ApiError`), with the Flask service's messages where it had them.

use super::extract::{
    self, add_query_options, json_object, media_type, query_pairs, read_body, TextField,
};
use super::responses::{diagram_response, Disposition, POST_CACHE_CONTROL};
use crate::domain::catalog::{self, CATALOG};
use crate::domain::controls;
use crate::domain::request::{parse_format, ValidationError};
use crate::domain::{DiagramKind, DiagramOptions, DiagramSource, OutputFormat, RenderRequest};
use crate::error::{ApiError, AppError};
use crate::openapi::ApiErrorBody;
use crate::startup::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::ToSchema;

use super::middleware::{get_or_head, wrong_method};
/// Names the request's fields that had no effect: `diagram_theme` for a type without themes,
/// `background_color` (kroki-flask-generator's form field, which its API never read either).
pub static IGNORED_FIELDS: header::HeaderName = header::HeaderName::from_static("x-ignored-fields");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .service(
                web::resource("/generate")
                    .route(web::post().to(generate))
                    .default_service(wrong_method("POST")),
            )
            .service(
                web::resource("/diagram-types")
                    .route(get_or_head().to(diagram_types))
                    .default_service(wrong_method("GET, HEAD")),
            )
            .service(
                web::resource("/openapi.json")
                    .route(get_or_head().to(super::api_docs::openapi_json))
                    .default_service(wrong_method("GET, HEAD")),
            )
            .service(
                web::resource("/docs")
                    .route(get_or_head().to(super::api_docs::api_docs))
                    .default_service(wrong_method("GET, HEAD")),
            )
            .service(
                web::resource("/examples")
                    .route(get_or_head().to(super::examples_api::examples))
                    .default_service(wrong_method("GET, HEAD")),
            )
            .default_service(web::to(not_found)),
    );
}

/// Renders one diagram. JSON: `{"diagram_type", "output_format"?, "diagram_source",
/// "diagram_options"?}`. Text: the body is the source, `?diagram_type=&output_format=` name it
/// and any other query parameter is a diagram option.
#[utoipa::path(
    post,
    path = "/api/generate",
    tag = "API",
    params(
        ("diagram_type" = Option<String>, Query, description = "With a text/plain body: the diagram type (required then)"),
        ("output_format" = Option<String>, Query, description = "With a text/plain body: the output format (default: the type's SVG, or its first format)"),
        ("diagram_theme" = Option<String>, Query, description = "With a text/plain body: the theme, as the JSON field `diagram_theme`"),
    ),
    request_body(description = "A JSON request, or the diagram source as text with the type and format in the query",
        content((GenerateRequest = "application/json"), (String = "text/plain"))),
    responses(
        (status = 200, description = "The diagram, with `Content-Disposition: inline; filename=\"diagram.<ext>\"`", headers(
            ("X-Ignored-Fields" = String, description = "The request's fields that had no effect, comma-separated: `diagram_theme` for a type without themes, `background_color`")), content(
            (String = "image/svg+xml"), (String = "image/png"), (String = "image/jpeg"), (String = "application/pdf"),
            (String = "text/plain"), (String = "text/plain; charset=utf-8"), (String = "text/plain; charset=x-user-defined"))),
        (status = 400, description = "Invalid request, unknown type, format or theme, or Kroki refused the diagram", body = ApiErrorBody),
        (status = 404, description = "No such API route", body = ApiErrorBody),
        (status = 408, description = "The body did not arrive within CLIENT_REQUEST_TIMEOUT", body = ApiErrorBody),
        (status = 413, description = "Source or body too large", body = ApiErrorBody),
        (status = 415, description = "Unsupported Content-Type", body = ApiErrorBody),
        (status = 429, description = "Over RATE_LIMIT for this client address (`Retry-After`)", body = ApiErrorBody),
        (status = 502, description = "Kroki unreachable (connection refused, or none made within KROKI_CONNECT_TIMEOUT), failing or answering badly", body = ApiErrorBody),
        (status = 503, description = "A companion is down, or too many renders are waiting", body = ApiErrorBody),
        (status = 504, description = "Kroki took the request but did not answer within KROKI_TIMEOUT", body = ApiErrorBody),
    )
)]
pub async fn generate(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, request.headers(), &state.config).await?;
    let (render_request, ignored) = match media_type(request.headers()).as_deref() {
        Some("application/json") => read_json(&body, state.config.max_source_size)?,
        Some("text/plain") => from_text(&request, &body, state.config.max_source_size)?,
        _ => {
            return Err(AppError::UnsupportedMediaType(
                "Content-Type must be application/json or text/plain".to_owned(),
            )
            .into())
        }
    };
    let diagram = state.renderer.render(&render_request).await?;
    let disposition = Disposition::Inline(render_request.format.file_extension());
    let mut response = diagram_response(
        request.headers(),
        &diagram,
        disposition,
        HeaderValue::from_static(POST_CACHE_CONTROL),
    );
    if !ignored.is_empty() {
        if let Ok(value) = header::HeaderValue::from_str(&ignored.join(", ")) {
            response.headers_mut().insert(IGNORED_FIELDS.clone(), value);
        }
    }
    Ok(response)
}

/// The required fields in kroki-flask-generator's order, less `output_format`, which has a
/// default here: absent, null and empty are all missing, and are reported together.
fn check_required(fields: &[(&'static str, bool)]) -> Result<(), AppError> {
    let missing: Vec<&'static str> = fields
        .iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::MissingFields(missing))
    }
}

pub fn from_json(body: &[u8], limit: usize) -> Result<RenderRequest, AppError> {
    read_json(body, limit).map(|(request, _ignored)| request)
}

/// `POST /api/generate` as JSON.
// A field absent, null or empty is missing; one of another type is refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GenerateRequest {
    /// Any URL name or alias of `/api/diagram-types` (letter case and surrounding spaces are forgiven).
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "graphviz")]
    pub diagram_type: TextField,
    /// An output format the type supports; by default its SVG, or its first format.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "svg")]
    pub output_format: TextField,
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "digraph { a -> b }")]
    pub diagram_source: TextField,
    /// Kroki diagram options: names to strings, numbers or booleans.
    #[schema(value_type = Option<Object>, example = json!({"theme": "dark"}))]
    pub diagram_options: Option<Value>,
    /// kroki-flask-generator's theme: sent as the type's theme option (Mermaid's, PlantUML's and
    /// C4's, D2's: the editor's choices; `default` and `light` are the engine's own look). An
    /// unknown theme is a 400 (`invalid_theme`, with `valid_values`); for a type without themes
    /// it is ignored and named in `X-Ignored-Fields`. With a `diagram_options` theme, both must
    /// agree (`conflicting_theme`).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "dark")]
    pub diagram_theme: TextField,
    /// Accepted from kroki-flask-generator's clients and ignored, as it ignored it
    /// (`X-Ignored-Fields`); use `diagram_options` for a background.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "white")]
    pub background_color: TextField,
}

/// The JSON request, and the fields it carried that have no effect on it (`X-Ignored-Fields`).
pub fn read_json(
    body: &[u8],
    limit: usize,
) -> Result<(RenderRequest, Vec<&'static str>), AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::InvalidJson {
            detail: "The request body is empty: send a JSON object with diagram_type and diagram_source.".into(),
        });
    }
    let fields: GenerateRequest = json_object(body).map_err(|error| AppError::InvalidJson {
        detail: error.to_string(),
    })?;
    fields.into_request(limit)
}

impl GenerateRequest {
    /// Checks the fields in kroki-flask-generator's order: their types, the required ones
    /// (reported together), then type, format, source, options and theme.
    fn into_request(self, limit: usize) -> Result<(RenderRequest, Vec<&'static str>), AppError> {
        let text = |field: TextField, name: &str| field.text(name, str::is_empty);
        let type_name = text(self.diagram_type, "diagram_type")?;
        let format_name = text(self.output_format, "output_format")?;
        let source = text(self.diagram_source, "diagram_source")?;
        let theme = text(self.diagram_theme, "diagram_theme")?;
        let background = text(self.background_color, "background_color")?;
        check_required(&[
            ("diagram_type", type_name.is_some()),
            ("diagram_source", source.is_some()),
        ])?;
        let kind = parse_api_type(&type_name.unwrap_or_default())?;
        let format = parse_api_format(kind, format_name.as_deref())?;
        let source = DiagramSource::parse(source.unwrap_or_default(), limit)?;
        let mut options = DiagramOptions::new();
        options.merge_json(self.diagram_options.as_ref().unwrap_or(&Value::Null))?;
        let (request, mut ignored) = themed(kind, format, source, options, theme.as_deref())?;
        // The Flask service's JSON API never read its form's background field either.
        if background.is_some() {
            ignored.push("background_color");
        }
        Ok((request, ignored))
    }
}

/// The render request with `diagram_theme` applied (`apply_theme`), and `diagram_theme` named
/// among the ignored fields when the type has no themes.
fn themed(
    kind: &'static DiagramKind,
    format: OutputFormat,
    source: DiagramSource,
    mut options: DiagramOptions,
    theme: Option<&str>,
) -> Result<(RenderRequest, Vec<&'static str>), AppError> {
    let mut ignored = Vec::new();
    if !apply_theme(kind, theme, &mut options)? {
        ignored.push("diagram_theme");
    }
    let request = RenderRequest {
        kind,
        format,
        source,
        options,
        encoded: None,
    };
    Ok((request, ignored))
}

/// The names kroki-flask-generator gave the engine's own look (its form preselects `light`):
/// here they are every themed type's default, no theme option sent.
pub fn is_default_theme(name: &str) -> bool {
    matches!(name.trim(), "default" | "light")
}

/// Applies `diagram_theme` as the type's theme option, the one the editor's theme control sends
/// (`controls::theme`). `Ok(false)`: given for a type without themes, so ignored (as the Flask
/// service ignored it for every type but Mermaid). A theme the type does not have is a 400
/// naming its themes; a `diagram_options` theme that says otherwise is a 400 too.
pub fn apply_theme(
    kind: &'static DiagramKind,
    theme: Option<&str>,
    options: &mut DiagramOptions,
) -> Result<bool, AppError> {
    let Some(theme) = theme.map(str::trim).filter(|theme| !theme.is_empty()) else {
        return Ok(true);
    };
    let Some(control) = controls::theme(kind) else {
        return Ok(false);
    };
    let value = if is_default_theme(theme) {
        ""
    } else if control.accepts(theme) {
        theme
    } else {
        let mut valid = vec!["default", "light"];
        valid.extend(
            control
                .choices
                .iter()
                .map(|(value, _)| *value)
                .filter(|value| !value.is_empty()),
        );
        return Err(AppError::InvalidTheme {
            theme: theme.to_owned(),
            kind: kind.name,
            valid,
        });
    };
    let given = options.get(control.option).map(|given| given.as_text());
    match given {
        Some(given) if given != value => Err(AppError::bad_request(
            "conflicting_theme",
            format!(
                "diagram_theme {theme} and diagram_options.{} {given} disagree: send one of them, or the same theme in both.",
                control.option
            ),
        )),
        Some(_) => Ok(true),
        None if value.is_empty() => Ok(true),
        None => {
            options.insert_text(control.option, value)?;
            Ok(true)
        }
    }
}

fn from_text(
    request: &HttpRequest,
    body: &[u8],
    limit: usize,
) -> Result<(RenderRequest, Vec<&'static str>), AppError> {
    let pairs = query_pairs(request.query_string());
    let param = |name: &str| extract::param(&pairs, name).filter(|value| !value.is_empty());
    let type_name = param("diagram_type");
    check_required(&[
        ("diagram_type", type_name.is_some()),
        ("diagram_source", !body.is_empty()),
    ])?;
    let kind = parse_api_type(type_name.unwrap_or_default())?;
    let format = parse_api_format(kind, param("output_format"))?;
    let source = DiagramSource::parse(String::from_utf8_lossy(body).into_owned(), limit)?;
    let mut options = DiagramOptions::new();
    add_query_options(
        &mut options,
        &pairs,
        &["diagram_type", "output_format", "diagram_theme"],
    )?;
    themed(kind, format, source, options, param("diagram_theme"))
}

/// The API is forgiving about letter case and spaces (`Mermaid`, ` dot `); the gateway is not.
fn parse_api_type(name: &str) -> Result<&'static DiagramKind, AppError> {
    let trimmed = name.trim();
    catalog::find(trimmed)
        .or_else(|| catalog::find(&trimmed.to_ascii_lowercase()))
        .ok_or_else(|| ValidationError::UnknownType(name.to_owned()).into())
}

/// A missing format means the type's usual one (SVG wherever Kroki offers it).
fn parse_api_format(
    kind: &'static DiagramKind,
    name: Option<&str>,
) -> Result<OutputFormat, AppError> {
    match name.map(str::trim) {
        None | Some("") => Ok(kind.default_format()),
        Some(name) => Ok(parse_format(kind, name)?),
    }
}

/// The catalog every part of the app reads.
#[utoipa::path(
    get,
    path = "/api/diagram-types",
    tag = "API",
    responses((status = 200, description = "Every diagram type and output format", body = DiagramTypes))
)]
pub async fn diagram_types() -> HttpResponse {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let catalog = DiagramTypes {
            diagram_types: CATALOG
                .iter()
                .map(|kind| DiagramTypeInfo {
                    name: kind.name.to_owned(),
                    aliases: kind
                        .aliases
                        .iter()
                        .map(|alias| (*alias).to_owned())
                        .collect(),
                    title: kind.title.to_owned(),
                    description: kind.description.to_owned(),
                    category: serde_json::to_value(kind.category)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    category_label: kind.category.label().to_owned(),
                    formats: kind.formats.iter().map(|f| f.name().to_owned()).collect(),
                    default_format: kind.default_format().name().to_owned(),
                    companion: kind.companion.map(|c| c.name().to_owned()),
                    source_extension: kind.source_extension.to_owned(),
                })
                .collect(),
            formats: OutputFormat::ALL
                .iter()
                .map(|format| FormatInfo {
                    name: format.name().to_owned(),
                    content_type: format.content_type().to_owned(),
                })
                .collect(),
        };
        serde_json::to_string(&catalog).unwrap_or_default()
    });
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("application/json")
        .body(body.as_str())
}

/// `GET /api/diagram-types`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiagramTypes {
    pub diagram_types: Vec<DiagramTypeInfo>,
    pub formats: Vec<FormatInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiagramTypeInfo {
    /// The canonical URL name.
    #[schema(example = "graphviz")]
    pub name: String,
    /// Other URL names for the same type.
    pub aliases: Vec<String>,
    pub title: String,
    pub description: String,
    /// The group the editor shows it in.
    pub category: String,
    pub category_label: String,
    /// Supported formats, in Kroki's order.
    pub formats: Vec<String>,
    pub default_format: String,
    /// The Kroki companion this type needs, if any.
    pub companion: Option<String>,
    pub source_extension: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormatInfo {
    #[schema(example = "svg")]
    pub name: String,
    #[schema(example = "image/svg+xml")]
    pub content_type: String,
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(AppError::NotFound.into())
}
