//! Kroki's own API, served through this app so that every Kroki client (Asciidoctor, MkDocs,
//! Sphinx, remark, mdBook, the Kroki CLI) works unchanged when pointed here:
//! `GET /{type}/{format}/{encoded}`, `POST /{type}/{format}`, `POST /{type}` and `POST /`, with
//! Kroki's decoding rules, option sources, format negotiation, CORS and error bodies.

use super::extract::{
    is_json, json_object, kroki_options, media_type, negotiate_format, query_param, read_body,
    JsonBodyError, TextField,
};
use super::responses::{
    answer_coding, coded_etag, diagram_not_modified, diagram_response, if_none_match,
    immutable_cache_control_value, Disposition, Precondition, POST_CACHE_CONTROL,
};
use crate::cache::{is_compressible, CacheKey, UrlDigest};
use crate::domain::encoding::{self, java_trim};
use crate::domain::options::HEADER_PREFIX;
use crate::domain::request::{parse_format, parse_type};
use crate::domain::{DiagramKind, DiagramSource, EncodedSource, OutputFormat, RenderRequest};
use crate::error::{AppError, GatewayError};
// The 200 and the error responses every Kroki-compatible route shares are added to the OpenAPI
// document in one place: `crate::openapi::document`.
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::middleware::{get_or_head, wrong_method, RouteLabel};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(cors))
            .service(
                web::resource("/")
                    .route(web::post().to(post_root))
                    .default_service(wrong_method("GET, HEAD, POST")),
            )
            .service(
                web::resource(DIAGRAM_ROUTE)
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
            .default_service(web::to(super::fallback::not_found)),
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
    let (type_name, format, encoded) = path.into_inner();
    answer_get(&request, &state, &type_name, &format, &encoded).await
}

/// The pattern of the diagram GET route, and the metrics label of the GETs answered ahead of it.
pub const DIAGRAM_ROUTE: &str = "/{type}/{format}/{encoded}";

/// Kroki's GET, from the path's three segments (percent-decoded) and the query: from the cache
/// by the URL's digest when this URL was rendered before (no decoding), else decoded, checked
/// and rendered; the URL is then remembered for the next time.
async fn answer_get(
    request: &HttpRequest,
    state: &AppState,
    type_name: &str,
    path_format: &str,
    path_encoded: &str,
) -> GatewayResult {
    let url = match cached_answer(request, state).await {
        (_, Some(response)) => return Ok(response),
        (url, None) => url,
    };
    let fail = |error: AppError| GatewayError::new(error, request);
    let kind = parse_type(type_name).map_err(|_| fail(AppError::NotFound))?;
    let format_name = query_param(request, "output_format");
    let format_name = format_name.as_deref().unwrap_or(path_format);
    let encoded = query_param(request, "source_encoded");
    let encoded = encoded.as_deref().unwrap_or(path_encoded);
    let format = parse_format(kind, format_name).map_err(|e| fail(e.into()))?;
    let source = decode_source(kind, encoded, state.config.max_source_size).map_err(fail)?;
    let options = kroki_options(request.query_string(), request.headers(), None).map_err(fail)?;
    let render_request = RenderRequest {
        kind,
        format,
        source,
        options,
        encoded: EncodedSource::new(encoded),
    };
    let key = state.renderer.key(&render_request).await;
    let response = render_keyed(request, state, &render_request, key).await?;
    if let Some(url) = url.filter(|_| response.status().is_success()) {
        state.renderer.urls().remember(url, key);
    }
    Ok(response)
}

