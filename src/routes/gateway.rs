//! Kroki's own API, served through this app so that every Kroki client (Asciidoctor, MkDocs,
//! Sphinx, remark, mdBook, the Kroki CLI) works unchanged when pointed here:
//! `GET /{type}/{format}/{encoded}`, `POST /{type}/{format}`, `POST /{type}` and `POST /`, with
//! Kroki's decoding rules, option sources, format negotiation, CORS and error bodies.

use super::extract::{
    add_header_options, add_query_options, body_text, is_json, media_type, negotiate_format,
    query_pairs, read_body,
};
use super::responses::{
    answer_coding, coded_etag, diagram_not_modified, diagram_response, diagram_response_with,
    if_none_match, immutable_cache_control, immutable_cache_control_value, Disposition,
    Precondition, POST_CACHE_CONTROL,
};
use crate::cache::{is_compressible, CacheKey, UrlDigest};
use crate::domain::encoding::{self, java_trim};
use crate::domain::options::HEADER_PREFIX;
use crate::domain::request::{parse_format, parse_type};
use crate::domain::{DiagramKind, DiagramOptions, DiagramSource, OutputFormat, RenderRequest};
use crate::error::{AppError, GatewayError};
use crate::openapi::{KrokiDiagramRequest, KrokiRootRequest};
// The 200 and the error responses every Kroki-compatible route shares are added to the OpenAPI
// document in one place: `crate::openapi::document`.
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

/// Query parameters that name the request rather than an option (Kroki lets them override the
/// path on GET).
const RESERVED_QUERY: &[&str] = &["output_format", "source_encoded"];

use super::middleware::{get_or_head, wrong_method};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(cors))
            .service(
                web::resource("/")
                    .route(get_or_head().to(super::pages::home))
                    .route(web::post().to(post_root))
                    .default_service(wrong_method("GET, HEAD, POST")),
            )
            .service(
                web::resource("/{type}/{format}/{encoded}")
                    .route(get_or_head().to(get_diagram))
                    .default_service(wrong_method("GET, HEAD")),
            )
            .service(
                web::resource("/{type}/{format}")
                    .route(web::post().to(post_with_format))
                    .default_service(web::to(format_without_post)),
            )
            .service(
                web::resource("/{type}")
                    .route(web::post().to(post_negotiated))
                    .default_service(web::to(type_without_post)),
            )
            .default_service(web::to(super::pages::not_found)),
    );
}

type GatewayResult = Result<HttpResponse, GatewayError>;

/// Kroki's GET: the source in the URL, zlib-compressed and URL-safe base64 encoded.
#[utoipa::path(
    get,
    path = "/{type}/{format}/{encoded}",
    tag = "Kroki-compatible",
    params(
        ("type" = String, Path, description = "A diagram type (URL name) of `/api/diagram-types`, e.g. `graphviz`"),
        ("format" = String, Path, description = "An output format the type supports, any letter case, e.g. `svg`"),
        ("encoded" = String, Path, description = "The source: UTF-8, zlib (level 9), URL-safe base64 (padding optional); PlantUML's own encoding for plantuml types",
            example = "eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY="),
    ),
    responses(
        (status = 304, description = "`If-None-Match` named this diagram's ETag"),
    )
)]
pub async fn get_diagram(
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> GatewayResult {
    // A URL rendered before: its content address is known, so no decoding is needed.
    let url = UrlDigest::of(
        request.path(),
        request.query_string(),
        request.headers(),
        HEADER_PREFIX,
    );
    if let Some(key) = state.renderer.urls().get(&url) {
        if let Some(diagram) = state.renderer.cached(key).await {
            // A cached diagram is a current representation: a tag or `*` gets 304. Without
            // `If-None-Match` (most hits) no ETag is compared, so none is made here.
            if request.headers().contains_key(header::IF_NONE_MATCH) {
                let coding = answer_coding(request.headers(), diagram.content_type);
                let etag = coded_etag(&diagram.etag, coding);
                if if_none_match(request.headers(), &etag) != Precondition::None {
                    return Ok(diagram_not_modified(
                        &diagram.etag,
                        coding,
                        is_compressible(diagram.content_type),
                        &immutable_cache_control(state.config.http_cache_max_age),
                    ));
                }
            }
            return Ok(diagram_response_with(
                request.headers(),
                &diagram,
                Disposition::None,
                immutable_cache_control_value(state.config.http_cache_max_age),
            ));
        }
    }
    let (type_name, path_format, path_encoded) = path.into_inner();
    let fail = |error: AppError| GatewayError::new(error, &request);
    let kind = parse_type(&type_name).map_err(|_| fail(AppError::NotFound))?;
    let pairs = query_pairs(request.query_string());
    let from_query = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.clone())
    };
    let format_name = from_query("output_format").unwrap_or(path_format);
    let encoded = from_query("source_encoded").unwrap_or(path_encoded);
    let format = parse_format(kind, &format_name).map_err(|e| fail(e.into()))?;
    let source = decode_source(kind, &encoded, state.config.max_source_size).map_err(fail)?;
    let mut options = DiagramOptions::new();
    add_query_options(&mut options, &pairs, RESERVED_QUERY).map_err(fail)?;
    add_header_options(&mut options, request.headers()).map_err(fail)?;
    let render_request = RenderRequest {
        kind,
        format,
        source,
        options,
    };
    let key = state.renderer.key(&render_request).await;
    let response = render_keyed(&request, &state, &render_request, key).await?;
    if response.status().is_success() {
        state.renderer.urls().remember(url, key);
    }
    Ok(response)
}

