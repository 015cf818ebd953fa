//! The HTTP side: Kroki's routes (§1), limits (§3.3, §8.5), caching headers (§8.1) and CORS (§8.2).
//!
//! Every request goes through one actix default service, which routes by hand so that the
//! stand-in can follow Vert.x's routing exactly: `/_standin/...` goes to [`crate::control`];
//! everything else is counted, recorded, subjected to the current [`Fault`], and then routed:
//!
//! | path (segments, `//` tolerated) | method | result |
//! |---|---|---|
//! | `/` | GET / POST | hello page / JSON API |
//! | `/{type}` | POST / other | render / 405 `Allow: POST` |
//! | `/{type}/{format}` | POST / other | render / 400 bad format, else 405 |
//! | `/{type}/{format}/{encoded}` | GET | decode and render |
//! | `/health`, `/v1/health`, `/healthz`, `/metrics` | GET | §5 |
//! | anything else (HEAD included) | any | 404 |

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt as _;
use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::catalog::{self, DiagramType, Format};
use crate::decode::{self, java_is_blank, DecodeError};
use crate::engine::{self, Verdict};
use crate::errors::{error_body, KrokiError};
use crate::faults::{self, Fault};
use crate::info;
use crate::options::{self, media_type, param, parse_accept, parse_query, Options};
use crate::render;
use crate::state::{RecordedRequest, Shared};

/// `Last-Modified` of every diagram: the fixed "build time" of this Kroki.
pub const LAST_MODIFIED: &str = "Tue, 12 Aug 2025 10:00:00 GMT";

/// `Cache-Control` of every diagram (5 days).
pub const CACHE_CONTROL: &str = "public, max-age=432000";

const MAX_AGE: Duration = Duration::from_secs(432_000);
const BODY_EMPTY: &str = "Request body must not be empty.";

/// Builds the actix server on an already bound listener.
pub fn build(
    shared: Arc<Shared>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    listener.set_nonblocking(true)?;
    let data = web::Data::from(shared);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(entry))
    })
    .workers(workers.max(1))
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok(server)
}

async fn entry(req: HttpRequest, payload: web::Payload, state: web::Data<Shared>) -> HttpResponse {
    if crate::control::is_control_path(req.path()) {
        return crate::control::handle(&req, payload, &state).await;
    }
    kroki(&req, payload, &state).await
}

/// What a route produced, before it becomes an HTTP response.
enum Reply {
    /// A rendered diagram (gets the caching headers).
    Diagram {
        format: Format,
        body: Vec<u8>,
        etag: String,
    },
    /// Health, metrics, hello.
    Page {
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// CORS preflight.
    Preflight,
    /// An error through Kroki's error handler.
    Error(KrokiError),
    /// An error answered before routing (414): no CORS headers.
    Early(KrokiError),
}

impl From<KrokiError> for Reply {
    fn from(e: KrokiError) -> Reply {
        Reply::Error(e)
    }
}

/// Request data every route needs.
struct Ctx {
    method: Method,
    segments: Vec<String>,
    /// Query parameters in order.
    params: Vec<(String, String)>,
    /// Headers, names lowercased.
    headers: Vec<(String, String)>,
    /// Accept media types by weight.
    accepts: Vec<String>,
    /// Whether the request carries `Origin`.
    origin: bool,
    /// Whether this is a CORS preflight.
    preflight: bool,
}

impl Ctx {
    fn new(req: &HttpRequest, headers: Vec<(String, String)>) -> Ctx {
        let accepts = parse_accept(
            headers
                .iter()
                .filter(|(n, _)| n == "accept")
                .map(|(_, v)| v.as_str()),
        );
        let origin = req.headers().contains_key(header::ORIGIN);
        let preflight = origin
            && req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        Ctx {
            method: req.method().clone(),
            segments: req
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(decode::path_decode)
                .collect(),
            params: parse_query(req.query_string()),
            accepts,
            origin,
            preflight,
            headers,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn header_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

enum BodyError {
    TooLarge(Vec<u8>),
    Broken(Vec<u8>),
}

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared {
        if len > limit as u64 {
            return Err(BodyError::TooLarge(Vec::new()));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                if body.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge(body));
                }
                body.extend_from_slice(&chunk);
            }
            Err(_) => return Err(BodyError::Broken(body)),
        }
    }
    Ok(body)
}

