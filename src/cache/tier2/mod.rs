//! The second tier of the render cache: Redis (or Valkey), shared by every replica and kept
//! across restarts. Off unless `CACHE_REDIS_URL` is set.
//!
//! Redis is never a reason to fail a request. Every call has its own deadline
//! (`CACHE_REDIS_TIMEOUT`; slower counts as a miss), and the caller renders through Kroki when a
//! call fails. After [`FAILURES_TO_BACK_OFF`] failures in a row the tier is marked down and not
//! called at all; a background task pings Redis with a growing back-off (from
//! [`FIRST_BACK_OFF`], doubling, to [`MAX_BACK_OFF`]) and marks it up again on the first
//! answer, so no request pays a timeout while Redis is away. The connection itself is redis-rs's
//! `ConnectionManager`, which reconnects by itself.
//!
//! Keys: `{prefix}r:{key}` holds a render (the [`codec`] layout) with the TTL
//! `CACHE_REDIS_TTL`; `{prefix}l:{key}` is the short lock of the cluster-wide single flight
//! (`SET NX PX`, the render timeout). Values from Redis that do not decode are misses.

pub mod codec;

use super::{CacheKey, CachedRender, Coding, Variants};
use crate::health::{Check, Status};
use crate::metrics::Metrics;
use actix_web::web::Bytes;
use codec::{StoredRender, IDENTITY};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisError};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Consecutive failed calls that make the tier skip Redis for a back-off period.
pub const FAILURES_TO_BACK_OFF: u32 = 3;
/// The first back-off; each failed ping doubles it.
pub const FIRST_BACK_OFF: Duration = Duration::from_millis(500);
pub const MAX_BACK_OFF: Duration = Duration::from_secs(10);

/// Compare-and-delete: a holder releases its lock only if it is still its own.
const UNLOCK: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// The tier's settings.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    pub ttl: Duration,
    pub max_entry: usize,
    pub timeout: Duration,
    pub prefix: String,
    /// How long a single-flight lock lives if its holder dies: the render timeout.
    pub lock_ttl: Duration,
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Hit(CachedRender),
    Miss,
    /// Redis did not answer in time, or is backed off: do not call it again for this request.
    Unavailable,
}

/// Whether a write may create the key or only replace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Always,
    /// Only over a value Redis holds already (`SET … XX`).
    IfPresent,
}

/// The outcome of asking for the single-flight lock.
#[derive(Debug)]
pub enum Lock {
    /// This caller renders; it releases the lock with its token after storing the render.
    Acquired(String),
    /// Another replica renders.
    Held,
    Unavailable,
}

/// A shared, cheap-to-clone handle on the tier.
#[derive(Clone)]
pub struct RedisTier(Arc<Inner>);

struct Inner {
    settings: RedisSettings,
    /// Redacted (no password), for /health and logs.
    display_url: String,
    connection: ConnectionManager,
    runtime: tokio::runtime::Handle,
    up: AtomicBool,
    failures: AtomicU32,
    recovering: AtomicBool,
    last_error: Mutex<Option<String>>,
    metrics: Arc<Metrics>,
}

#[derive(Debug, thiserror::Error)]
pub enum TierError {
    #[error("CACHE_REDIS_URL: {0}")]
    Url(RedisError),
    #[error("the Redis tier must be started inside the async runtime")]
    NoRuntime,
}

/// Checks a `CACHE_REDIS_URL` (scheme, host, database) without connecting.
pub fn validate_url(url: &str) -> Result<(), String> {
    redis::Client::open(url)
        .map(|_| ())
        .map_err(|error| format!("not a Redis URL (redis:// or rediss://): {error}"))
}