/// Decodes a GET source as Kroki does, trimming it unless the type is whitespace-sensitive.
fn decode_source(
    kind: &DiagramKind,
    encoded: &str,
    limit: usize,
) -> Result<DiagramSource, AppError> {
    let text = if kind.plantuml_encoding {
        encoding::decode_plantuml(encoded, limit)?
    } else {
        encoding::decode(encoded, limit)?
    };
    let text = if kind.trims_get_source {
        java_trim(&text).to_owned()
    } else {
        text
    };
    Ok(DiagramSource::parse(text, limit)?)
}

/// Kroki's POST with the format in the path: a text body (the source) or JSON.
#[utoipa::path(
    post,
    path = "/{type}/{format}",
    tag = "Kroki-compatible",
    params(("type" = String, Path, description = "A diagram type (URL name) of `/api/diagram-types`, e.g. `graphviz`"), ("format" = String, Path, description = "An output format the type supports, any letter case, e.g. `svg`")),
    request_body(content((String = "text/plain"), (KrokiDiagramRequest = "application/json"))),
)]
pub async fn post_with_format(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> GatewayResult {
    let (type_name, format_name) = path.into_inner();
    let kind =
        parse_type(&type_name).map_err(|_| GatewayError::new(AppError::NotFound, &request))?;
    let format = parse_format(kind, &format_name).map_err(|e| GatewayError::new(e, &request))?;
    post_diagram(request, payload, state, kind, Some(format)).await
}

/// Kroki's POST without a format: it comes from JSON `output_format` or from `Accept`.
#[utoipa::path(
    post,
    path = "/{type}",
    tag = "Kroki-compatible",
    params(("type" = String, Path, description = "A diagram type (URL name) of `/api/diagram-types`, e.g. `graphviz`")),
    request_body(content((String = "text/plain"), (KrokiDiagramRequest = "application/json"))),
)]
pub async fn post_negotiated(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> GatewayResult {
    let kind = parse_type(&path).map_err(|_| GatewayError::new(AppError::NotFound, &request))?;
    post_diagram(request, payload, state, kind, None).await
}

/// `POST /{type}[/{format}]`: a JSON body when the Content-Type says so, otherwise the raw body
/// is the source. The format comes from the path, then JSON `output_format`, then `Accept`.
async fn post_diagram(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    kind: &'static DiagramKind,
    path_format: Option<OutputFormat>,
) -> GatewayResult {
    let fail = |error: AppError| GatewayError::new(error, &request);
    let body = read_body(payload, request.headers(), &state.config)
        .await
        .map_err(fail)?;
    if body_text(&body).trim().is_empty() {
        return Err(fail(empty_body()));
    }
    let mut options = DiagramOptions::new();
    add_query_options(
        &mut options,
        &query_pairs(request.query_string()),
        RESERVED_QUERY,
    )
    .map_err(fail)?;
    add_header_options(&mut options, request.headers()).map_err(fail)?;
    let (source, json_format) = if is_json(request.headers()) {
        let json = parse_json(&body).map_err(fail)?;
        options
            .merge_json(json.get("diagram_options").unwrap_or(&Value::Null))
            .map_err(|e| fail(e.into()))?;
        let source = required_field(&json, "diagram_source").map_err(fail)?;
        let format = optional_field(&json, "output_format").map_err(fail)?;
        (source, format)
    } else {
        (body_text(&body), None)
    };
    let format = match (path_format, json_format) {
        (Some(format), _) => format,
        (None, Some(name)) => parse_format(kind, &name).map_err(|e| fail(e.into()))?,
        (None, None) => negotiate_format(kind, request.headers()).map_err(fail)?,
    };
    let source =
        DiagramSource::parse(source, state.config.max_source_size).map_err(|e| fail(e.into()))?;
    render(&request, &state, kind, format, source, options).await
}

/// `POST /`: Kroki's JSON POST, type, format and source in the body, checked in Kroki's order
/// whatever the Content-Type (as Kroki does) except one: a urlencoded form is the editor's (or
/// kroki-flask-generator's) form, answered with the editor page (`is_form_post`).
#[utoipa::path(
    post,
    path = "/",
    tag = "Kroki-compatible",
    request_body(content = KrokiRootRequest, content_type = "application/json"),
)]
pub async fn post_root(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> GatewayResult {
    let fail = |error: AppError| GatewayError::new(error, &request);
    let body = read_body(payload, request.headers(), &state.config)
        .await
        .map_err(fail)?;
    if is_form_post(request.headers(), &body) {
        let pairs = editor_fields(&body);
        return Ok(super::editor::editor_page(&request, &state, &pairs).await);
    }
    if body_text(&body).trim().is_empty() {
        return Err(fail(empty_body()));
    }
    let json = parse_json(&body).map_err(fail)?;
    let source = required_field(&json, "diagram_source").map_err(fail)?;
    let type_name = required_field(&json, "diagram_type").map_err(fail)?;
    let format_name = required_field(&json, "output_format").map_err(fail)?;
    let kind = parse_type(&type_name).map_err(|e| fail(e.into()))?;
    let format = parse_format(kind, &format_name).map_err(|e| fail(e.into()))?;
    let mut options = DiagramOptions::new();
    add_query_options(
        &mut options,
        &query_pairs(request.query_string()),
        RESERVED_QUERY,
    )
    .map_err(fail)?;
    add_header_options(&mut options, request.headers()).map_err(fail)?;
    options
        .merge_json(json.get("diagram_options").unwrap_or(&Value::Null))
        .map_err(|e| fail(e.into()))?;
    let source =
        DiagramSource::parse(source, state.config.max_source_size).map_err(|e| fail(e.into()))?;
    render(&request, &state, kind, format, source, options).await
}

fn is_form(headers: &header::HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/x-www-form-urlencoded")
}

/// The editor's form posted (`type`, `format`, `theme`, `background`, `options`, `source`), or
/// kroki-flask-generator's (`diagram_type`, `output_format`, `diagram_theme`,
/// `background_color`, `diagram_source`): answered with the editor page, the diagram or its
/// error, as `GET /?…` answers the same fields but without the URI's length limit. The body
/// limit (6 × MAX_SOURCE_SIZE + 64 KiB) holds the worst encoding of a source at the limit: a
/// browser sends each textarea line end as `%0D%0A`, six bytes for one.
///
/// A urlencoded body that is a JSON object stays Kroki's: `curl -d '{…}'` labels JSON so.
fn is_form_post(headers: &header::HeaderMap, body: &[u8]) -> bool {
    is_form(headers)
        && body
            .iter()
            .find(|byte| !byte.is_ascii_whitespace())
            .is_some_and(|first| *first != b'{')
}

/// The form's fields under the editor's names: the seed's names are renamed, and its theme
/// names for the engine's own look (`default`, `light`, its form's preselected value) become
/// the editor's empty "Default" choice.
pub fn editor_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(key, value)| {
            let editor_name = match key.as_ref() {
                "diagram_type" => "type",
                "output_format" => "format",
                "diagram_theme" => "theme",
                "background_color" => "background",
                "diagram_source" => "source",
                other => return (other.to_owned(), value.into_owned()),
            };
            let value = if editor_name == "theme" && super::api::is_default_theme(&value) {
                String::new()
            } else {
                value.into_owned()
            };
            (editor_name.to_owned(), value)
        })
        .collect()
}

