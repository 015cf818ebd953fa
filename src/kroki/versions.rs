//! Which version of Kroki (and of each engine) renders a diagram type, for version-aware cache
//! keys and ETags: a Kroki upgrade must never let a cache serve what the old version drew.
//!
//! Kroki's `/health` answers a `version` object with one entry per diagram type
//! (`"graphviz":"14.1.3"`) and `kroki.number`. A type's version is its engine's where Kroki
//! reports one, else Kroki's number, so an upgrade that leaves Graphviz alone keeps its Graphviz
//! renders. `KROKI_VERSION` overrides the probe for every type.
//!
//! The store is updated by every call of [`super::KrokiClient::info`]: the `/health` probes, and,
//! when the Redis tier is configured, a background refresh at start-up and every
//! [`REFRESH_INTERVAL`] (a persistent, shared cache must notice an upgrade even when nobody
//! calls `/health`), plus a bounded one before the first render if the start-up one has not
//! answered yet. Kroki's `/health` is a static answer, so a refresh costs Kroki nothing. Without
//! Redis the memory tier lives as long as the process, and the versions come from the `/health`
//! probes alone (no request to Kroki that nobody asked for).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the background refresh asks Kroki's `/health` (with the Redis tier on).
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// The version while none is known (a stable value, so ETags agree between processes).
pub const UNKNOWN: &str = "unknown";

/// Kroki's own entry in the `version` map.
const KROKI: &str = "kroki";

#[derive(Debug, Default)]
struct Known {
    /// `kroki.number`.
    kroki: Option<String>,
    /// Engine versions by URL name (aliases included, as Kroki lists them).
    engines: HashMap<String, String>,
}

#[derive(Debug)]
struct Inner {
    overridden: Option<String>,
    known: RwLock<Known>,
    /// Bumped whenever any version changes, so memoised keys (the URL index) can be dropped.
    generation: AtomicU64,
    /// Serialises refreshes.
    refreshing: tokio::sync::Mutex<Option<std::time::Instant>>,
}

/// The versions Kroki reported; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct KrokiVersions(Arc<Inner>);

impl KrokiVersions {
    /// `overridden`: the `KROKI_VERSION` setting, which wins over anything Kroki reports.
    pub fn new(overridden: Option<String>) -> KrokiVersions {
        KrokiVersions(Arc::new(Inner {
            // Tagged, so a pinned version never equals a probed one by accident.
            overridden: overridden.map(|version| format!("set@{version}")),
            known: RwLock::new(Known::default()),
            generation: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(None),
        }))
    }

    /// Calls `with` with the version that renders `diagram_type` (its canonical URL name):
    /// `set@…` (`KROKI_VERSION`), `engine@…` or `kroki@…`, or [`UNKNOWN`] while Kroki has not
    /// told. Keys made with [`UNKNOWN`] are never shared through Redis (the renderer checks).
    pub fn with_version<T>(&self, diagram_type: &str, with: impl FnOnce(&str) -> T) -> T {
        if let Some(version) = &self.0.overridden {
            return with(version);
        }
        let known = self
            .0
            .known
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(engine) = known.engines.get(diagram_type) {
            let tagged = format!("engine@{engine}");
            return with(&tagged);
        }
        match &known.kroki {
            Some(number) => {
                let tagged = format!("kroki@{number}");
                with(&tagged)
            }
            None => with(UNKNOWN),
        }
    }

    /// The version for `diagram_type`, owned (see [`Self::with_version`]); `None` if unknown.
    pub fn version_of(&self, diagram_type: &str) -> Option<String> {
        self.with_version(diagram_type, |version| {
            (version != UNKNOWN).then(|| version.to_owned())
        })
    }

    /// True when a version is known for every type (overridden, or Kroki's number reported).
    pub fn is_known(&self) -> bool {
        self.0.overridden.is_some()
            || self
                .0
                .known
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .kroki
                .is_some()
    }