/// A GET of a URL rendered before, answered from the cache: its content address is known by the
/// URL's digest, so nothing is decoded. Gives the digest too (`None` with the cache off, when
/// URLs are neither remembered nor hashed), for the render that follows a miss.
async fn cached_answer(
    request: &HttpRequest,
    state: &AppState,
) -> (Option<UrlDigest>, Option<HttpResponse>) {
    let urls = state.renderer.urls();
    if !urls.is_enabled() {
        return (None, None);
    }
    let url = UrlDigest::of(
        request.path(),
        request.query_string(),
        request.headers(),
        HEADER_PREFIX,
    );
    let Some(key) = urls.get(&url) else {
        return (Some(url), None);
    };
    let Some(diagram) = state.renderer.cached(key).await else {
        return (Some(url), None);
    };
    // A cached diagram is a current representation: a tag or `*` gets 304. Without
    // `If-None-Match` (most hits) no ETag is compared, so none is made here.
    if request.headers().contains_key(header::IF_NONE_MATCH) {
        let coding = answer_coding(request.headers(), diagram.content_type);
        let etag = coded_etag(&diagram.etag, coding);
        if if_none_match(request.headers(), &etag) != Precondition::None {
            let response = diagram_not_modified(
                &diagram.etag,
                coding,
                is_compressible(diagram.content_type),
                immutable_cache_control_value(state.config.http_cache_max_age),
            );
            return (Some(url), Some(response));
        }
    }
    let response = diagram_response(
        request.headers(),
        &diagram,
        Disposition::None,
        immutable_cache_control_value(state.config.http_cache_max_age),
    );
    (Some(url), Some(response))
}

/// Diagram GETs answered before actix-web's router, hits, misses and errors: matching
/// `/{type}/{format}/{encoded}` with its three captures over a long encoded path, once to route
/// and once more for the metrics label, was the largest part of the app's own work on a hit
/// (docs/benchmarks.md). Only a path the route would surely take, with the segments the route
/// would extract, is answered here (`plain_diagram_path`); any other request goes through the
/// router to `get_diagram`. The answer is `get_diagram`'s, with the gateway scope's CORS
/// header, and the request carries the route's pattern for its metrics label (`RouteLabel`).
pub async fn diagram_gets_ahead_of_router(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let (Some(state), true) = (state, is_get) else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let any_origin = gets_any_origin(&request);
    let (request, payload) = request.into_parts();
    let Some([type_name, format, encoded]) = plain_diagram_path(request.path()) else {
        return next
            .call(ServiceRequest::from_parts(request, payload))
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    request.extensions_mut().insert(RouteLabel(DIAGRAM_ROUTE));
    let mut response = answer_get(&request, &state, type_name, format, encoded)
        .await
        .unwrap_or_else(HttpResponse::from_error);
    if any_origin {
        allow_any_origin(response.headers_mut());
    }
    Ok(ServiceResponse::new(request, response).map_into_right_body())
}

/// The three segments of `/{type}/{format}/{encoded}` as the route would extract them, if the
/// route surely takes `path`: three non-empty segments, the first a diagram type, and nothing
/// percent-encoded (which the route's extractor would decode).
fn plain_diagram_path(path: &str) -> Option<[&str; 3]> {
    if memchr::memchr(b'%', path.as_bytes()).is_some() {
        return None;
    }
    let mut segments = path.strip_prefix('/')?.split('/');
    let (Some(kind), Some(format), Some(encoded), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return None;
    };
    (!format.is_empty() && !encoded.is_empty() && parse_type(kind).is_ok())
        .then_some([kind, format, encoded])
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

/// `POST /{type}[/{format}]` as JSON.
// A field absent, null or blank is missing; one of another type is refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KrokiDiagramRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "digraph { a -> b }")]
    pub diagram_source: TextField,
    /// Used when the path names no format.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub output_format: TextField,
    #[schema(value_type = Option<Object>)]
    pub diagram_options: Option<Value>,
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
    let (query, limit) = (request.query_string(), state.config.max_source_size);
    let parsed = post_request(kind, path_format, query, request.headers(), &body, limit);
    render(&request, &state, parsed).await
}

/// The render request of `POST /{type}[/{format}]`, its type (and format) already read from the
/// path, checked in this order: the body is not blank; the query and header options; when JSON,
/// the body, its options, `diagram_source` and `output_format`; then the format and the source.
pub fn post_request(
    kind: &'static DiagramKind,
    path_format: Option<OutputFormat>,
    query: &str,
    headers: &header::HeaderMap,
    body: &[u8],
    limit: usize,
) -> Result<RenderRequest, AppError> {
    let text = body_text(body)?;
    let json = is_json(headers).then(|| json_object::<KrokiDiagramRequest>(body));
    // A body that is not JSON is refused after the query's and headers' options are.
    let json_options = json
        .as_ref()
        .and_then(|json| json.as_ref().ok())
        .and_then(|json| json.diagram_options.as_ref());
    let options = kroki_options(query, headers, json_options)?;
    let (source, json_format) = match json {
        Some(json) => {
            let json = json.map_err(invalid_json)?;
            let source = required(json.diagram_source, "diagram_source")?;
            let format = json.output_format.text("output_format", is_blank)?;
            (source, format)
        }
        None => (text.into_owned(), None),
    };
    let format = match (path_format, json_format) {
        (Some(format), _) => format,
        (None, Some(name)) => parse_format(kind, &name)?,
        (None, None) => negotiate_format(kind, headers)?,
    };
    let source = DiagramSource::parse(source, limit)?;
    Ok(RenderRequest {
        kind,
        format,
        source,
        options,
        encoded: None,
    })
}

/// `POST /`: everything in the body.
// A field absent, null or blank is missing; one of another type is refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KrokiRootRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "digraph { a -> b }")]
    pub diagram_source: TextField,
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "graphviz")]
    pub diagram_type: TextField,
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "svg")]
    pub output_format: TextField,
    #[schema(value_type = Option<Object>)]
    pub diagram_options: Option<Value>,
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
    let (query, limit) = (request.query_string(), state.config.max_source_size);
    render(
        &request,
        &state,
        root_request(query, request.headers(), &body, limit),
    )
    .await
}