/// Renders and answers. GET URLs are content-addressed: a matching `If-None-Match` gets 304
/// without a render, and the answer may be cached for `HTTP_CACHE_MAX_AGE`.
async fn render(
    request: &HttpRequest,
    state: &AppState,
    kind: &'static DiagramKind,
    format: OutputFormat,
    source: DiagramSource,
    options: DiagramOptions,
) -> GatewayResult {
    let render_request = RenderRequest {
        kind,
        format,
        source,
        options,
    };
    let key = state.renderer.key(&render_request).await;
    render_keyed(request, state, &render_request, key).await
}

/// `render` with the content address already computed. On GET, `If-None-Match` is compared
/// with the ETag of the coding the answer would be sent in: a listed tag gets 304 before any
/// render (the URL is content-addressed), `*` only when the diagram is cached (a current
/// representation exists; a diagram never rendered, or failing, is not one).
async fn render_keyed(
    request: &HttpRequest,
    state: &AppState,
    render_request: &RenderRequest,
    key: CacheKey,
) -> GatewayResult {
    // HEAD is a GET without the body: the same headers.
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let cache_control = if is_get {
        immutable_cache_control(state.config.http_cache_max_age)
    } else {
        POST_CACHE_CONTROL.to_owned()
    };
    if is_get {
        let content_type = render_request.format.content_type();
        let coding = answer_coding(request.headers(), content_type);
        let identity_etag = key.etag();
        let current = match if_none_match(request.headers(), &coded_etag(&identity_etag, coding)) {
            Precondition::None => false,
            Precondition::Tag => true,
            Precondition::Any => state.renderer.cached(key).await.is_some(),
        };
        if current {
            return Ok(diagram_not_modified(
                &identity_etag,
                coding,
                is_compressible(content_type),
                &cache_control,
            ));
        }
    }
    let diagram = state
        .renderer
        .render_keyed(render_request, key)
        .await
        .map_err(|error| GatewayError::new(error, request))?;
    Ok(diagram_response(
        request.headers(),
        &diagram,
        Disposition::None,
        &cache_control,
    ))
}