    /// Changes on every version change.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// Takes in the raw `version` object of a Kroki `/health` answer.
    pub fn update(&self, versions: &serde_json::Map<String, serde_json::Value>) {
        let mut next = Known::default();
        for (name, value) in versions {
            if name == KROKI {
                next.kroki = value
                    .get("number")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
            } else if let Some(version) = value.as_str() {
                // Kroki says "undefined" for an engine it cannot name (goat): no engine version.
                if !version.is_empty() && version != "undefined" {
                    next.engines.insert(name.clone(), version.to_owned());
                }
            }
        }
        let mut known = self
            .0
            .known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.kroki != next.kroki || known.engines != next.engines {
            if known.kroki.is_some() {
                tracing::info!(
                    from = known.kroki.as_deref().unwrap_or("?"),
                    to = next.kroki.as_deref().unwrap_or("?"),
                    "Kroki's reported versions changed; renders of changed engines get new cache keys"
                );
            }
            *known = next;
            self.0.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Asks Kroki's `/health` unless another caller did within `min_gap` (callers queue behind a
    /// refresh under way rather than sending their own).
    pub async fn refresh(&self, client: &super::KrokiClient, timeout: Duration, min_gap: Duration) {
        let mut last = self.0.refreshing.lock().await;
        if last.is_some_and(|at| at.elapsed() < min_gap) {
            return;
        }
        *last = Some(std::time::Instant::now());
        if let Err(error) = client.info(timeout).await {
            tracing::debug!(%error, "cannot read Kroki's versions");
        }
    }

    /// Keeps the store fresh: now, then every [`REFRESH_INTERVAL`], for as long as the runtime
    /// runs. Does nothing outside a Tokio runtime or with `KROKI_VERSION` set.
    pub fn spawn_refresh(&self, client: super::KrokiClient) {
        if self.0.overridden.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let versions = self.clone();
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(REFRESH_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                versions
                    .refresh(&client, Duration::from_secs(5), Duration::from_secs(1))
                    .await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(json: &str) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(json)
            .unwrap()
            .get("version")
            .and_then(serde_json::Value::as_object)
            .cloned()
            .unwrap()
    }

    #[test]
    fn engine_version_else_krokis_number() {
        let versions = KrokiVersions::new(None);
        assert_eq!(versions.version_of("graphviz"), None);
        assert!(!versions.is_known());
        // Stable while unknown, so ETags agree between processes.
        assert_eq!(versions.with_version("graphviz", str::to_owned), UNKNOWN);
        versions.update(&health(
            r#"{"version":{"kroki":{"number":"0.32.1","build_hash":"x"},"graphviz":"14.1.3","goat":"undefined"}}"#,
        ));
        assert!(versions.is_known());
        assert_eq!(
            versions.version_of("graphviz").as_deref(),
            Some("engine@14.1.3")
        );
        assert_eq!(versions.version_of("goat").as_deref(), Some("kroki@0.32.1"));
        assert_eq!(
            versions.version_of("nomnoml").as_deref(),
            Some("kroki@0.32.1")
        );
    }

    #[test]
    fn a_kroki_upgrade_that_keeps_graphviz_keeps_its_version() {
        let versions = KrokiVersions::new(None);
        versions.update(&health(
            r#"{"version":{"kroki":{"number":"0.32.1"},"graphviz":"14.1.3","mermaid":"11.16.0"}}"#,
        ));
        let generation = versions.generation();
        versions.update(&health(
            r#"{"version":{"kroki":{"number":"0.33.0"},"graphviz":"14.1.3","mermaid":"11.17.0"}}"#,
        ));
        assert_ne!(versions.generation(), generation);
        assert_eq!(
            versions.version_of("graphviz").as_deref(),
            Some("engine@14.1.3")
        );
        assert_eq!(
            versions.version_of("mermaid").as_deref(),
            Some("engine@11.17.0")
        );
        // The same answer again changes nothing.
        let generation = versions.generation();
        versions.update(&health(
            r#"{"version":{"kroki":{"number":"0.33.0"},"graphviz":"14.1.3","mermaid":"11.17.0"}}"#,
        ));
        assert_eq!(versions.generation(), generation);
    }

    #[test]
    fn the_setting_overrides_the_probe() {
        let versions = KrokiVersions::new(Some("pinned-1".into()));
        assert!(versions.is_known());
        versions.update(&health(
            r#"{"version":{"kroki":{"number":"0.32.1"},"graphviz":"14"}}"#,
        ));
        assert_eq!(
            versions.version_of("graphviz").as_deref(),
            Some("set@pinned-1")
        );
    }
}