/// The length of the request line `METHOD URI HTTP/x.y`.
fn request_line_length(req: &HttpRequest) -> usize {
    let uri = req.uri();
    let uri_len = uri
        .path_and_query()
        .map(|pq| pq.as_str().len())
        .unwrap_or_else(|| uri.to_string().len());
    let uri_len = if uri.scheme().is_some() {
        uri.to_string().len()
    } else {
        uri_len
    };
    req.method().as_str().len() + 1 + uri_len + 1 + "HTTP/1.1".len()
}

async fn kroki(req: &HttpRequest, payload: web::Payload, state: &Shared) -> HttpResponse {
    state.count_request();
    let settings = state.settings;
    let too_long = request_line_length(req) > settings.max_uri_length;
    let body = if too_long {
        Ok(Vec::new())
    } else {
        read_body(req, payload, settings.body_limit).await
    };
    let headers = header_pairs(req);
    state.record(RecordedRequest {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers: headers.clone(),
        body: match &body {
            Ok(b) | Err(BodyError::TooLarge(b)) | Err(BodyError::Broken(b)) => b.clone(),
        },
    });
    let ctx = Ctx::new(req, headers);

    let fault = state.fault();
    match fault {
        Fault::Hang => tokio::time::sleep(faults::HANG).await,
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::RenderStatus(status) if !is_informational(&ctx) => {
            let status = if StatusCode::from_u16(status).is_ok() {
                status
            } else {
                500
            };
            return respond(Reply::Error(KrokiError::with_status(status)), &ctx);
        }
        Fault::Status(status) => {
            let status = if StatusCode::from_u16(status).is_ok() {
                status
            } else {
                500
            };
            return respond(Reply::Error(KrokiError::with_status(status)), &ctx);
        }
        Fault::None
        | Fault::RenderStatus(_)
        | Fault::ResetMidBody
        | Fault::OversizedBody(_)
        | Fault::OversizedChunked(_) => {}
    }

    let reply = if too_long {
        Reply::Early(KrokiError::uri_too_long(settings.max_uri_length))
    } else {
        match body {
            Err(BodyError::TooLarge(_)) => Reply::Error(KrokiError::body_too_large()),
            Err(BodyError::Broken(_)) => Reply::Error(KrokiError::bad_request("Bad Request")),
            Ok(body) => route(&ctx, &body, state).await,
        }
    };

    match fault {
        Fault::ResetMidBody => {
            let (content_type, body) = reply_bytes(reply, &ctx);
            with_cors(faults::reset_mid_body(&content_type, body), &ctx)
        }
        Fault::OversizedBody(size) => {
            let (content_type, body) = reply_bytes(reply, &ctx);
            with_cors(faults::oversized(&content_type, body, size, false), &ctx)
        }
        Fault::OversizedChunked(size) => {
            let (content_type, body) = reply_bytes(reply, &ctx);
            with_cors(faults::oversized(&content_type, body, size, true), &ctx)
        }
        _ => respond(reply, &ctx),
    }
}

/// `/`, `/health`, `/v1/health`, `/healthz` and `/metrics`: the routes that involve no engine.
fn is_informational(ctx: &Ctx) -> bool {
    let segs: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
    matches!(
        segs.as_slice(),
        [] | ["health" | "healthz" | "metrics"] | ["v1", "health"]
    )
}