/// The render request of Kroki's JSON `POST /`, checked in Kroki's order: the body is not
/// blank, is JSON, has `diagram_source`, `diagram_type` and `output_format`; the type exists and
/// has the format; then the options and the source.
pub fn root_request(
    query: &str,
    headers: &header::HeaderMap,
    body: &[u8],
    limit: usize,
) -> Result<RenderRequest, AppError> {
    body_text(body)?;
    let json: KrokiRootRequest = json_object(body).map_err(invalid_json)?;
    let source = required(json.diagram_source, "diagram_source")?;
    let type_name = required(json.diagram_type, "diagram_type")?;
    let format_name = required(json.output_format, "output_format")?;
    let kind = parse_type(&type_name)?;
    let format = parse_format(kind, &format_name)?;
    let options = kroki_options(query, headers, json.diagram_options.as_ref())?;
    Ok(RenderRequest {
        source: DiagramSource::parse(source, limit)?,
        kind,
        format,
        options,
        encoded: None,
    })
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

/// Renders a request read from a POST, or answers why it could not be read.
async fn render(
    request: &HttpRequest,
    state: &AppState,
    parsed: Result<RenderRequest, AppError>,
) -> GatewayResult {
    let render_request = parsed.map_err(|error| GatewayError::new(error, request))?;
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
        immutable_cache_control_value(state.config.http_cache_max_age)
    } else {
        HeaderValue::from_static(POST_CACHE_CONTROL)
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
                cache_control,
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
        cache_control,
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

/// The body as text (Kroki decodes bodies as UTF-8, replacing what is not), refused when blank.
fn body_text(body: &[u8]) -> Result<std::borrow::Cow<'_, str>, AppError> {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return Err(AppError::bad_request(
            "empty_source",
            "Request body must not be empty.",
        ));
    }
    Ok(text)
}

fn invalid_json(error: JsonBodyError) -> AppError {
    AppError::bad_request("invalid_json", error.to_string())
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// A required, non-blank string field, with Kroki's message when it is missing.
fn required(field: TextField, name: &str) -> Result<String, AppError> {
    field.text(name, is_blank)?.ok_or_else(|| {
        AppError::bad_request("missing_field", format!("Field {name} must not be empty."))
    })
}

/// CORS as Kroki answers it: any origin; preflights get 204 with the methods and headers Kroki
/// allows, plus any `Kroki-Diagram-Options-*` header the page asks for.
async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let has_origin = gets_any_origin(&request);
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
        allow_any_origin(response.headers_mut());
    }
    Ok(response.map_into_left_body())
}

/// Whether the answer gets `Access-Control-Allow-Origin: *`: a request with an `Origin`, except
/// for the home page, which shares `/` with Kroki's `POST /` (pages get no CORS).
fn gets_any_origin(request: &ServiceRequest) -> bool {
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD) && request.path() == "/";
    request.headers().contains_key(header::ORIGIN) && !is_page
}

