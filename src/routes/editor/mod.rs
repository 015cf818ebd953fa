//! The diagram editor at `/`: a form that works on its own (a GET query holds the whole state,
//! the server renders through the shared renderer and answers with the error's status when a
//! render fails), enhanced by `static/editor.js` into a live editor.
//!
//! `GET /api/decode?url=` opens a Kroki image URL for the script's import box; the page's own
//! import form (`/?import=`) does the same without JavaScript.

pub mod error_line;
pub mod form;
pub mod import;

use super::extract::{param, query_pairs, query_param};
use crate::config::Config;
use crate::domain::catalog::{Category, DiagramKind, CATALOG};
use crate::domain::controls;
use crate::domain::{encoding, DiagramSource, OutputFormat, RenderRequest};
use crate::error::{ApiError, AppError};
use crate::health::Status;
use crate::renderer::Diagram;
use crate::startup::AppState;
use crate::views::{assets, render_page, Layout};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine as _;
use form::EditorForm;
use std::collections::BTreeSet;
use std::time::Duration;

/// How long the page waits for the companions' health before it is sent without marks.
const HEALTH_WAIT: Duration = Duration::from_millis(500);

/// The editor's routes: the page (`GET /` and `HEAD /`) and the import helper. Registered before
/// the `/api` scope, which answers 404 for paths it does not know, and before the gateway, whose
/// `/` resource answers Kroki's `POST /` (a form posted there is handed to `editor_page`, since
/// only its body tells a form from Kroki's JSON) and 405 for other methods: the page's resource
/// matches GET and HEAD alone, so every other method falls through to the gateway's.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .guard(super::middleware::is_get_or_head())
            .to(home),
    );
    cfg.service(
        web::resource("/api/decode")
            .route(super::middleware::get_or_head().to(decode))
            .default_service(super::middleware::wrong_method("GET, HEAD")),
    );
}

#[derive(Template)]
#[template(path = "editor.html")]
struct EditorPage<'a> {
    layout: Layout,
    data_url: &'static str,
    script: &'static str,
    groups: Vec<TypeGroup>,
    /// The latest health round found Kroki unreachable.
    kroki_down: bool,
    form: &'a EditorForm,
    themes: &'static [(&'static str, &'static str)],
    has_background: bool,
    result: ResultView,
    links: Option<Links>,
    import_url: &'a str,
    import_error: Option<String>,
    /// MAX_URI_LENGTH: links longer than this cannot work, so none is handed out.
    max_uri_length: usize,
    /// The image URL is over that limit (a note offers Download and a `curl` POST instead).
    too_long: bool,
}

struct TypeGroup {
    label: &'static str,
    kinds: Vec<TypeChoice>,
}

struct TypeChoice {
    name: &'static str,
    title: &'static str,
    down: bool,
}

/// What the result panel shows.
enum ResultView {
    Nothing,
    Image { src: String, alt: String },
    Text(String),
    Document { href: String, name: String },
    Error(ErrorView),
}

struct ErrorView {
    status: u16,
    code: &'static str,
    message: String,
    line: Option<usize>,
    line_text: Option<String>,
}

/// Addresses of the current diagram, to copy or share.
struct Links {
    image: String,
    /// Where Download and Open image point: the image URL, or the rendered bytes inline when
    /// that URL is too long to work.
    download: String,
    image_fits: bool,
    permalink: String,
    permalink_fits: bool,
    /// Renders the diagram by POST, for when no URL can carry it.
    curl: String,
    download_name: String,
    markdown: String,
    html: String,
    asciidoc: String,
}

pub async fn home(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let pairs = query_pairs(request.query_string());
    editor_page(&request, &state, &pairs).await
}

