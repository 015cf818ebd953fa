//! `/health`: probes Kroki and each expected companion and gives a verdict, healthy, degraded or
//! unhealthy, with response times. Kroki's own `/health` always says "pass" (it is static: it
//! neither renders nor checks a companion), so Kroki is probed by asking its `/health` (for its
//! version map) *and* rendering a tiny Graphviz diagram (drawn inside Kroki), and each companion
//! by rendering a tiny diagram of its type through Kroki.
//!
//! One round of probes is shared for `HEALTH_CACHE_TTL`, and concurrent callers wait for the
//! same round, so a flood of health requests never becomes a flood of renders.

mod probes;

use crate::config::Config;
use crate::domain::Companion;
use crate::kroki::KrokiClient;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Mutex;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
        }
    }
}

/// One check. `status`, `response_time_ms` and `message` are always present; `response_time_ms`
/// is `null` when nothing was timed (the `service` check, and companions not probed because
/// Kroki is down). `url` and `version` are given for `kroki` (and `version` for `service`),
/// `diagram_types` for companions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    pub status: Status,
    /// Milliseconds the probe took; `null` when nothing was probed.
    #[schema(required = true)]
    pub response_time_ms: Option<u64>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagram_types: Option<Vec<&'static str>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthReport {
    pub service: &'static str,
    pub version: &'static str,
    /// When the probes ran (RFC 3339, UTC).
    pub timestamp: String,
    pub status: Status,
    pub checks: BTreeMap<String, Check>,
    /// Kroki's version map (the `version` object of its `/health`, keys as Kroki sent them),
    /// from this round or, when Kroki did not answer, the last round it did; relayed by the
    /// `application/health+json` answer.
    #[serde(skip)]
    pub kroki_versions: Option<Arc<serde_json::Map<String, serde_json::Value>>>,
}

impl HealthReport {
    /// Whether Kroki itself answers and renders (a companion down or slowness does not count).
    pub fn kroki_passes(&self) -> bool {
        self.checks
            .get("kroki")
            .is_some_and(|check| check.status != Status::Unhealthy)
    }
}

pub struct HealthChecker {
    kroki: KrokiClient,
    companions: Vec<Companion>,
    ttl: Duration,
    slow: Duration,
    probe_timeout: Duration,
    started: Instant,
    latest: Mutex<Option<(Instant, Arc<HealthReport>)>>,
    /// The Redis tier, when configured: the `cache` check.
    cache: Option<crate::cache::tier2::RedisTier>,
}

impl HealthChecker {
    pub fn new(config: &Config, kroki: KrokiClient) -> HealthChecker {
        HealthChecker {
            kroki,
            companions: config.companions.iter().copied().collect(),
            ttl: config.health_cache_ttl,
            slow: config.health_slow_threshold,
            probe_timeout: config.health_probe_timeout,
            started: Instant::now(),
            latest: Mutex::new(None),
            cache: None,
        }
    }

    /// Adds the `cache` check (degraded, never unhealthy, while Redis is unreachable).
    pub fn with_cache(mut self, cache: Option<crate::cache::tier2::RedisTier>) -> HealthChecker {
        self.cache = cache;
        self
    }

    /// The latest verdict, probing again when the shared one is older than the TTL.
    pub async fn report(&self) -> Arc<HealthReport> {
        let mut latest = self.latest.lock().await;
        if let Some((at, report)) = latest.as_ref() {
            if at.elapsed() < self.ttl {
                return Arc::clone(report);
            }
        }
        let previous_versions = latest
            .as_ref()
            .and_then(|(_, report)| report.kroki_versions.clone());
        let report = Arc::new(self.probe(previous_versions).await);
        *latest = Some((Instant::now(), Arc::clone(&report)));
        report
    }

    /// The last verdict without probing (none before the first `/health` request).
    pub fn latest(&self) -> Option<Arc<HealthReport>> {
        self.latest
            .try_lock()
            .ok()
            .and_then(|latest| latest.as_ref().map(|(_, report)| Arc::clone(report)))
    }

    async fn probe(
        &self,
        previous_versions: Option<Arc<serde_json::Map<String, serde_json::Value>>>,
    ) -> HealthReport {
        let mut checks = BTreeMap::new();
        checks.insert(
            "service".to_owned(),
            Check {
                status: Status::Healthy,
                response_time_ms: None,
                message: format!("up for {} s", self.started.elapsed().as_secs()),
                url: None,
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                diagram_types: None,
            },
        );
        let (kroki, versions) = probes::kroki(&self.kroki, self.probe_timeout, self.slow).await;
        let kroki_versions = versions.map(Arc::new).or(previous_versions);
        let kroki_up = kroki.status != Status::Unhealthy;
        checks.insert("kroki".to_owned(), kroki);
        let companion_checks =
            futures_util::future::join_all(self.companions.iter().map(|companion| async {
                let check = if kroki_up {
                    probes::companion(&self.kroki, *companion, self.probe_timeout, self.slow).await
                } else {
                    probes::not_probed(*companion)
                };
                (companion.name().to_owned(), check)
            }))
            .await;
        let companions_worst = companion_checks
            .iter()
            .map(|(_, check)| check.status)
            .max()
            .unwrap_or(Status::Healthy);
        checks.extend(companion_checks);
        let mut status = verdict(
            checks.get("kroki").map_or(Status::Unhealthy, |c| c.status),
            companions_worst,
        );
        if let Some(cache) = self
            .cache
            .as_ref()
            .map(crate::cache::tier2::RedisTier::check)
        {
            status = status.max(cache.status.min(Status::Degraded));
            checks.insert("cache".to_owned(), cache);
        }
        HealthReport {
            service: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            status,
            checks,
            kroki_versions,
        }
    }
}

/// Kroki down makes the app unhealthy; a companion down or anything slow only degrades it,
/// since every other diagram type still renders.
fn verdict(kroki: Status, companions_worst: Status) -> Status {
    match (kroki, companions_worst) {
        (Status::Unhealthy, _) => Status::Unhealthy,
        (Status::Healthy, Status::Healthy) => Status::Healthy,
        _ => Status::Degraded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_rules() {
        use Status::*;
        assert_eq!(verdict(Healthy, Healthy), Healthy);
        assert_eq!(verdict(Healthy, Unhealthy), Degraded);
        assert_eq!(verdict(Degraded, Healthy), Degraded);
        assert_eq!(verdict(Unhealthy, Healthy), Unhealthy);
        assert_eq!(verdict(Unhealthy, Unhealthy), Unhealthy);
    }
}
