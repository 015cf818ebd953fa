//! Faults the stand-in can be told to inject on every Kroki route (never on `/_standin`).
//!
//! * [`Fault::Hang`]: the request is read and recorded, then never answered (an hour's sleep that
//!   does not block other requests or shutdown).
//! * [`Fault::Slow`]: wait, then answer normally.
//! * [`Fault::Status`]: answer with that status and Kroki's generic error body.
//! * [`Fault::RenderStatus`]: the same, for renders only: `/health`, `/v1/health`, `/healthz`,
//!   `/metrics` and the hello page answer normally, as a real Kroki does when its engines fail
//!   (its `/health` is static).
//! * [`Fault::ResetMidBody`]: `200` with the full `Content-Length`, half of the body, then the
//!   connection is dropped.
//! * [`Fault::OversizedBody`]: `200`, the right Content-Type, a `Content-Length` of that many bytes
//!   and a streamed body of that size (the normal body first, then filler).
//! * [`Fault::OversizedChunked`]: the same body without `Content-Length` (chunked), so a client
//!   learns its size only by reading it.

use std::time::Duration;

use actix_web::http::header;
use actix_web::HttpResponse;
use bytes::Bytes;
use serde_json::{json, Value};

/// How long a hanging request sleeps.
pub const HANG: Duration = Duration::from_secs(3600);

/// A fault injected on every Kroki route.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Normal behaviour.
    None,
    /// Accept the request, never answer.
    Hang,
    /// Wait, then answer normally.
    Slow(Duration),
    /// Answer every request with this status and Kroki's error body (`Internal Server Error`).
    Status(u16),
    /// As [`Fault::Status`] for every route but the informational ones (`/health`, `/v1/health`,
    /// `/healthz`, `/metrics`, `/`), which keep answering normally.
    RenderStatus(u16),
    /// Status 200 and full Content-Length, half of the body, then the connection is dropped.
    ResetMidBody,
    /// Status 200 with the right Content-Type and a body of this many bytes (streamed).
    OversizedBody(usize),
    /// As [`Fault::OversizedBody`], without `Content-Length` (chunked transfer encoding).
    OversizedChunked(usize),
}

impl Fault {
    /// Parses the body of `PUT /_standin/fault`:
    /// `{"fault":"none"|"hang"|"slow"|"status"|"render_status"|"reset"|"oversized", "delay_ms":N, "status":N,
    /// "bytes":N, "chunked":bool}` (`chunked`, for `oversized` only, defaults to false).
    pub fn from_control(body: &Value) -> Result<Fault, String> {
        let name = body
            .get("fault")
            .and_then(Value::as_str)
            .ok_or_else(|| "field \"fault\" (string) is required".to_owned())?;
        let number = |field: &str| -> Result<u64, String> {
            body.get(field).and_then(Value::as_u64).ok_or_else(|| {
                format!("field \"{field}\" (non-negative integer) is required for fault \"{name}\"")
            })
        };
        match name {
            "none" => Ok(Fault::None),
            "hang" => Ok(Fault::Hang),
            "slow" => Ok(Fault::Slow(Duration::from_millis(number("delay_ms")?))),
            "status" | "render_status" => {
                let status = number("status")?;
                match u16::try_from(status) {
                    Ok(s) if (100..=999).contains(&s) => Ok(if name == "status" {
                        Fault::Status(s)
                    } else {
                        Fault::RenderStatus(s)
                    }),
                    _ => Err(format!("status {status} is not an HTTP status code")),
                }
            }
            "reset" => Ok(Fault::ResetMidBody),
            "oversized" => {
                let bytes = usize::try_from(number("bytes")?).map_err(|e| e.to_string())?;
                match body.get("chunked") {
                    None | Some(Value::Bool(false)) => Ok(Fault::OversizedBody(bytes)),
                    Some(Value::Bool(true)) => Ok(Fault::OversizedChunked(bytes)),
                    Some(_) => Err("field \"chunked\" must be a boolean".to_owned()),
                }
            }
            other => Err(format!(
                "unknown fault \"{other}\": use none, hang, slow, status, render_status, reset or oversized"
            )),
        }
    }