/// The editor for one form state, given as name/value pairs: the GET query of `/`, or the
/// fields of a urlencoded `POST /` (which has no length limit but the body's).
pub async fn editor_page(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    pairs: &[(String, String)],
) -> HttpResponse {
    let limit = state.config.max_source_size;
    let import_url = param(pairs, "import");
    let mut import_error = None;
    let (form, mut error) = match import_url {
        Some(url) => match import::import(url, limit) {
            Ok(form) => (form, None),
            Err(failure) => {
                import_error = Some(failure);
                (EditorForm::fresh(), None)
            }
        },
        None => EditorForm::from_query(pairs, limit),
    };
    let outages = outages(state).await;
    let mut diagram = None;
    if form.render && error.is_none() {
        match render(state, &form).await {
            Ok(rendered) => diagram = Some(rendered),
            Err(failure) => error = Some(failure),
        }
    }
    let status = error
        .as_ref()
        .or(import_error.as_ref())
        .map_or(StatusCode::OK, AppError::status);
    let base = base_url(request, &state.config);
    let gateway_path = gateway_path(&form);
    let result = match (&error, diagram) {
        (Some(failure), _) => ResultView::Error(error_view(failure, &form.source)),
        (None, Some(diagram)) => result_view(
            &form,
            &diagram,
            gateway_path.as_deref(),
            state.config.max_uri_length,
        ),
        (None, None) => match &gateway_path {
            // Not rendered here: the browser loads the image through the gateway (and the
            // script, where it runs, renders it again by POST).
            // (`is_text` is true of SVG, which is drawn: only the picture formats qualify.)
            Some(path)
                if !form.source.trim().is_empty()
                    && matches!(
                        form.format,
                        OutputFormat::Svg | OutputFormat::Png | OutputFormat::Jpeg
                    ) =>
            {
                ResultView::Image {
                    src: path.clone(),
                    alt: alt_text(form.kind),
                }
            }
            _ => ResultView::Nothing,
        },
    };
    let max_uri = state.config.max_uri_length;
    let links = gateway_path.map(|path| {
        let mut links = links(&form, &base, &path, max_uri);
        if !links.image_fits {
            links.download = match &result {
                ResultView::Image { src, .. } | ResultView::Document { href: src, .. } => {
                    src.clone()
                }
                _ => String::new(),
            };
        }
        links
    });
    let too_long = links.as_ref().is_some_and(|links| !links.image_fits);
    let page = EditorPage {
        layout: Layout::new(),
        data_url: assets::url("editor-data.json"),
        script: assets::url("editor.js"),
        groups: type_groups(&outages.companions),
        kroki_down: outages.kroki,
        form: &form,
        themes: controls::theme(form.kind).map_or(&[], |control| control.choices),
        has_background: controls::background(form.kind).is_some(),
        result,
        links,
        import_url: import_url.unwrap_or_default(),
        import_error: import_error.map(|failure| failure.to_string()),
        max_uri_length: max_uri,
        too_long,
    };
    let nonce = page.layout.nonce.clone();
    render_page(status, &nonce, page.render())
}

async fn render(state: &AppState, form: &EditorForm) -> Result<Diagram, AppError> {
    let request = RenderRequest {
        kind: form.kind,
        format: form.format,
        source: DiagramSource::parse(form.source.clone(), state.config.max_source_size)?,
        options: form.options()?,
        encoded: None,
    };
    state.renderer.render(&request).await
}

/// What the latest health report says is down: Kroki itself, or the companions it probed. A
/// report still being probed is not waited for beyond `HEALTH_WAIT`; it finishes in the
/// background for the next page.
async fn outages(state: &web::Data<AppState>) -> Outages {
    let state = state.clone();
    let report = tokio::spawn(async move { state.health.report().await });
    let Ok(Ok(report)) = tokio::time::timeout(HEALTH_WAIT, report).await else {
        return Outages::default();
    };
    let down = |name: &str| {
        report
            .checks
            .get(name)
            .is_some_and(|check| check.status == Status::Unhealthy)
    };
    if down("kroki") {
        return Outages {
            kroki: true,
            companions: BTreeSet::new(),
        };
    }
    Outages {
        kroki: false,
        companions: report
            .checks
            .keys()
            .filter(|name| *name != "kroki" && *name != "service" && down(name))
            .cloned()
            .collect(),
    }
}

#[derive(Default)]
struct Outages {
    kroki: bool,
    companions: BTreeSet<String>,
}

fn type_groups(down: &BTreeSet<String>) -> Vec<TypeGroup> {
    [
        Category::Uml,
        Category::Graph,
        Category::Chart,
        Category::Data,
        Category::Hardware,
        Category::Sketch,
    ]
    .into_iter()
    .map(|category| {
        let mut kinds: Vec<TypeChoice> = CATALOG
            .iter()
            .filter(|kind| kind.category == category)
            .map(|kind| TypeChoice {
                name: kind.name,
                title: kind.title,
                down: kind
                    .companion
                    .is_some_and(|companion| down.contains(companion.name())),
            })
            .collect();
        kinds.sort_by_key(|choice| choice.title.to_ascii_lowercase());
        TypeGroup {
            label: category.label(),
            kinds,
        }
    })
    .filter(|group| !group.kinds.is_empty())
    .collect()
}

/// `/{type}/{format}/{encoded}?{options}`: the diagram's address on the Kroki-compatible
/// gateway, or `None` when the options are invalid.
fn gateway_path(form: &EditorForm) -> Option<String> {
    if form.source.trim().is_empty() {
        return None;
    }
    let options = form.options().ok()?;
    let mut path = format!(
        "/{}/{}/{}",
        form.kind.name,
        form.format,
        encoding::encode(&form.source)
    );
    if !options.is_empty() {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in options.iter() {
            query.append_pair(key, &value.as_text());
        }
        path.push('?');
        path.push_str(&query.finish());
    }
    Some(path)
}