/// Any method but POST on `/{type}/{format}`: Kroki checks the format first.
async fn format_without_post(
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> GatewayResult {
    let (type_name, format_name) = path.into_inner();
    let kind =
        parse_type(&type_name).map_err(|_| GatewayError::new(AppError::NotFound, &request))?;
    parse_format(kind, &format_name).map_err(|e| GatewayError::new(e, &request))?;
    Err(GatewayError::new(AppError::MethodNotAllowed, &request))
}

async fn type_without_post(request: HttpRequest, path: web::Path<String>) -> GatewayResult {
    let error = match parse_type(&path) {
        Ok(_) => AppError::MethodNotAllowed,
        Err(_) => AppError::NotFound,
    };
    Err(GatewayError::new(error, &request))
}

fn empty_body() -> AppError {
    AppError::bad_request("empty_source", "Request body must not be empty.")
}

pub fn parse_json(body: &[u8]) -> Result<Value, AppError> {
    let json: Value = serde_json::from_slice(body).map_err(|error| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid JSON: {error}."),
        )
    })?;
    if !json.is_object() {
        return Err(AppError::bad_request(
            "invalid_json",
            "The request body must be a JSON object.",
        ));
    }
    Ok(json)
}

/// A required, non-blank string field, with Kroki's message when it is missing.
pub fn required_field(json: &Value, name: &str) -> Result<String, AppError> {
    match json.get(name) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => Err(AppError::bad_request(
            "missing_field",
            format!("Field {name} must not be empty."),
        )),
        Some(_) => Err(AppError::bad_request(
            "invalid_field",
            format!("Field {name} must be a string."),
        )),
    }
}

pub fn optional_field(json: &Value, name: &str) -> Result<Option<String>, AppError> {
    match json.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(_) => required_field(json, name).map(Some),
    }
}

/// CORS as Kroki answers it: any origin; preflights get 204 with the methods and headers Kroki
/// allows, plus any `Kroki-Diagram-Options-*` header the page asks for.
async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The home page shares `/` with Kroki's `POST /`; pages get no CORS.
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD) && request.path() == "/";
    let has_origin = request.headers().contains_key(header::ORIGIN) && !is_page;
    if request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut allowed = String::from("Access-Control-Allow-Origin,Origin,Content-Type,Accept");
        let requested = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        for name in requested.split(',').map(str::trim) {
            if name
                .to_ascii_lowercase()
                .starts_with(crate::domain::options::HEADER_PREFIX)
            {
                allowed.push(',');
                allowed.push_str(name);
            }
        }
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET,POST,OPTIONS"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, allowed))
            .finish();
        return Ok(request.into_response(response).map_into_right_body());
    }
    let mut response = next.call(request).await?;
    if has_origin {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName};

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers
    }

    #[test]
    fn only_urlencoded_bodies_that_are_not_json_are_form_posts() {
        assert!(is_form_post(&form_headers(), b"type=dot&source=a"));
        assert!(!is_form_post(
            &form_headers(),
            b" \n{\"diagram_type\":\"dot\"}"
        ));
        assert!(!is_form_post(&form_headers(), b""));
        assert!(!is_form_post(&HeaderMap::new(), b"type=dot&source=a"));
    }

    #[test]
    fn the_seeds_field_names_become_the_editors() {
        let fields = editor_fields(
            b"diagram_type=mermaid&output_format=svg&diagram_theme=light&background_color=white&diagram_source=graph+TD%0D%0AA&theme=x",
        );
        let expected: Vec<(String, String)> = [
            ("type", "mermaid"),
            ("format", "svg"),
            ("theme", ""),
            ("background", "white"),
            ("source", "graph TD\r\nA"),
            ("theme", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(fields, expected);
    }
}
