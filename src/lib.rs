//! kroki-web: a browser editor, an HTTP API and a Kroki-compatible gateway in front of Kroki.
//!
//! Where a render request goes: `routes` (by audience: `api`, `gateway`, `editor`,
//! `operations`) parse it into a `domain::RenderRequest`, `renderer` sends it through the `kroki`
//! client, and `error` turns any failure into the right status and body for that audience.
//! `views` renders the pages (the layout, the error and health pages, the asset catalog).
//! `health` probes Kroki and its companions; `config` reads the environment; `startup` wires it
//! all together. The arrows run one way: `routes` -> `views`, `error`, `renderer` -> `domain`;
//! nothing below `routes` imports it (`tests/docs.rs` checks).

pub mod cache;
pub mod config;
pub mod domain;
pub mod error;
pub mod health;
pub mod healthcheck;
pub mod http_server;
pub mod kroki;
pub mod metrics;
pub mod openapi;
pub mod panic_hook;
pub mod rate_limit;
pub mod renderer;
pub mod request_id;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod views;