    /// The JSON form, as accepted by [`Fault::from_control`].
    pub fn to_control(&self) -> Value {
        match self {
            Fault::None => json!({"fault": "none"}),
            Fault::Hang => json!({"fault": "hang"}),
            Fault::Slow(d) => json!({"fault": "slow", "delay_ms": d.as_millis()}),
            Fault::Status(s) => json!({"fault": "status", "status": s}),
            Fault::RenderStatus(s) => json!({"fault": "render_status", "status": s}),
            Fault::ResetMidBody => json!({"fault": "reset"}),
            Fault::OversizedBody(n) => json!({"fault": "oversized", "bytes": n}),
            Fault::OversizedChunked(n) => {
                json!({"fault": "oversized", "bytes": n, "chunked": true})
            }
        }
    }
}

/// 200 announcing `body.len()` bytes, sending the first half, then failing the stream so the
/// connection is dropped.
pub fn reset_mid_body(content_type: &str, mut body: Vec<u8>) -> HttpResponse {
    if body.len() < 2 {
        body = b"kroki-standin: this body is cut in the middle".to_vec();
    }
    let total = body.len() as u64;
    let half = Bytes::from(body).slice(..usize::try_from(total / 2).unwrap_or(0));
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                1 => {
                    // Give the dispatcher time to flush the first half before failing.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "kroki-standin: reset mid-body fault",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .no_chunking(total)
        .streaming(stream)
}

const FILLER: &[u8] = b"kroki-standin oversized body filler\n";
const CHUNK: usize = 64 * 1024;

/// 200 with `size` bytes: `prefix` (truncated to `size`) then filler, streamed in 64 KiB chunks,
/// announced with `Content-Length` unless `chunked`.
pub fn oversized(content_type: &str, prefix: Vec<u8>, size: usize, chunked: bool) -> HttpResponse {
    let prefix = Bytes::from(prefix);
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let prefix = prefix.clone();
        async move {
            if sent >= size {
                return None;
            }
            let len = CHUNK.min(size - sent);
            let mut chunk = Vec::with_capacity(len);
            let mut pos = sent;
            while chunk.len() < len {
                if pos < prefix.len() {
                    let take = (prefix.len() - pos).min(len - chunk.len());
                    chunk.extend_from_slice(&prefix[pos..pos + take]);
                    pos += take;
                } else {
                    let offset = (pos - prefix.len()) % FILLER.len();
                    let take = (FILLER.len() - offset).min(len - chunk.len());
                    chunk.extend_from_slice(&FILLER[offset..offset + take]);
                    pos += take;
                }
            }
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), sent + len))
        }
    });
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, content_type.to_owned()));
    if !chunked {
        response.no_chunking(size as u64);
    }
    response.streaming(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_json_round_trips() {
        for fault in [
            Fault::None,
            Fault::Hang,
            Fault::Slow(Duration::from_millis(250)),
            Fault::Status(503),
            Fault::RenderStatus(500),
            Fault::ResetMidBody,
            Fault::OversizedBody(1 << 20),
            Fault::OversizedChunked(1 << 20),
        ] {
            assert_eq!(Fault::from_control(&fault.to_control()), Ok(fault));
        }
    }

    #[test]
    fn control_json_errors() {
        assert!(Fault::from_control(&json!({})).is_err());
        assert!(Fault::from_control(&json!({"fault": "explode"})).is_err());
        assert!(Fault::from_control(&json!({"fault": "slow"})).is_err());
        assert!(Fault::from_control(&json!({"fault": "status", "status": 70000})).is_err());
        assert!(Fault::from_control(&json!({"fault": "render_status"})).is_err());
        assert!(Fault::from_control(&json!({"fault": "oversized", "bytes": -1})).is_err());
        assert!(
            Fault::from_control(&json!({"fault": "oversized", "bytes": 1, "chunked": 1})).is_err()
        );
    }
}
