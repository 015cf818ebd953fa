//! Request ids: taken from `X-Request-Id` when the caller sent a sane one, generated otherwise;
//! returned in the response, written on the request's log line and forwarded to Kroki.
//! The id lives in a task-local for the request's duration, so the Kroki client can read it
//! without every function in between passing it along.

use actix_web::http::header::HeaderMap;
use std::future::Future;
use std::sync::Arc;

pub const HEADER: &str = "x-request-id";
const MAX_LEN: usize = 128;

/// A request id, shared (a clone is a reference count): every request has one, and it is read
/// by its log line, its response header and the Kroki client.
pub type RequestId = Arc<str>;

tokio::task_local! {
    static REQUEST_ID: RequestId;
}

/// The caller's id if it is short, visible ASCII; otherwise a new random one.
pub fn from_headers(headers: &HeaderMap) -> RequestId {
    let sent = headers
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_graphic())
        });
    match sent {
        Some(id) => Arc::from(id),
        None => {
            let mut text = [0u8; uuid::fmt::Simple::LENGTH];
            Arc::from(&*uuid::Uuid::new_v4().simple().encode_lower(&mut text))
        }
    }
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: RequestId, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The id of the request being served, if any.
pub fn current() -> Option<RequestId> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static(HEADER),
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        assert_eq!(&*from_headers(&with("abc-123")), "abc-123");
        let generated = from_headers(&HeaderMap::new());
        assert_eq!(generated.len(), 32);
        assert_ne!(&*from_headers(&with("has space")), "has space");
        assert_ne!(from_headers(&with(&"x".repeat(129))).len(), 129);
    }

    #[tokio::test]
    async fn is_visible_inside_its_scope_only() {
        assert_eq!(current(), None);
        let inside = scope("r1".into(), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("r1"));
    }
}
