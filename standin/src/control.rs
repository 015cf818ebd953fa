//! Control endpoints for standalone use, under the reserved prefix `/_standin` (not part of
//! Kroki). They are never faulted, never counted and never recorded.
//!
//! | request | effect |
//! |---|---|
//! | `PUT /_standin/fault` `{"fault":"none"\|"hang"\|"slow"\|"status"\|"reset"\|"oversized", "delay_ms":N, "status":N, "bytes":N, "chunked":bool}` | sets the fault (204) |
//! | `GET /_standin/fault` | the current fault, same JSON shape |
//! | `PUT /_standin/companions/{name}` `{"down":true\|false}` | marks `mermaid`, `bpmn`, `excalidraw` or `diagramsnet` down or up (204) |
//! | `GET /_standin/companions` | `{"down":[names]}` |
//! | `GET /_standin/requests` | recorded requests, oldest first: `[{"method","path","query","headers":[[name,value]],"body"}]` (body as lossy text) |
//! | `DELETE /_standin/requests` | forgets them (204) |

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::{json, Value};

use crate::catalog::find_companion;
use crate::faults::Fault;
use crate::state::Shared;

/// The reserved prefix.
pub const PREFIX: &str = "/_standin";

const CONTROL_BODY_LIMIT: usize = 64 * 1024;

/// Whether `path` is a control path.
pub fn is_control_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_standin/")
}

fn plain(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .body(message.into())
}

fn json_response(value: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(value.to_string())
}

async fn read_json(mut payload: web::Payload) -> Result<Value, HttpResponse> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| plain(StatusCode::BAD_REQUEST, e.to_string()))?;
        if body.len() + chunk.len() > CONTROL_BODY_LIMIT {
            return Err(plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "control body too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| plain(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")))
}

/// Handles a `/_standin/...` request.
pub async fn handle(req: &HttpRequest, payload: web::Payload, state: &Shared) -> HttpResponse {
    let rest = req.path().strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method();
    match segments.as_slice() {
        ["fault"] if method == Method::PUT => match read_json(payload).await {
            Ok(value) => match Fault::from_control(&value) {
                Ok(fault) => {
                    state.set_fault(fault);
                    HttpResponse::NoContent().finish()
                }
                Err(message) => plain(StatusCode::BAD_REQUEST, message),
            },
            Err(response) => response,
        },
        ["fault"] if method == Method::GET => json_response(&state.fault().to_control()),
        ["companions"] if method == Method::GET => {
            json_response(&json!({"down": state.down_companions()}))
        }
        ["companions", name] if method == Method::PUT => {
            if find_companion(name).is_none() {
                return plain(
                    StatusCode::NOT_FOUND,
                    format!("unknown companion \"{name}\": use mermaid, bpmn, excalidraw or diagramsnet"),
                );
            }
            match read_json(payload).await {
                Ok(value) => match value.get("down").and_then(Value::as_bool) {
                    Some(down) => {
                        state.set_down(name, down);
                        HttpResponse::NoContent().finish()
                    }
                    None => plain(
                        StatusCode::BAD_REQUEST,
                        "field \"down\" (boolean) is required",
                    ),
                },
                Err(response) => response,
            }
        }
        ["requests"] if method == Method::GET => {
            let list: Vec<Value> = state.requests().iter().map(|r| r.to_json()).collect();
            json_response(&Value::Array(list))
        }
        ["requests"] if method == Method::DELETE => {
            state.clear_requests();
            HttpResponse::NoContent().finish()
        }
        ["fault"] | ["companions"] | ["companions", _] | ["requests"] => plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this control endpoint",
        ),
        _ => plain(StatusCode::NOT_FOUND, "unknown control endpoint"),
    }
}