async fn route(ctx: &Ctx, body: &[u8], state: &Shared) -> Reply {
    if ctx.preflight {
        return Reply::Preflight;
    }
    let segs: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
    let method = &ctx.method;
    match segs.as_slice() {
        [] if method == Method::GET => Reply::Page {
            content_type: "text/html",
            body: info::hello_html().into_bytes(),
        },
        [] if method == Method::POST => post_root(ctx, body, state).await,
        [name] => match catalog::find(name) {
            Some(ty) if method == Method::POST => post_type(ty, None, ctx, body, state).await,
            Some(_) => KrokiError::method_not_allowed().into(),
            None if method == Method::GET && matches!(*name, "health" | "healthz") => health(state),
            None if method == Method::GET && *name == "metrics" => Reply::Page {
                content_type: "text/plain; version=0.0.4",
                body: info::metrics_text().into_bytes(),
            },
            None => KrokiError::not_found().into(),
        },
        [name, format] => match catalog::find(name) {
            Some(ty) if method == Method::POST => {
                post_type(ty, Some(format), ctx, body, state).await
            }
            Some(ty) => match validate(ty, format) {
                Ok(_) => KrokiError::method_not_allowed().into(),
                Err(e) => e.into(),
            },
            None if method == Method::GET && *name == "v1" && *format == "health" => health(state),
            None => KrokiError::not_found().into(),
        },
        [name, format, encoded] if method == Method::GET => match catalog::find(name) {
            Some(ty) => get_diagram(ty, format, encoded, ctx, state).await,
            None => KrokiError::not_found().into(),
        },
        _ => KrokiError::not_found().into(),
    }
}

fn health(state: &Shared) -> Reply {
    Reply::Page {
        content_type: "application/health+json",
        body: info::health_json_with(&state.versions()).into_bytes(),
    }
}

/// `DiagramHandler.validate`.
fn validate(ty: &DiagramType, format: &str) -> Result<Format, KrokiError> {
    Format::parse(format)
        .filter(|f| ty.supports(*f))
        .ok_or_else(|| {
            KrokiError::bad_request(format!(
                "Unsupported output format: {format} for {}. Must be one of {}.",
                ty.name,
                ty.format_names()
            ))
        })
}

/// `getOutputFileFormatFromAcceptHeaders`.
fn from_accept(ty: &DiagramType, ctx: &Ctx) -> Result<Format, KrokiError> {
    if ctx.accepts.is_empty() {
        return Err(KrokiError::bad_request(
            "Output format is undefined. Must be defined as part of the query path or as an Accept header.",
        ));
    }
    ctx.accepts
        .iter()
        .filter_map(|m| Format::from_mime(m))
        .find(|f| ty.supports(*f))
        .ok_or_else(|| {
            KrokiError::bad_request(format!(
                "Content negotiation failed, no output format found for the following MIME types: {}. Must be one of {} for {}.",
                ctx.accepts.join(","),
                ty.mime_names(),
                ty.name
            ))
        })
}

async fn get_diagram(
    ty: &'static DiagramType,
    path_format: &str,
    path_encoded: &str,
    ctx: &Ctx,
    state: &Shared,
) -> Reply {
    let format = param(&ctx.params, "output_format").unwrap_or(path_format);
    let format = match validate(ty, format) {
        Ok(f) => f,
        Err(e) => return e.into(),
    };
    let encoded = param(&ctx.params, "source_encoded").unwrap_or(path_encoded);
    let decoded = if ty.plantuml_decoder {
        decode::decode_plantuml(encoded)
    } else {
        decode::decode_kroki(encoded, ty.trims)
    };
    let source = match decoded {
        Ok(s) => s,
        Err(DecodeError::Internal) => return KrokiError::internal().into(),
        Err(e) => return KrokiError::bad_request(e.message()).into(),
    };
    let options = options::collect(&ctx.params, &ctx.headers, None);
    convert(ty, format, source, options, state).await
}

/// A JSON string field: `Ok(None)` when missing or null, `Err` when of another type
/// (a `ClassCastException`, i.e. HTTP 500, in Kroki).
fn json_string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, KrokiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(KrokiError::internal()),
    }
}

fn json_options(map: &Map<String, Value>) -> Result<Map<String, Value>, KrokiError> {
    match map.get("diagram_options") {
        None => Ok(Map::new()),
        Some(Value::Object(o)) => Ok(o.clone()),
        Some(_) => Err(KrokiError::internal()),
    }
}

fn parse_json_object(text: &str) -> Result<Map<String, Value>, KrokiError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(KrokiError::internal()),
    }
}

/// Query params plus, for form-urlencoded bodies, the form attributes (Vert.x merges them).
fn params_with_form(ctx: &Ctx, content_type: &str, body: &[u8]) -> Vec<(String, String)> {
    let mut params = ctx.params.clone();
    if content_type == "application/x-www-form-urlencoded" {
        params.extend(parse_query(&String::from_utf8_lossy(body)));
    }
    params
}