fn result_view(
    form: &EditorForm,
    diagram: &Diagram,
    gateway_path: Option<&str>,
    max_uri_length: usize,
) -> ResultView {
    let text = || String::from_utf8_lossy(&diagram.bytes).into_owned();
    // Short enough for the gateway: the browser fetches it (a cache hit); otherwise inline.
    let src = || match gateway_path {
        Some(path) if path.len() <= max_uri_length => path.to_owned(),
        _ => format!(
            "data:{};base64,{}",
            form.format.content_type(),
            base64::engine::general_purpose::STANDARD.encode(&diagram.bytes)
        ),
    };
    match form.format {
        OutputFormat::Txt | OutputFormat::Utxt | OutputFormat::Base64 => ResultView::Text(text()),
        OutputFormat::Pdf => ResultView::Document {
            href: src(),
            name: download_name(form),
        },
        OutputFormat::Png | OutputFormat::Svg | OutputFormat::Jpeg => ResultView::Image {
            src: src(),
            alt: alt_text(form.kind),
        },
    }
}

fn error_view(error: &AppError, source: &str) -> ErrorView {
    let message = error.to_string();
    let line = (error.code() == "diagram_error")
        .then(|| error_line::error_line(&message))
        .flatten();
    let line_text = line
        .and_then(|line| source.lines().nth(line - 1))
        .map(str::to_owned);
    ErrorView {
        status: error.status().as_u16(),
        code: error.code(),
        message,
        line,
        line_text,
    }
}

fn alt_text(kind: &DiagramKind) -> String {
    format!("{} diagram", kind.title)
}

fn download_name(form: &EditorForm) -> String {
    format!(
        "{}-diagram.{}",
        form.kind.name,
        form.format.file_extension()
    )
}

fn links(form: &EditorForm, base: &str, gateway_path: &str, max_uri_length: usize) -> Links {
    let image = format!("{base}{gateway_path}");
    let alt = alt_text(form.kind);
    let share_query = form.share_query();
    let post_path = match gateway_path.split_once('?') {
        Some((_, query)) => format!("/{}/{}?{query}", form.kind.name, form.format),
        None => format!("/{}/{}", form.kind.name, form.format),
    };
    Links {
        download: image.clone(),
        image_fits: gateway_path.len() <= max_uri_length,
        // `/?` and the query: the request target a browser sends for the link.
        permalink_fits: share_query.len() + 2 <= max_uri_length,
        curl: format!(
            "curl -H 'Content-Type: text/plain' --data-binary @{name}-diagram.txt -o {name}-diagram.{ext} '{base}{post_path}'",
            name = form.kind.name,
            ext = form.format.file_extension(),
        ),
        markdown: format!("![{alt}]({image})"),
        html: format!(
            "<img src=\"{}\" alt=\"{alt}\">",
            image.replace('&', "&amp;")
        ),
        asciidoc: format!("image::{image}[{alt}]"),
        permalink: format!("{base}/?{share_query}"),
        download_name: download_name(form),
        image,
    }
}

/// This app's origin as the browser sees it, for the links the page shows and the snippets a
/// reader copies: `PUBLIC_URL` when set; else the request's `Host`, with `X-Forwarded-Host` and
/// `X-Forwarded-Proto` read only from a peer in `TRUSTED_PROXIES` (anyone else could point the
/// links anywhere). A scheme other than http or https, or a host that is not a host name, an
/// IPv4 address or a bracketed IPv6 address with an optional port, is ignored.
fn base_url(request: &HttpRequest, config: &Config) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let headers = request.headers();
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
    };
    let from_proxy = request.peer_addr().is_some_and(|peer| {
        config
            .trusted_proxies
            .iter()
            .any(|network| network.contains(&peer.ip()))
    });
    let forwarded = |name: &str| if from_proxy { first(name) } else { None };
    let scheme = forwarded("x-forwarded-proto")
        .map(str::to_ascii_lowercase)
        .filter(|scheme| matches!(scheme.as_str(), "http" | "https"))
        .unwrap_or_else(|| "http".to_owned());
    let host = forwarded("x-forwarded-host")
        .filter(|host| is_valid_host(host))
        .or_else(|| first("host").filter(|host| is_valid_host(host)))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `host[:port]`, as a URL's authority has it, with no user, path or markup characters.
fn is_valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && reqwest::Url::parse(&format!("http://{host}/"))
            .is_ok_and(|url| url.host_str().is_some() && url.path() == "/")
}

/// `GET /api/decode?url=…`: the type, format, options and source of a Kroki image URL or share
/// link, for the editor's import box. The URL is parsed, never fetched.
#[utoipa::path(
    get,
    path = "/api/decode",
    tag = "API",
    params(("url" = String, Query, description = "A Kroki image URL (kroki.io or this app) or a share link of this app",
        example = "https://kroki.io/graphviz/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=")),
    responses(
        (status = 200, description = "`{diagram_type, output_format, diagram_source, theme, background, options}`", body = Object),
        (status = 400, description = "Not a diagram URL, or its source does not decode", body = crate::openapi::ApiErrorBody),
        (status = 413, description = "The decoded source is over MAX_SOURCE_SIZE", body = crate::openapi::ApiErrorBody),
    )
)]
pub async fn decode(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let url = query_param(&request, "url").unwrap_or_default();
    let form = import::import(&url, state.config.max_source_size)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "diagram_type": form.kind.name,
            "output_format": form.format,
            "diagram_source": form.source,
            "theme": form.theme,
            "background": form.background,
            "options": form.extra_options,
        })))
}
