//! Settings, read once at start-up from environment variables with documented defaults
//! (the README's configuration table lists the same names). A bad value stops start-up with a
//! message that names the variable.

use crate::domain::Companion;
use crate::rate_limit::{parse_trusted_proxies, RateLimitSetting};
use ipnet::IpNet;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone)]
pub struct Config {
    /// `LISTEN_HOST`: the address to bind.
    pub host: IpAddr,
    /// `PORT`: the port to bind (0 picks a free one, as tests do).
    pub port: u16,
    /// `KROKI_URL`: the Kroki server this app fronts.
    pub kroki_url: reqwest::Url,
    /// `KROKI_TIMEOUT`: the longest wait for one Kroki render, above Kroki's own 30 s companion timeout.
    pub kroki_timeout: Duration,
    /// `KROKI_CONNECT_TIMEOUT`: the longest wait for a connection to Kroki.
    pub kroki_connect_timeout: Duration,
    /// `MAX_SOURCE_SIZE`: the largest diagram source accepted, in bytes after decoding.
    pub max_source_size: usize,
    /// `MAX_RESPONSE_SIZE`: the largest image accepted from Kroki.
    pub max_response_size: usize,
    /// `MAX_URI_LENGTH`: the longest request target served; longer ones get 414.
    pub max_uri_length: usize,
    /// `KROKI_COMPANIONS`: the companions this deployment runs, probed by /health.
    pub companions: BTreeSet<Companion>,
    /// `HEALTH_CACHE_TTL`: how long one round of health probes is reused.
    pub health_cache_ttl: Duration,
    /// `HEALTH_SLOW_THRESHOLD`: a probe slower than this makes the verdict degraded.
    pub health_slow_threshold: Duration,
    /// `HEALTH_PROBE_TIMEOUT`: a probe with no answer by then has failed (unhealthy).
    pub health_probe_timeout: Duration,
    /// `CACHE_MAX_SIZE`: the render cache's byte budget (0 disables the cache).
    pub cache_max_size: u64,
    /// `CACHE_TTL`: how long a cached render may be served (`off`: until evicted).
    pub cache_ttl: Option<Duration>,
    /// `CACHE_REDIS_URL`: the Redis (or Valkey) of the cache's second tier (`None`: off).
    pub cache_redis_url: Option<String>,
    /// `CACHE_REDIS_TTL`: how long Redis keeps a render.
    pub cache_redis_ttl: Duration,
    /// `CACHE_REDIS_MAX_ENTRY`: the largest render stored in Redis (larger stay in memory only).
    pub cache_redis_max_entry: usize,
    /// `CACHE_REDIS_TIMEOUT`: the longest wait for one Redis call; slower counts as a miss.
    pub cache_redis_timeout: Duration,
    /// `CACHE_REDIS_PREFIX`: the prefix of every key this app writes to Redis.
    pub cache_redis_prefix: String,
    /// `KROKI_VERSION`: the version cache keys and ETags use instead of Kroki's reported ones.
    pub kroki_version: Option<String>,
    /// `RENDER_CONCURRENCY`: renders sent to Kroki at once; more wait.
    pub render_concurrency: usize,
    /// `RENDER_QUEUE_TIMEOUT`: how long a render may wait for a slot before 503.
    pub render_queue_timeout: Duration,
    /// `HTTP_CACHE_MAX_AGE`: the browser/CDN lifetime of content-addressed GET diagram URLs.
    pub http_cache_max_age: Duration,
    /// `WORKERS`: HTTP worker threads (default: one per core).
    pub workers: usize,
    /// `SHUTDOWN_TIMEOUT`: how long requests in flight may finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// `CLIENT_REQUEST_TIMEOUT`: how long a client has to send each request head, and then its
    /// body (slow clients get 408 and are dropped).
    pub client_request_timeout: Duration,
    /// `KEEP_ALIVE`: how long an idle kept-alive connection stays open.
    pub keep_alive: Duration,
    /// `PUBLIC_URL`: the origin (and path prefix) of the links the editor builds; `None`: the
    /// request's own `Host`, and `X-Forwarded-Host`/`-Proto` from `TRUSTED_PROXIES` only.
    pub public_url: Option<String>,
    /// `RATE_LIMIT` and `RATE_LIMIT_BURST`: requests per client address (`None`: off).
    pub rate_limit: Option<RateLimitSetting>,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client for the rate limit.
    pub trusted_proxies: Vec<IpNet>,
    /// `LOG_LEVEL`: a level or tracing filter directive.
    pub log_level: String,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid configuration: {variable}={value:?}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

/// One documented setting: its variable, default and meaning. The README table is this list.
pub struct Setting {
    pub variable: &'static str,
    /// What an unset variable means: a value written as one would set it (`Config::from_lookup`
    /// parses it with the variable's own parser), or, with spaces, a description of a default
    /// computed at start-up ("number of cores").
    pub default: &'static str,
    pub meaning: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting { variable: "KROKI_URL", default: "http://localhost:8000", meaning: "Base URL of the Kroki server (http or https, may include a path prefix)" },
    Setting { variable: "LISTEN_HOST", default: "0.0.0.0", meaning: "Address to listen on (`::` for IPv6)" },
    Setting { variable: "PORT", default: "8080", meaning: "Port to listen on" },
    Setting { variable: "KROKI_TIMEOUT", default: "35s", meaning: "Longest wait for one render from Kroki (Kroki's companions time out at 30 s); then 504" },
    Setting { variable: "KROKI_CONNECT_TIMEOUT", default: "5s", meaning: "Longest wait to connect to Kroki; then 502 `kroki_unreachable`, as for a refused connection" },
    Setting { variable: "MAX_SOURCE_SIZE", default: "1MiB", meaning: "Largest diagram source accepted (decoded); larger gets 413 before Kroki is contacted" },
    Setting { variable: "MAX_RESPONSE_SIZE", default: "32MiB", meaning: "Largest image accepted from Kroki; larger gets 502" },
    Setting { variable: "MAX_URI_LENGTH", default: "16384", meaning: "Longest request target (path and query) served; longer gets 414" },
    Setting { variable: "KROKI_COMPANIONS", default: "mermaid,bpmn,excalidraw", meaning: "Companions deployed beside Kroki and probed by /health (`mermaid`, `bpmn`, `excalidraw`, `diagramsnet`, or `none`)" },
    Setting { variable: "HEALTH_CACHE_TTL", default: "5s", meaning: "How long one round of /health probes is reused" },
    Setting { variable: "HEALTH_SLOW_THRESHOLD", default: "3s", meaning: "A Kroki or companion probe slower than this makes /health degraded" },
    Setting { variable: "HEALTH_PROBE_TIMEOUT", default: "10s", meaning: "A Kroki or companion probe with no answer by then has failed (unhealthy); between `HEALTH_SLOW_THRESHOLD` and this, degraded" },
    Setting { variable: "CACHE_MAX_SIZE", default: "128MiB", meaning: "Byte budget of the in-memory render cache; `0` disables it" },
    Setting { variable: "CACHE_TTL", default: "off", meaning: "How long a cached render may be served (`off`: until evicted to make room)" },
    Setting { variable: "CACHE_REDIS_URL", default: "off", meaning: "Redis or Valkey (Redis 6+) holding the render cache's second tier, shared by replicas and kept across restarts: `redis://[user:password@]host:port/db`, or `rediss://` for TLS" },
    Setting { variable: "CACHE_REDIS_TTL", default: "30d", meaning: "How long Redis keeps a render" },
    Setting { variable: "CACHE_REDIS_MAX_ENTRY", default: "8MiB", meaning: "Largest render stored in Redis; larger ones stay in memory only" },
    Setting { variable: "CACHE_REDIS_TIMEOUT", default: "100ms", meaning: "Longest wait for one Redis call; slower counts as a miss, and repeated failures make the app skip Redis until it answers again" },
    Setting { variable: "CACHE_REDIS_PREFIX", default: "kroki-web:", meaning: "Prefix of every Redis key the app writes (to share one Redis between deployments)" },
    Setting { variable: "KROKI_VERSION", default: "from Kroki's /health", meaning: "Version that cache keys and ETags include instead of the one Kroki reports per diagram type (change it to drop every cached render)" },
    Setting { variable: "RENDER_CONCURRENCY", default: "32", meaning: "Renders sent to Kroki at once; further cache misses wait (cache hits never do)" },
    Setting { variable: "RENDER_QUEUE_TIMEOUT", default: "10s", meaning: "How long a cache miss may wait for a render slot; then 503 with `Retry-After`" },
    Setting { variable: "HTTP_CACHE_MAX_AGE", default: "30d", meaning: "`Cache-Control` lifetime of the content-addressed `GET /{type}/{format}/{encoded}` URLs" },
    Setting { variable: "WORKERS", default: "number of cores", meaning: "HTTP worker threads" },
    Setting { variable: "SHUTDOWN_TIMEOUT", default: "30s", meaning: "Grace period for requests in flight after SIGTERM" },
    Setting { variable: "CLIENT_REQUEST_TIMEOUT", default: "10s", meaning: "Time a client has to send each request head (every one on a kept-alive connection), and then its body; slower clients (slowloris, slow POST) get 408 and are disconnected" },
    Setting { variable: "KEEP_ALIVE", default: "15s", meaning: "How long an idle kept-alive connection stays open before the server closes it" },
    Setting { variable: "PUBLIC_URL", default: "none", meaning: "Origin of the links the editor builds (share link, image URL, snippets), such as `https://diagrams.example.com`; unset, the request's `Host`, with `X-Forwarded-Host` and `X-Forwarded-Proto` honoured from `TRUSTED_PROXIES` only" },
    Setting { variable: "RATE_LIMIT", default: "off", meaning: "Requests per client address (an IPv6 client counts as its /64), such as `20/s`, `600/min` or `10000/h`; above it 429 with `Retry-After` (health, metrics and static assets are never limited)" },
    Setting { variable: "RATE_LIMIT_BURST", default: "the rate's count", meaning: "Requests a quiet client may send at once before `RATE_LIMIT` applies" },
    Setting { variable: "TRUSTED_PROXIES", default: "none", meaning: "Proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names the client for `RATE_LIMIT`, and whose `X-Forwarded-Host` and `X-Forwarded-Proto` name the origin of the editor's links" },
    Setting { variable: "LOG_LEVEL", default: "info", meaning: "Log level (`error` … `trace`) or a tracing filter such as `kroki_web=debug,info`" },
    Setting { variable: "LOG_FORMAT", default: "text", meaning: "`text` for readable lines, `json` for one JSON object per line" },
];

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let read = |variable: &'static str| Raw {
            variable,
            value: lookup(variable).filter(|value| !value.trim().is_empty()),
        };
        Ok(Config {
            host: read("LISTEN_HOST")
                .parse(|v| v.parse().map_err(|_| "not an IP address".into()))?,
            port: read("PORT")
                .parse(|v| v.parse().map_err(|_| "not a port number (0-65535)".into()))?,
            kroki_url: read("KROKI_URL").parse(parse_kroki_url)?,
            kroki_timeout: read("KROKI_TIMEOUT").parse(parse_duration)?,
            kroki_connect_timeout: read("KROKI_CONNECT_TIMEOUT").parse(parse_duration)?,
            max_source_size: read("MAX_SOURCE_SIZE").parse(parse_size)?,
            max_response_size: read("MAX_RESPONSE_SIZE").parse(parse_size)?,
            max_uri_length: read("MAX_URI_LENGTH").parse(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (256..=30_000).contains(n))
                    .ok_or_else(|| "a number of characters from 256 to 30000".into())
            })?,
            companions: read("KROKI_COMPANIONS").parse(parse_companions)?,
            health_cache_ttl: read("HEALTH_CACHE_TTL").parse(parse_duration)?,
            health_slow_threshold: read("HEALTH_SLOW_THRESHOLD").parse(parse_duration)?,
            health_probe_timeout: read("HEALTH_PROBE_TIMEOUT").parse(parse_duration)?,
            cache_max_size: read("CACHE_MAX_SIZE")
                .parse(|v| parse_size_or_zero(v).map(|n| n as u64))?,
            cache_ttl: read("CACHE_TTL").parse(|v| {
                if v.eq_ignore_ascii_case("off") {
                    Ok(None)
                } else {
                    parse_duration(v).map(Some)
                }
            })?,
            cache_redis_url: read("CACHE_REDIS_URL").parse(|v| {
                if v.eq_ignore_ascii_case("off") {
                    return Ok(None);
                }
                crate::cache::tier2::validate_url(v)?;
                Ok(Some(v.to_owned()))
            })?,
            cache_redis_ttl: read("CACHE_REDIS_TTL").parse(parse_duration)?,
            cache_redis_max_entry: read("CACHE_REDIS_MAX_ENTRY").parse(parse_size)?,
            cache_redis_timeout: read("CACHE_REDIS_TIMEOUT").parse(parse_duration)?,
            cache_redis_prefix: read("CACHE_REDIS_PREFIX").parse(|v| Ok(v.to_owned()))?,
            kroki_version: read("KROKI_VERSION").parse_set(|v| Ok(v.to_owned()))?,
            render_concurrency: read("RENDER_CONCURRENCY").parse(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| "a whole number from 1 to 10000".into())
            })?,
            render_queue_timeout: read("RENDER_QUEUE_TIMEOUT").parse(parse_duration)?,
            http_cache_max_age: read("HTTP_CACHE_MAX_AGE").parse(parse_duration)?,
            workers: read("WORKERS")
                .parse_set(|v| {
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1024).contains(n))
                        .ok_or_else(|| "a whole number of threads from 1 to 1024".into())
                })?
                .unwrap_or_else(default_workers),
            shutdown_timeout: read("SHUTDOWN_TIMEOUT").parse(parse_duration)?,
            client_request_timeout: read("CLIENT_REQUEST_TIMEOUT").parse(parse_duration)?,
            keep_alive: read("KEEP_ALIVE").parse(parse_duration)?,
            public_url: read("PUBLIC_URL").parse(|v| {
                if v.eq_ignore_ascii_case("none") {
                    Ok(None)
                } else {
                    parse_public_url(v).map(Some)
                }
            })?,
            rate_limit: {
                // Each variable on its own, so a bad burst is named even while the limit is off.
                let burst = read("RATE_LIMIT_BURST").parse_set(|v| {
                    v.parse::<std::num::NonZeroU32>()
                        .map(|_| v.to_owned())
                        .map_err(|_| "not a whole number above zero".into())
                })?;
                read("RATE_LIMIT").parse(|v| {
                    if v.eq_ignore_ascii_case("off") {
                        Ok(None)
                    } else {
                        RateLimitSetting::parse(v, burst.as_deref()).map(Some)
                    }
                })?
            },
            trusted_proxies: read("TRUSTED_PROXIES").parse(parse_trusted_proxies)?,
            log_level: read("LOG_LEVEL").parse(|v| Ok(v.to_owned()))?,
            log_format: read("LOG_FORMAT").parse(|v| match v.to_ascii_lowercase().as_str() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `text` or `json`".into()),
            })?,
        })
    }

    pub fn listen_address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.host, self.port)
    }

    /// The limit on a request body: room for the largest source with JSON escaping around it.
    pub fn max_body_size(&self) -> usize {
        self.max_source_size
            .saturating_mul(6)
            .saturating_add(64 * 1024)
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// A variable as read: its value when set (not blank).
struct Raw {
    variable: &'static str,
    value: Option<String>,
}

impl Raw {
    /// The value set, or else the documented default ([`documented_default`]), parsed by `parse`:
    /// one parser for both, so the table's default means what setting it would.
    fn parse<T>(self, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        let value = self
            .value
            .as_deref()
            .or_else(|| documented_default(self.variable))
            .ok_or_else(|| ConfigError {
                variable: self.variable,
                value: String::new(),
                reason: "unset, and the documented default is not a value".into(),
            })?;
        self.checked(value.trim(), parse)
    }

    /// The value set, parsed; `None` when unset (for a default the table describes, such as
    /// "number of cores", rather than gives).
    fn parse_set<T>(
        self,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match &self.value {
            None => Ok(None),
            Some(value) => self.checked(value.trim(), parse).map(Some),
        }
    }

    fn checked<T>(
        &self,
        value: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        parse(value).map_err(|reason| ConfigError {
            variable: self.variable,
            value: value.to_owned(),
            reason,
        })
    }
}

/// The `SETTINGS` default of `variable` when it is a value (no spaces); `None` for a default
/// the table describes in words (computed at start-up, or taken from elsewhere).
fn documented_default(variable: &str) -> Option<&'static str> {
    SETTINGS
        .iter()
        .find(|setting| setting.variable == variable)
        .map(|setting| setting.default)
        .filter(|default| !default.contains(' '))
}

