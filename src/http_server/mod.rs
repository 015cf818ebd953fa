//! The HTTP/1.1 server under the app: actix-web's `HttpServer`, assembled from its own parts
//! (actix-server's accept loop and workers, actix-http's HTTP/1 service) so that each
//! connection's stream can be wrapped in a [`HeadDeadline`]: `HttpServer` takes no stream
//! wrapper, and without one a kept-alive connection's later request heads have no deadline.
//!
//! Everything else is as `HttpServer` sets it: the app per worker, keep-alive, the disconnect
//! timeout, half-closed connections allowed, SIGTERM and SIGINT draining requests in flight.

mod head_deadline;

pub use head_deadline::{Answer, OnTimeout, Refusal};

use head_deadline::HeadDeadline;

use actix_http::body::MessageBody;
use actix_http::{HttpService, Request, Response};
use actix_service::{
    fn_service, map_config, IntoServiceFactory, ServiceFactory, ServiceFactoryExt,
};
use actix_web::dev::{AppConfig, Server};
use std::fmt;
use std::net::TcpListener;
use std::time::Duration;
use tokio::net::TcpStream;

/// The connection settings of the server.
#[derive(Clone)]
pub struct ServerSettings {
    pub workers: usize,
    /// The deadline of every request head (`CLIENT_REQUEST_TIMEOUT`; zero for none).
    pub client_request_timeout: Duration,
    /// How long an idle kept-alive connection stays open.
    pub keep_alive: Duration,
    /// How long a closing connection may take to flush and shut down.
    pub client_disconnect_timeout: Duration,
    /// How long requests in flight may finish after SIGTERM or SIGINT.
    pub shutdown_timeout: Duration,
    /// Called for each connection dropped because a head was late.
    pub on_head_timeout: OnTimeout,
    /// The response for an answer made below the app (a late head's 408, actix-http's 400 and
    /// 431), so that it carries the app's headers and error body.
    pub answer: Answer,
}

/// Serves the app that `app` makes (once per worker) on `listener`.
pub fn serve<F, I, S, B>(
    listener: TcpListener,
    settings: ServerSettings,
    app: F,
) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as actix_service::Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let local_addr = listener.local_addr()?;
    let builder = actix_server::Server::build()
        .workers(settings.workers)
        .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1));
    let shutdown = builder.graceful_shutdown_signal();
    let server = builder
        .listen("kroki-web", listener, move || {
            let shutdown = shutdown.clone();
            let http = HttpService::build()
                // Kept-alive connections are told to close when a graceful shutdown begins.
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .keep_alive(settings.keep_alive)
                // Every head's deadline, the first one's included, is `HeadDeadline`'s.
                .client_request_timeout(Duration::ZERO)
                .client_disconnect_timeout(settings.client_disconnect_timeout)
                .h1_allow_half_closed(true)
                .local_addr(local_addr)
                .h1(map_config(
                    app()
                        .into_factory()
                        .map_err(|error| error.into().error_response()),
                    // The Host header names the host; this only stands in when a request has none.
                    |_| AppConfig::default(),
                ));
            let timeout = settings.client_request_timeout;
            let on_timeout = settings.on_head_timeout.clone();
            let answer = settings.answer.clone();
            fn_service(move |stream: TcpStream| {
                let peer = stream.peer_addr().ok();
                let stream = HeadDeadline::new(stream, timeout, on_timeout.clone(), answer.clone());
                std::future::ready(Ok((stream, peer)))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}
