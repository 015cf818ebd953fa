//! Builds the application: shared state, middleware and routes on a listener it binds itself,
//! so production and the black-box tests (port 0) start the app the same way.

use crate::cache::tier2::{RedisSettings, RedisTier, TierError};
use crate::config::Config;
use crate::health::HealthChecker;
use crate::http_server::{self, ServerSettings};
use crate::kroki::KrokiClient;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::renderer::Renderer;
use crate::routes;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, NormalizePath, TrailingSlash};
use actix_web::{web, App};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// What every request handler can reach.
pub struct AppState {
    pub config: Config,
    pub renderer: Renderer,
    pub health: HealthChecker,
    pub metrics: Arc<Metrics>,
    /// `None` unless `RATE_LIMIT` is set.
    pub rate_limiter: Option<RateLimiter>,
}

impl AppState {
    /// The state for `config`: the Kroki client, cache, health checker, metrics and limiter.
    pub fn new(config: &Config) -> Result<AppState, StartupError> {
        let kroki = KrokiClient::new(config)?;
        let mut metrics = Metrics::new();
        if config.cache_redis_url.is_some() {
            metrics.register_tier2_up();
        }
        let metrics = Arc::new(metrics);
        let tier2 = match &config.cache_redis_url {
            Some(url) => {
                let settings = RedisSettings {
                    url: url.clone(),
                    ttl: config.cache_redis_ttl,
                    max_entry: config.cache_redis_max_entry,
                    timeout: config.cache_redis_timeout,
                    prefix: config.cache_redis_prefix.clone(),
                    lock_ttl: config.kroki_timeout,
                };
                // A persistent cache must see a Kroki upgrade even when nobody calls /health.
                kroki.versions().spawn_refresh(kroki.clone());
                Some(RedisTier::start(settings, Arc::clone(&metrics))?)
            }
            None => None,
        };
        Ok(AppState {
            health: HealthChecker::new(config, kroki.clone()).with_cache(tier2.clone()),
            renderer: Renderer::new(config, kroki, Arc::clone(&metrics)).with_tier2(tier2),
            rate_limiter: config
                .rate_limit
                .map(|setting| RateLimiter::new(setting, config.trusted_proxies.clone())),
            config: config.clone(),
            metrics,
        })
    }
}

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client for Kroki: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot start the Redis cache tier: {0}")]
    Redis(#[from] TierError),
    #[error("cannot start the server: {0}")]
    Server(#[from] std::io::Error),
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(config: Config) -> Result<Application, StartupError> {
        let address = config.listen_address();
        let listener =
            TcpListener::bind(address).map_err(|source| StartupError::Bind { address, source })?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(&config)?);
        let metrics = Arc::clone(&state.metrics);
        let answer_config = config.clone();
        let settings = ServerSettings {
            workers: config.workers,
            client_request_timeout: config.client_request_timeout,
            keep_alive: config.keep_alive,
            client_disconnect_timeout: Duration::from_secs(2),
            shutdown_timeout: config.shutdown_timeout,
            on_head_timeout: Arc::new(move || metrics.count_head_timeout()),
            answer: Arc::new(move |refusal| {
                routes::middleware::answer_below_app(refusal, &answer_config)
            }),
        };
        let server = http_server::serve(listener, settings, move || {
            App::new()
                .app_data(state.clone())
                .configure(routes::configure)
                // Diagram GETs answered before the router (see the function).
                .wrap(from_fn(routes::gateway::diagram_gets_ahead_of_router))
                .wrap(from_fn(routes::middleware::catch_panic))
                // Our own compression (not actix-web's `Compress`): it negotiates as the diagram
                // responses do, and leaves their stored, already encoded variants alone.
                .wrap(from_fn(routes::compress::compress))
                // Several Kroki clients send `//plantuml/svg/…` when their URL ends in `/`.
                .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
                .wrap(from_fn(routes::middleware::rate_limit))
                .wrap(from_fn(routes::middleware::limit_uri_length))
                .wrap(from_fn(routes::middleware::request_context))
        })?;
        Ok(Application { port, server })
    }

    /// The port actually bound (useful with `PORT=0`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// The running server, for callers that want its handle.
    pub fn into_server(self) -> Server {
        self.server
    }
}
