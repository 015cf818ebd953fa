//! The HTTP API for scripts and CI, compatible with the original Flask service:
//! `POST /api/generate` (JSON, or a text body with query parameters) and
//! `GET /api/diagram-types` (the catalog). Every failure is the one JSON error shape.

use super::extract::{add_query_options, media_type, query_pairs, read_body};
use super::responses::{diagram_response, Disposition, POST_CACHE_CONTROL};
use crate::domain::catalog::{self, CATALOG};
use crate::domain::request::{parse_format, ValidationError};
use crate::domain::{DiagramKind, DiagramOptions, DiagramSource, OutputFormat, RenderRequest};
use crate::error::{ApiError, AppError};
use crate::openapi::{ApiErrorBody, GenerateRequest};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .service(
                web::resource("/generate")
                    .route(web::post().to(generate))
                    .default_service(web::to(method_not_allowed)),
            )
            .route("/diagram-types", web::get().to(diagram_types))
            .route("/openapi.json", web::get().to(crate::openapi::openapi_json))
            .route("/docs", web::get().to(super::api_docs::api_docs))
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
    ),
    request_body(description = "A JSON request, or the diagram source as text with the type and format in the query",
        content((GenerateRequest = "application/json"), (String = "text/plain"))),
    responses(
        (status = 200, description = "The diagram, with `Content-Disposition: inline; filename=\"diagram.<ext>\"`", content(
            (String = "image/svg+xml"), (String = "image/png"), (String = "image/jpeg"), (String = "application/pdf"),
            (String = "text/plain"), (String = "text/plain; charset=utf-8"), (String = "text/plain; charset=x-user-defined"))),
        (status = 400, description = "Invalid request, unknown type or format, or Kroki refused the diagram", body = ApiErrorBody),
        (status = 404, description = "No such API route", body = ApiErrorBody),
        (status = 408, description = "The body did not arrive within CLIENT_REQUEST_TIMEOUT", body = ApiErrorBody),
        (status = 413, description = "Source or body too large", body = ApiErrorBody),
        (status = 415, description = "Unsupported Content-Type", body = ApiErrorBody),
        (status = 429, description = "Over RATE_LIMIT for this client address (`Retry-After`)", body = ApiErrorBody),
        (status = 502, description = "Kroki unreachable, failing or answering badly", body = ApiErrorBody),
        (status = 503, description = "A companion is down, or too many renders are waiting", body = ApiErrorBody),
        (status = 504, description = "Kroki did not answer in time", body = ApiErrorBody),
    )
)]
pub async fn generate(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, request.headers(), &state.config).await?;
    let render_request = match media_type(request.headers()).as_deref() {
        Some("application/json") => from_json(&body, state.config.max_source_size)?,
        Some("text/plain") => from_text(&request, &body, state.config.max_source_size)?,
        other => {
            return Err(AppError::UnsupportedMediaType(format!(
                "Content-Type {} is not supported: send application/json, or text/plain with ?diagram_type= and output_format= in the query.",
                other.unwrap_or("(none)")
            ))
            .into())
        }
    };
    let diagram = state.renderer.render(&render_request).await?;
    let disposition = Disposition::Inline(render_request.format.file_extension());
    Ok(diagram_response(
        request.headers(),
        &diagram,
        disposition,
        POST_CACHE_CONTROL,
    ))
}

pub fn from_json(body: &[u8], limit: usize) -> Result<RenderRequest, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            "empty_body",
            "The request body is empty: send a JSON object with diagram_type and diagram_source.",
        ));
    }
    let json: Value = serde_json::from_slice(body).map_err(|error| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid JSON: {error}."),
        )
    })?;
    let Value::Object(fields) = &json else {
        return Err(AppError::bad_request(
            "invalid_json",
            "The request body must be a JSON object.",
        ));
    };
    let text_field = |name: &str, required: bool| -> Result<Option<String>, AppError> {
        match fields.get(name) {
            Some(Value::String(text)) => Ok(Some(text.clone())),
            None | Some(Value::Null) if required => Err(AppError::bad_request(
                "missing_field",
                format!("Field {name} is required."),
            )),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(AppError::bad_request(
                "invalid_field",
                format!("Field {name} must be a string."),
            )),
        }
    };
    let kind = parse_api_type(&text_field("diagram_type", true)?.unwrap_or_default())?;
    let format = parse_api_format(kind, text_field("output_format", false)?)?;
    let source = DiagramSource::parse(
        text_field("diagram_source", true)?.unwrap_or_default(),
        limit,
    )?;
    let mut options = DiagramOptions::new();
    options.merge_json(fields.get("diagram_options").unwrap_or(&Value::Null))?;
    Ok(RenderRequest {
        kind,
        format,
        source,
        options,
    })
}

fn from_text(request: &HttpRequest, body: &[u8], limit: usize) -> Result<RenderRequest, AppError> {
    let pairs = query_pairs(request.query_string());
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let type_name = param("diagram_type").ok_or_else(|| {
        AppError::bad_request(
            "missing_field",
            "Query parameter diagram_type is required with a text/plain body.",
        )
    })?;
    let kind = parse_api_type(&type_name)?;
    let format = parse_api_format(kind, param("output_format"))?;
    let source = DiagramSource::parse(String::from_utf8_lossy(body).into_owned(), limit)?;
    let mut options = DiagramOptions::new();
    add_query_options(&mut options, &pairs, &["diagram_type", "output_format"])?;
    Ok(RenderRequest {
        kind,
        format,
        source,
        options,
    })
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
    name: Option<String>,
) -> Result<OutputFormat, AppError> {
    match name.as_deref().map(str::trim) {
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

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(AppError::MethodNotAllowed.into())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(AppError::NotFound.into())
}
