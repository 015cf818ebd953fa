//! State shared by the server workers and the [`StandIn`](crate::StandIn) handle: the current
//! fault, the companions marked down, and the recorded requests.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::faults::Fault;

/// How many requests are kept.
pub const RECORD_CAPACITY: usize = 1000;

/// One request received on a Kroki route.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path only, as received (not percent-decoded).
    pub path: String,
    /// The raw query string, without `?` (empty if none).
    pub query: String,
    /// Headers (repeated ones in received order, otherwise in no particular order), names
    /// lowercased, values as (lossy) text.
    pub headers: Vec<(String, String)>,
    /// The body as received (empty when it was refused before reading).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header, name matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The JSON form used by `GET /_standin/requests`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
            "body": self.body_text(),
        })
    }
}

/// Limits and delays fixed at start.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Longest accepted request line.
    pub max_uri_length: usize,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Added before every render.
    pub latency: Duration,
}

/// Mutable state behind the server.
#[derive(Debug)]
pub struct Shared {
    /// Limits and delays.
    pub settings: Settings,
    fault: Mutex<Fault>,
    down: Mutex<BTreeSet<String>>,
    requests: Mutex<VecDeque<RecordedRequest>>,
    count: AtomicU64,
    versions: Mutex<BTreeMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Fresh state.
    pub fn new(settings: Settings) -> Shared {
        Shared {
            settings,
            fault: Mutex::new(Fault::None),
            down: Mutex::new(BTreeSet::new()),
            requests: Mutex::new(VecDeque::with_capacity(64)),
            count: AtomicU64::new(0),
            versions: Mutex::new(BTreeMap::new()),
        }
    }

    /// Versions `/health` reports instead of the catalog's (`kroki` for Kroki's number).
    pub fn versions(&self) -> BTreeMap<String, String> {
        lock(&self.versions).clone()
    }

    /// Makes `/health` report `version` for `name` (a type, or `kroki`).
    pub fn set_version(&self, name: &str, version: &str) {
        lock(&self.versions).insert(name.to_owned(), version.to_owned());
    }

    /// The current fault.
    pub fn fault(&self) -> Fault {
        lock(&self.fault).clone()
    }

    /// Replaces the fault.
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.fault) = fault;
    }

    /// Marks a companion down or up.
    pub fn set_down(&self, companion: &str, down: bool) {
        let mut set = lock(&self.down);
        if down {
            set.insert(companion.to_owned());
        } else {
            set.remove(companion);
        }
    }

    /// Whether a companion is down.
    pub fn is_down(&self, companion: &str) -> bool {
        lock(&self.down).contains(companion)
    }

    /// Companions marked down.
    pub fn down_companions(&self) -> Vec<String> {
        lock(&self.down).iter().cloned().collect()
    }

    /// Counts a request on a Kroki route.
    pub fn count_request(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// Total requests counted.
    pub fn request_count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Records a request (keeping the last [`RECORD_CAPACITY`]).
    pub fn record(&self, request: RecordedRequest) {
        let mut requests = lock(&self.requests);
        while requests.len() >= RECORD_CAPACITY {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    /// Recorded requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).iter().cloned().collect()
    }

    /// Forgets the recorded requests (the counter is kept).
    pub fn clear_requests(&self) {
        lock(&self.requests).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_buffer_keeps_the_last_thousand() {
        let shared = Shared::new(Settings {
            max_uri_length: 4096,
            body_limit: 1024,
            latency: Duration::ZERO,
        });
        for i in 0..1005 {
            shared.record(RecordedRequest {
                method: "GET".into(),
                path: format!("/{i}"),
                query: String::new(),
                headers: vec![("x-a".into(), "1".into())],
                body: b"{\"a\":1}".to_vec(),
            });
        }
        let requests = shared.requests();
        assert_eq!(requests.len(), RECORD_CAPACITY);
        assert_eq!(requests[0].path, "/5");
        assert_eq!(requests[999].path, "/1004");
        assert_eq!(requests[0].header("X-A"), Some("1"));
        assert_eq!(requests[0].json(), Some(serde_json::json!({"a": 1})));
        assert_eq!(requests[0].body_text(), "{\"a\":1}");
        shared.clear_requests();
        assert!(shared.requests().is_empty());
    }
}