fn allow_any_origin(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName};

    fn content_type(media_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static(media_type),
        );
        headers
    }

    fn form_headers() -> HeaderMap {
        content_type("application/x-www-form-urlencoded")
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

    fn message(result: Result<RenderRequest, AppError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn post_bodies_are_checked_in_order() {
        let graphviz = crate::domain::catalog::find("graphviz").expect("graphviz");
        let post = |query: &str, body: &str| {
            post_request(
                graphviz,
                None,
                query,
                &content_type("application/json"),
                body.as_bytes(),
                1000,
            )
        };
        let too_long = format!("a={}", "x".repeat(5000));
        // The query's options before the body, the body's options before its fields.
        assert_eq!(
            message(post(&too_long, "not json")),
            "A diagram option name or value is too long."
        );
        assert_eq!(
            message(post("", "not json")),
            "The request body is not valid JSON: expected ident at line 1 column 2."
        );
        assert_eq!(
            message(post("", r#"{"diagram_options": [1]}"#)),
            "diagram_options must be a JSON object of option names to strings, numbers or booleans."
        );
        assert_eq!(
            message(post("", r#"{"diagram_source": 1}"#)),
            "Field diagram_source must be a string."
        );
        assert_eq!(
            message(post("", r#"{"diagram_source": " ", "output_format": 1}"#)),
            "Field diagram_source must not be empty."
        );
        assert_eq!(
            message(post("", r#"{"diagram_source": "a", "output_format": 1}"#)),
            "Field output_format must be a string."
        );
        let request = post(
            "theme=query",
            r#"{"diagram_source": "a", "output_format": " ", "output_format": "PNG"}"#,
        )
        .expect("renders");
        assert_eq!(request.format, OutputFormat::Png);
        assert_eq!(
            request.options.to_json(),
            serde_json::json!({"theme": "query"})
        );
        // Text: the body as it came, the format from `Accept`.
        let text = post_request(graphviz, None, "", &HeaderMap::new(), b" a ", 1000);
        assert_eq!(
            message(text),
            "Output format is undefined. Must be defined as part of the query path or as an Accept header."
        );
    }

    #[test]
    fn root_bodies_are_checked_in_krokis_order() {
        let root =
            |query: &str, body: &str| root_request(query, &HeaderMap::new(), body.as_bytes(), 1000);
        let too_long = format!("a={}", "x".repeat(5000));
        assert_eq!(message(root("", " \n")), "Request body must not be empty.");
        assert_eq!(
            message(root("", "[1]")),
            "The request body must be a JSON object."
        );
        // The fields before the options.
        assert_eq!(
            message(root(
                &too_long,
                r#"{"diagram_source": "a", "diagram_type": "graphviz"}"#
            )),
            "Field output_format must not be empty."
        );
        assert_eq!(
            message(root(
                "",
                r#"{"diagram_source": "a", "diagram_type": ["graphviz"]}"#
            )),
            "Field diagram_type must be a string."
        );
        let full = r#"{"diagram_source": "a", "diagram_type": "graphviz", "output_format": "svg", "diagram_options": {"theme": "json"}}"#;
        assert_eq!(
            message(root(&too_long, full)),
            "A diagram option name or value is too long."
        );
        let request = root("theme=query&scale=2", full).expect("renders");
        assert_eq!(request.kind.name, "graphviz");
        assert_eq!(
            request.options.to_json(),
            serde_json::json!({"theme": "json", "scale": "2"})
        );
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

    /// Only a path the diagram route surely takes is answered ahead of the router.
    #[test]
    fn answers_ahead_of_the_router_only_the_diagram_routes_paths() {
        assert_eq!(
            plain_diagram_path("/graphviz/svg/eNo="),
            Some(["graphviz", "svg", "eNo="])
        );
        for path in ["/dot/png/x", "/plantuml/svg/SoWk", "/graphviz/SVG/a+b"] {
            assert!(plain_diagram_path(path).is_some(), "{path}");
        }
        for path in [
            "/",
            "/graphviz/svg",
            "/graphviz/svg/",
            "/graphviz//eNo",
            "/graphviz/svg/eNo/more",
            "/graph%76iz/svg/eNo",
            "/graphviz/svg/eNo%3D",
            "/nosuchtype/svg/eNo",
            "/api/examples/x",
            "/static/editor.js/x",
        ] {
            assert!(plain_diagram_path(path).is_none(), "{path}");
        }
    }
}