async fn post_type(
    ty: &'static DiagramType,
    path_format: Option<&str>,
    ctx: &Ctx,
    body: &[u8],
    state: &Shared,
) -> Reply {
    match post_type_inner(ty, path_format, ctx, body) {
        Ok((format, source, options)) => convert(ty, format, source, options, state).await,
        Err(e) => e.into(),
    }
}

fn post_type_inner(
    ty: &'static DiagramType,
    path_format: Option<&str>,
    ctx: &Ctx,
    body: &[u8],
) -> Result<(Format, String, Options), KrokiError> {
    let content_type = ctx
        .header("content-type")
        .map(media_type)
        .unwrap_or_default();
    let params = params_with_form(ctx, &content_type, body);
    let explicit = param(&params, "output_format")
        .map(str::to_owned)
        .or_else(|| path_format.map(str::to_owned));
    if content_type == "application/json" {
        let text = String::from_utf8_lossy(body);
        if java_is_blank(&text) {
            return Err(KrokiError::bad_request(BODY_EMPTY));
        }
        let json = parse_json_object(&text)?;
        let source = json_string(&json, "diagram_source")?.unwrap_or_default();
        if java_is_blank(&source) {
            return Err(KrokiError::bad_request(
                "Field diagram_source must not be empty.",
            ));
        }
        let format = match explicit {
            Some(f) => validate(ty, &f)?,
            None => match json_string(&json, "output_format")? {
                Some(f) => validate(ty, &f)?,
                None => from_accept(ty, ctx)?,
            },
        };
        let json_opts = json_options(&json)?;
        let options = options::collect(&params, &ctx.headers, Some(&json_opts));
        Ok((format, source, options))
    } else {
        // Multipart bodies never reach Vert.x's body buffer.
        let source = if content_type.starts_with("multipart/") {
            String::new()
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        if java_is_blank(&source) {
            return Err(KrokiError::bad_request(BODY_EMPTY));
        }
        let format = match explicit {
            Some(f) => validate(ty, &f)?,
            None => from_accept(ty, ctx)?,
        };
        let options = options::collect(&params, &ctx.headers, None);
        Ok((format, source, options))
    }
}

async fn post_root(ctx: &Ctx, body: &[u8], state: &Shared) -> Reply {
    match post_root_inner(ctx, body) {
        Ok((ty, format, source, options)) => convert(ty, format, source, options, state).await,
        Err(e) => e.into(),
    }
}

fn post_root_inner(
    ctx: &Ctx,
    body: &[u8],
) -> Result<(&'static DiagramType, Format, String, Options), KrokiError> {
    let text = String::from_utf8_lossy(body);
    if java_is_blank(&text) {
        return Err(KrokiError::bad_request(BODY_EMPTY));
    }
    let json = parse_json_object(&text)?;
    let required = |key: &str| -> Result<String, KrokiError> {
        match json_string(&json, key)? {
            Some(s) if !java_is_blank(&s) => Ok(s),
            _ => Err(KrokiError::bad_request(format!(
                "Field {key} must not be empty."
            ))),
        }
    };
    let source = required("diagram_source")?;
    let type_name = required("diagram_type")?;
    let format_name = required("output_format")?;
    let ty = catalog::find(&type_name).ok_or_else(|| {
        KrokiError::bad_request(format!(
            "Unsupported diagram type: {type_name}. Must be one of {}",
            catalog::all_type_names()
        ))
    })?;
    let format = validate(ty, &format_name)?;
    let json_opts = json_options(&json)?;
    let content_type = ctx
        .header("content-type")
        .map(media_type)
        .unwrap_or_default();
    let params = params_with_form(ctx, &content_type, body);
    let options = options::collect(&params, &ctx.headers, Some(&json_opts));
    Ok((ty, format, source, options))
}

/// `"<engine version><PlantUML-alphabet MD5 of the source>"`.
pub fn etag(version: &str, source: &str) -> String {
    let digest = Md5::digest(source.as_bytes());
    format!("\"{version}{}\"", decode::plantuml_ascii_encode(&digest))
}

/// Companion check, latency, engine checks, then the rendering.
async fn convert(
    ty: &'static DiagramType,
    format: Format,
    source: String,
    options: Options,
    state: &Shared,
) -> Reply {
    if let Some(companion) = ty.companion {
        if state.is_down(companion.name) {
            return KrokiError::unavailable(format!(
                "Connection refused: localhost/127.0.0.1:{}",
                companion.port
            ))
            .into();
        }
    }
    let latency = state.settings.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let verdict = match engine::check(ty, &source) {
        Ok(v) => v,
        Err(e) => return e.into(),
    };
    let etag = etag(ty.version, &source);
    if verdict == Verdict::EmptyBody {
        return Reply::Diagram {
            format,
            body: Vec::new(),
            etag,
        };
    }
    let rendered =
        tokio::task::spawn_blocking(move || render::render(ty, format, &source, &options)).await;
    match rendered {
        Ok(Ok(body)) => Reply::Diagram { format, body, etag },
        _ => KrokiError::internal().into(),
    }
}

/// The Content-Type and body a reply would have (used by the body-mangling faults).
fn reply_bytes(reply: Reply, ctx: &Ctx) -> (String, Vec<u8>) {
    match reply {
        Reply::Diagram { format, body, .. } => (format.content_type().to_owned(), body),
        Reply::Page { content_type, body } => (content_type.to_owned(), body),
        Reply::Preflight => ("text/plain".to_owned(), Vec::new()),
        Reply::Error(e) | Reply::Early(e) => {
            let (content_type, body) = error_body(&e, &ctx.accepts);
            (content_type.to_owned(), body)
        }
    }
}

fn with_cors(mut response: HttpResponse, ctx: &Ctx) -> HttpResponse {
    if ctx.origin {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

fn error_response(error: &KrokiError, ctx: &Ctx) -> HttpResponse {
    let (content_type, body) = error_body(error, &ctx.accepts);
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, content_type));
    if error.allow_post {
        builder.insert_header((header::ALLOW, "POST"));
    }
    let mut response = builder.body(body);
    response.head_mut().reason = Some(error.reason);
    response
}

fn respond(reply: Reply, ctx: &Ctx) -> HttpResponse {
    let response = match reply {
        Reply::Diagram { format, body, etag } => {
            let now = SystemTime::now();
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, format.content_type()))
                .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
                .insert_header((header::EXPIRES, httpdate::fmt_http_date(now + MAX_AGE)))
                .insert_header((header::DATE, httpdate::fmt_http_date(now)))
                .insert_header((header::LAST_MODIFIED, LAST_MODIFIED))
                .insert_header((header::ETAG, etag))
                .body(body)
        }
        Reply::Page { content_type, body } => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .body(body),
        Reply::Preflight => HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET,POST,OPTIONS"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Access-Control-Allow-Origin,Origin,Content-Type,Accept",
            ))
            .finish(),
        Reply::Error(e) => error_response(&e, ctx),
        Reply::Early(e) => return error_response(&e, ctx),
    };
    with_cors(response, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_depends_on_version_and_source_only() {
        let a = etag("14.1.3", "digraph { a -> b }");
        assert!(a.starts_with("\"14.1.3"));
        assert!(a.ends_with('"'));
        assert_eq!(a.len(), 1 + 6 + 24 + 1);
        assert_eq!(a, etag("14.1.3", "digraph { a -> b }"));
        assert_ne!(a, etag("14.1.3", "digraph { a -> c }"));
        assert_ne!(a, etag("14.1.4", "digraph { a -> b }"));
    }

    #[test]
    fn validate_messages() {
        let mermaid = catalog::find("mermaid")
            .copied()
            .unwrap_or(catalog::TYPES[0]);
        assert_eq!(
            validate(&mermaid, "pdf").map_err(|e| e.message),
            Err(
                "Unsupported output format: pdf for mermaid. Must be one of png or svg.".to_owned()
            )
        );
        assert_eq!(validate(&mermaid, "SVG"), Ok(Format::Svg));
        assert!(validate(&mermaid, "jpg").is_err());
    }
}