impl RedisTier {
    /// Creates the tier and starts connecting in the background; never waits for Redis.
    pub fn start(settings: RedisSettings, metrics: Arc<Metrics>) -> Result<RedisTier, TierError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| TierError::NoRuntime)?;
        let client = redis::Client::open(settings.url.as_str()).map_err(TierError::Url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout.max(Duration::from_secs(1))))
            .set_response_timeout(None)
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let connection = {
            let _entered = runtime.enter();
            ConnectionManager::new_lazy_with_config(client, config).map_err(TierError::Url)?
        };
        let display_url = redact(&settings.url);
        let tier = RedisTier(Arc::new(Inner {
            settings,
            display_url,
            connection,
            runtime,
            up: AtomicBool::new(true),
            failures: AtomicU32::new(0),
            recovering: AtomicBool::new(false),
            last_error: Mutex::new(None),
            metrics,
        }));
        // Connects now, so the first request finds a connection; a failure marks the tier down.
        let first = tier.clone();
        tier.0.runtime.spawn(async move {
            if let Err(error) = first.ping().await {
                first.mark_down(&error);
            }
        });
        Ok(tier)
    }

    pub fn settings(&self) -> &RedisSettings {
        &self.0.settings
    }

    /// True while Redis is in use (not backed off).
    pub fn is_up(&self) -> bool {
        self.0.up.load(Ordering::Acquire)
    }

    fn render_key(&self, key: &CacheKey) -> String {
        format!("{}r:{}", self.0.settings.prefix, key.hex())
    }

    fn lock_key(&self, key: &CacheKey) -> String {
        format!("{}l:{}", self.0.settings.prefix, key.hex())
    }

    /// The render stored under `key`.
    pub async fn get(&self, key: &CacheKey) -> Lookup {
        let name = self.render_key(key);
        let result = self
            .call("get", |mut connection| async move {
                connection.get::<_, Option<Vec<u8>>>(name).await
            })
            .await;
        match result {
            Some(Ok(Some(value))) => self.found(value),
            Some(Ok(None)) => {
                self.0.metrics.count_tier2_miss();
                Lookup::Miss
            }
            // The server answered with an error (a key of another type, say): a miss.
            Some(Err(())) => {
                self.0.metrics.count_tier2_miss();
                Lookup::Miss
            }
            None => Lookup::Unavailable,
        }
    }

    /// The render under `key`, and whether its single-flight lock is still held, in one round
    /// trip (for a caller waiting on another replica's render). `None`: Redis unavailable.
    pub async fn peek(&self, key: &CacheKey) -> Option<(Option<CachedRender>, bool)> {
        let (name, lock) = (self.render_key(key), self.lock_key(key));
        let result = self
            .call("get", |mut connection| async move {
                redis::pipe()
                    .get(name)
                    .exists(lock)
                    .query_async::<(Option<Vec<u8>>, bool)>(&mut connection)
                    .await
            })
            .await?;
        let (value, locked) = result.ok()?;
        let render = value.and_then(|value| match self.found(value) {
            Lookup::Hit(render) => Some(render),
            _ => None,
        });
        Some((render, locked))
    }

    fn found(&self, value: Vec<u8>) -> Lookup {
        match codec::decode(&Bytes::from(value)) {
            Some(stored) => {
                let Some(identity) = stored.identity().cloned() else {
                    self.0.metrics.count_tier2_miss();
                    return Lookup::Miss;
                };
                self.0.metrics.count_tier2_hit();
                // Variants compressed by whichever replica stored them come back with the
                // render, so no replica compresses it again.
                let encoded = stored
                    .parts
                    .iter()
                    .filter_map(|(token, bytes)| Some((Coding::from_token(token)?, bytes)))
                    .filter(|(coding, _)| *coding != Coding::Identity)
                    .fold(Variants::none(), |variants, (coding, bytes)| {
                        variants.with(coding, bytes.clone())
                    });
                Lookup::Hit(CachedRender::with_variants(
                    stored.content_type,
                    identity,
                    encoded,
                ))
            }
            None => {
                tracing::debug!("a value in Redis does not decode; treated as a miss");
                self.0.metrics.count_tier2_miss();
                Lookup::Miss
            }
        }
    }

    /// The stored value of `render`, identity and variants; `None` above `CACHE_REDIS_MAX_ENTRY`.
    fn value_of(&self, render: &CachedRender) -> Option<Vec<u8>> {
        let parts = std::iter::once((IDENTITY, render.identity.clone()))
            .chain(
                render
                    .encoded
                    .iter()
                    .map(|(coding, bytes)| (coding.token(), bytes.clone())),
            )
            .collect();
        let stored = StoredRender {
            content_type: render.content_type,
            parts,
        };
        codec::encode(&stored).filter(|value| value.len() <= self.0.settings.max_entry)
    }

    /// Replaces the stored value of `key` with `render` once its variants exist, in the
    /// background, only where Redis holds that key already (`SET … XX`): a render this replica
    /// did not share through Redis (a version not known yet) is never written here.
    pub fn store_variants(&self, key: CacheKey, render: &CachedRender) {
        let Some(value) = self.value_of(render) else {
            return;
        };
        let tier = self.clone();
        self.0
            .runtime
            .spawn(async move { tier.write(&key, value, Write::IfPresent).await });
    }

    /// `SET` of a render's value with the tier's TTL (`XX` for [`Write::IfPresent`]), counting
    /// the bytes written when Redis took it.
    async fn write(&self, key: &CacheKey, value: Vec<u8>, mode: Write) {
        let name = self.render_key(key);
        let ttl = u64::try_from(self.0.settings.ttl.as_millis()).unwrap_or(u64::MAX);
        let written = value.len() as u64;
        let stored = self
            .call("set", |mut connection| async move {
                let mut command = redis::cmd("SET");
                command.arg(name).arg(value).arg("PX").arg(ttl);
                if mode == Write::IfPresent {
                    command.arg("XX");
                }
                command.query_async::<Option<String>>(&mut connection).await
            })
            .await;
        if matches!(stored, Some(Ok(Some(_)))) {
            self.0.metrics.count_tier2_written(written);
        }
    }

    /// Asks for the single-flight lock of `key`.
    pub async fn lock(&self, key: &CacheKey) -> Lock {
        let name = self.lock_key(key);
        let token = uuid::Uuid::new_v4().to_string();
        let ttl = u64::try_from(self.0.settings.lock_ttl.as_millis()).unwrap_or(u64::MAX);
        let value = token.clone();
        let result = self
            .call("lock", |mut connection| async move {
                redis::cmd("SET")
                    .arg(name)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async::<Option<String>>(&mut connection)
                    .await
            })
            .await;
        match result {
            Some(Ok(Some(_))) => Lock::Acquired(token),
            Some(Ok(None)) => Lock::Held,
            Some(Err(())) | None => Lock::Unavailable,
        }
    }

    /// Stores a render (unless larger than `CACHE_REDIS_MAX_ENTRY`) and then releases the lock
    /// `token` holds, in the background: the caller never waits for it.
    pub fn store(&self, key: CacheKey, render: &CachedRender, token: Option<String>) {
        let value = self.value_of(render);
        if value.is_none() && token.is_none() {
            return;
        }
        let tier = self.clone();
        self.0.runtime.spawn(async move {
            if let Some(value) = value {
                tier.write(&key, value, Write::Always).await;
            }
            if let Some(token) = token {
                tier.unlock(&key, token).await;
            }
        });
    }

    /// Releases a lock this caller holds (after a failed render: the waiters render themselves).
    pub fn release(&self, key: CacheKey, token: String) {
        let tier = self.clone();
        self.0
            .runtime
            .spawn(async move { tier.unlock(&key, token).await });
    }

    async fn unlock(&self, key: &CacheKey, token: String) {
        let name = self.lock_key(key);
        let _ = self
            .call("lock", |mut connection| async move {
                redis::cmd("EVAL")
                    .arg(UNLOCK)
                    .arg(1)
                    .arg(name)
                    .arg(token)
                    .query_async::<i64>(&mut connection)
                    .await
            })
            .await;
    }

    /// Runs one call with the tier's deadline. `None` when the tier is down or the call failed
    /// to reach Redis (counted toward the back-off); `Some(Err)` when Redis answered an error.
    async fn call<T, F, Fut>(&self, operation: &'static str, call: F) -> Option<Result<T, ()>>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        if !self.is_up() {
            return None;
        }
        let started = Instant::now();
        let result =
            tokio::time::timeout(self.0.settings.timeout, call(self.0.connection.clone())).await;
        self.0
            .metrics
            .observe_tier2_call(operation, started.elapsed());
        match result {
            Ok(Ok(value)) => {
                self.0.failures.store(0, Ordering::Relaxed);
                Some(Ok(value))
            }
            Ok(Err(error)) if answered(&error) => {
                self.0.metrics.count_tier2_error(operation);
                tracing::debug!(operation, %error, "Redis refused a call");
                Some(Err(()))
            }
            Ok(Err(error)) => {
                self.0.metrics.count_tier2_error(operation);
                self.failed(error.to_string());
                None
            }
            Err(_) => {
                self.0.metrics.count_tier2_error(operation);
                self.failed(format!(
                    "no answer within {} ms",
                    self.0.settings.timeout.as_millis()
                ));
                None
            }
        }
    }

    fn failed(&self, error: String) {
        let failures = self.0.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if failures >= FAILURES_TO_BACK_OFF {
            self.mark_down(&error);
        } else {
            self.remember_error(error);
        }
    }

    fn remember_error(&self, error: String) {
        *self
            .0
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }

    /// Stops calling Redis, and pings it in the background until it answers.
    fn mark_down(&self, error: &str) {
        self.remember_error(error.to_owned());
        if self.0.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(redis = %self.0.display_url, error, "Redis tier unavailable; skipped until it answers again");
        }
        if self.0.recovering.swap(true, Ordering::AcqRel) {
            return;
        }
        let tier = self.clone();
        self.0.runtime.spawn(async move {
            let mut back_off = FIRST_BACK_OFF;
            loop {
                tokio::time::sleep(back_off).await;
                match tier.ping().await {
                    Ok(()) => break,
                    Err(error) => {
                        tier.remember_error(error);
                        back_off = (back_off * 2).min(MAX_BACK_OFF);
                    }
                }
            }
            tier.0.failures.store(0, Ordering::Relaxed);
            tier.0.recovering.store(false, Ordering::Release);
            if !tier.0.up.swap(true, Ordering::AcqRel) {
                tracing::info!(redis = %tier.0.display_url, "Redis tier available again");
            }
        });
    }

    /// PINGs Redis. A failed call makes the connection manager start a new connection, which
    /// only the next call sees: so a refused PING is tried once more at once, or a Redis back
    /// since the last back-off would be noticed only one back-off later.
    async fn ping(&self) -> Result<(), String> {
        let timeout = self.0.settings.timeout.max(Duration::from_secs(1));
        let mut outcome = Ok(());
        for _ in 0..2 {
            let mut connection = self.0.connection.clone();
            let answer = tokio::time::timeout(
                timeout,
                redis::cmd("PING").query_async::<String>(&mut connection),
            )
            .await;
            outcome = match answer {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(error)) => Err(error.to_string()),
                Err(_) => Err(format!(
                    "no answer to PING within {} ms",
                    timeout.as_millis()
                )),
            };
        }
        outcome
    }

    /// The `/health` check: degraded (never unhealthy) while Redis is backed off.
    pub fn check(&self) -> Check {
        let up = self.is_up();
        let last_error = self
            .0
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Check {
            status: if up {
                Status::Healthy
            } else {
                Status::Degraded
            },
            response_time_ms: None,
            message: if up {
                "Redis tier in use".to_owned()
            } else {
                format!(
                    "Redis tier unreachable, renders served from memory and Kroki: {}",
                    last_error.as_deref().unwrap_or("unknown error")
                )
            },
            url: Some(self.0.display_url.clone()),
            version: None,
            diagram_types: None,
        }
    }
}

/// True when Redis itself answered with an error (so the connection works).
fn answered(error: &RedisError) -> bool {
    !(error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error())
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        assert!(validate_url("redis://127.0.0.1:6379/0").is_ok());
        assert!(validate_url("rediss://user:secret@redis.internal:6380/2").is_ok());
        assert!(validate_url("http://127.0.0.1:6379").is_err());
        assert!(validate_url("not a url").is_err());
        assert_eq!(
            redact("redis://user:secret@redis.internal:6379/1"),
            "redis://user:***@redis.internal:6379/1"
        );
        assert_eq!(redact("redis://redis:6379"), "redis://redis:6379");
    }
}