fn parse_kroki_url(value: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the scheme must be http or https".into());
    }
    if url.host_str().is_none() {
        return Err("the URL has no host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".into());
    }
    Ok(url)
}

/// An http or https URL with a host and no query or fragment, without its trailing slash.
fn parse_public_url(value: &str) -> Result<String, String> {
    let url = parse_kroki_url(value)?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|e| format!("not a duration such as `30s` or `500ms` ({e})"))?;
    if duration.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(duration)
}

fn parse_size(value: &str) -> Result<usize, String> {
    match parse_size_or_zero(value)? {
        0 => Err("must be more than zero".into()),
        size => Ok(size),
    }
}

fn parse_size_or_zero(value: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = value
        .parse()
        .map_err(|e| format!("not a size such as `1MiB` or `500000` ({e})"))?;
    usize::try_from(size.as_u64()).map_err(|_| "too large".into())
}

fn parse_companions(value: &str) -> Result<BTreeSet<Companion>, String> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(BTreeSet::new());
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            Companion::parse(name).ok_or_else(|| {
                format!("unknown companion `{name}` (expected mermaid, bpmn, excalidraw, diagramsnet or none)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_table() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.listen_address().to_string(), "0.0.0.0:8080");
        assert_eq!(config.kroki_url.as_str(), "http://localhost:8000/");
        assert_eq!(config.kroki_timeout, Duration::from_secs(35));
        assert_eq!(config.max_source_size, 1024 * 1024);
        assert_eq!(
            config
                .companions
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>(),
            vec!["mermaid", "bpmn", "excalidraw"]
        );
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.cache_max_size, 128 * 1024 * 1024);
        assert_eq!(config.cache_ttl, None);
        assert_eq!(config.render_concurrency, 32);
        assert_eq!(config.http_cache_max_age, Duration::from_secs(30 * 86400));
        assert_eq!(config.client_request_timeout, Duration::from_secs(10));
        assert_eq!(config.keep_alive, Duration::from_secs(15));
        assert_eq!(config.public_url, None);
        assert_eq!(config.rate_limit, None);
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.cache_redis_url, None);
        assert_eq!(config.cache_redis_ttl, Duration::from_secs(30 * 86400));
        assert_eq!(config.cache_redis_max_entry, 8 * 1024 * 1024);
        assert_eq!(config.cache_redis_timeout, Duration::from_millis(100));
        assert_eq!(config.cache_redis_prefix, "kroki-web:");
        assert_eq!(config.kroki_version, None);
    }

    /// Every row of the table: its variable set to the documented default gives the settings
    /// an unset one gives (one parser reads both). A default described in words ("number of
    /// cores") is not read as a value.
    #[test]
    fn every_documented_default_is_what_an_unset_variable_means() {
        let unset = format!(
            "{:?}",
            config(&[]).expect("the documented defaults are valid")
        );
        for setting in SETTINGS {
            let set = config(&[(setting.variable, setting.default)]).map(|c| format!("{c:?}"));
            if setting.default.contains(' ') {
                assert_ne!(set.as_ref(), Ok(&unset), "{}", setting.variable);
            } else {
                assert_eq!(set, Ok(unset.clone()), "{}", setting.variable);
            }
        }
    }

    /// `from_lookup` reads exactly the variables the table documents.
    #[test]
    fn the_table_names_every_variable_read() {
        let read = std::cell::RefCell::new(BTreeSet::new());
        Config::from_lookup(|name| {
            read.borrow_mut().insert(name.to_owned());
            None
        })
        .unwrap();
        let documented: BTreeSet<String> = SETTINGS
            .iter()
            .map(|setting| setting.variable.to_owned())
            .collect();
        assert_eq!(read.into_inner(), documented);
    }

    #[test]
    fn every_variable_reaches_its_setting() {
        let config = config(&[
            ("LISTEN_HOST", "127.0.0.1"),
            ("PORT", "9000"),
            ("KROKI_URL", "https://kroki.example.test/base/"),
            ("KROKI_TIMEOUT", "40s"),
            ("KROKI_CONNECT_TIMEOUT", "250ms"),
            ("MAX_SOURCE_SIZE", "2MiB"),
            ("MAX_RESPONSE_SIZE", "1000"),
            ("MAX_URI_LENGTH", "8192"),
            ("KROKI_COMPANIONS", "Mermaid, diagramsnet"),
            ("HEALTH_CACHE_TTL", "1s"),
            ("HEALTH_SLOW_THRESHOLD", "100ms"),
            ("WORKERS", "3"),
            ("CACHE_MAX_SIZE", "0"),
            ("CACHE_TTL", "10m"),
            ("RENDER_CONCURRENCY", "4"),
            ("RENDER_QUEUE_TIMEOUT", "250ms"),
            ("HTTP_CACHE_MAX_AGE", "1h"),
            ("SHUTDOWN_TIMEOUT", "2s"),
            ("LOG_LEVEL", "debug"),
            ("LOG_FORMAT", "JSON"),
            ("CLIENT_REQUEST_TIMEOUT", "2s"),
            ("RATE_LIMIT", "600/min"),
            ("RATE_LIMIT_BURST", "20"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,::1"),
            ("KEEP_ALIVE", "3s"),
            ("PUBLIC_URL", "https://diagrams.example.test/"),
            (
                "CACHE_REDIS_URL",
                "rediss://app:secret@redis.internal:6380/2",
            ),
            ("CACHE_REDIS_TTL", "1h"),
            ("CACHE_REDIS_MAX_ENTRY", "1MiB"),
            ("CACHE_REDIS_TIMEOUT", "50ms"),
            ("CACHE_REDIS_PREFIX", "docs:"),
            ("KROKI_VERSION", "2026-12"),
        ])
        .expect("valid");
        assert_eq!(config.listen_address().to_string(), "127.0.0.1:9000");
        assert_eq!(config.kroki_url.path(), "/base/");
        assert_eq!(config.kroki_timeout, Duration::from_secs(40));
        assert_eq!(config.kroki_connect_timeout, Duration::from_millis(250));
        assert_eq!(config.max_source_size, 2 * 1024 * 1024);
        assert_eq!(config.max_response_size, 1000);
        assert_eq!(config.max_uri_length, 8192);
        assert_eq!(config.companions.len(), 2);
        assert_eq!(config.health_cache_ttl, Duration::from_secs(1));
        assert_eq!(config.health_slow_threshold, Duration::from_millis(100));
        assert_eq!(config.workers, 3);
        assert_eq!(config.cache_max_size, 0);
        assert_eq!(config.cache_ttl, Some(Duration::from_secs(600)));
        assert_eq!(config.render_concurrency, 4);
        assert_eq!(config.render_queue_timeout, Duration::from_millis(250));
        assert_eq!(config.http_cache_max_age, Duration::from_secs(3600));
        assert_eq!(config.shutdown_timeout, Duration::from_secs(2));
        assert_eq!(config.log_level, "debug");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.client_request_timeout, Duration::from_secs(2));
        let rate_limit = config.rate_limit.expect("a rate limit");
        assert_eq!(
            (
                rate_limit.count.get(),
                rate_limit.period,
                rate_limit.burst.get()
            ),
            (600, Duration::from_secs(60), 20)
        );
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.keep_alive, Duration::from_secs(3));
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://diagrams.example.test")
        );
        assert_eq!(
            config.cache_redis_url.as_deref(),
            Some("rediss://app:secret@redis.internal:6380/2")
        );
        assert_eq!(config.cache_redis_ttl, Duration::from_secs(3600));
        assert_eq!(config.cache_redis_max_entry, 1024 * 1024);
        assert_eq!(config.cache_redis_timeout, Duration::from_millis(50));
        assert_eq!(config.cache_redis_prefix, "docs:");
        assert_eq!(config.kroki_version.as_deref(), Some("2026-12"));
        assert!(config_none_companions());
    }

    #[test]
    fn each_variable_is_validated_on_its_own_and_named() {
        // A bad burst is refused while the rate limit is off, and named when it is on.
        for pairs in [
            &[("RATE_LIMIT_BURST", "x")][..],
            &[("RATE_LIMIT", "off"), ("RATE_LIMIT_BURST", "x")],
            &[("RATE_LIMIT", "5/s"), ("RATE_LIMIT_BURST", "x")],
        ] {
            let error = config(pairs).expect_err("a bad RATE_LIMIT_BURST");
            assert_eq!(error.variable, "RATE_LIMIT_BURST", "{pairs:?}");
            assert!(error.to_string().contains("RATE_LIMIT_BURST"), "{error}");
        }
        // A bad rate with a good burst names the rate.
        let error = config(&[("RATE_LIMIT", "5/week"), ("RATE_LIMIT_BURST", "3")]).unwrap_err();
        assert_eq!(error.variable, "RATE_LIMIT");
        // WORKERS=0 is refused, not read as "one per core"; unset is one per core.
        assert_eq!(config(&[("WORKERS", "0")]).unwrap_err().variable, "WORKERS");
        assert_eq!(config(&[]).unwrap().workers, default_workers());
        assert_eq!(config(&[("WORKERS", " 1 ")]).unwrap().workers, 1);
    }

    #[test]
    fn the_probe_timeout_is_its_own_setting() {
        let config = config(&[
            ("HEALTH_SLOW_THRESHOLD", "100ms"),
            ("HEALTH_PROBE_TIMEOUT", "2s"),
        ])
        .unwrap();
        assert_eq!(config.health_slow_threshold, Duration::from_millis(100));
        assert_eq!(config.health_probe_timeout, Duration::from_secs(2));
        assert_eq!(
            super::Config::from_lookup(|_| None)
                .unwrap()
                .health_probe_timeout,
            Duration::from_secs(10)
        );
    }

    fn config_none_companions() -> bool {
        config(&[("KROKI_COMPANIONS", "none")]).is_ok_and(|c| c.companions.is_empty())
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("KROKI_URL", "localhost:8000"),
            ("KROKI_URL", "ftp://kroki"),
            ("KROKI_URL", "http://kroki:8000/?x=1"),
            ("PORT", "80800"),
            ("LISTEN_HOST", "example"),
            ("KROKI_TIMEOUT", "soon"),
            ("KROKI_TIMEOUT", "0s"),
            ("MAX_SOURCE_SIZE", "big"),
            ("MAX_URI_LENGTH", "10"),
            ("KROKI_COMPANIONS", "mermaid,plantuml"),
            ("WORKERS", "-1"),
            ("CACHE_MAX_SIZE", "lots"),
            ("CACHE_TTL", "forever"),
            ("RENDER_CONCURRENCY", "0"),
            ("LOG_FORMAT", "xml"),
            ("CLIENT_REQUEST_TIMEOUT", "0s"),
            ("RATE_LIMIT", "fast"),
            ("RATE_LIMIT", "10/week"),
            ("TRUSTED_PROXIES", "proxy.internal"),
            ("KEEP_ALIVE", "0s"),
            ("PUBLIC_URL", "javascript:alert(1)"),
            ("PUBLIC_URL", "diagrams.example.test"),
            ("WORKERS", "0"),
            ("WORKERS", "many"),
            ("RATE_LIMIT_BURST", "x"),
            ("RATE_LIMIT_BURST", "0"),
            ("HEALTH_PROBE_TIMEOUT", "0s"),
            ("HEALTH_PROBE_TIMEOUT", "later"),
            ("KROKI_CONNECT_TIMEOUT", "never"),
            ("HEALTH_CACHE_TTL", "x"),
            ("HEALTH_SLOW_THRESHOLD", "x"),
            ("MAX_RESPONSE_SIZE", "0"),
            ("RENDER_QUEUE_TIMEOUT", "x"),
            ("HTTP_CACHE_MAX_AGE", "x"),
            ("SHUTDOWN_TIMEOUT", "x"),
            ("CACHE_REDIS_URL", "http://redis:6379"),
            ("CACHE_REDIS_TIMEOUT", "0ms"),
            ("CACHE_REDIS_MAX_ENTRY", "0"),
        ];
        for (variable, value) in cases {
            let error = config(&[(variable, value)]).expect_err(value);
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(variable), "{error}");
        }
    }
}
