//! What the test suites of kroki-web share (a dev-dependency of the app, never shipped): the app
//! started in-process on port 0 against a stand-in Kroki ([`spawn_app_with`], [`TestApp`]),
//! the release or debug binary started as a process ([`binary`]), raw TCP connections
//! ([`connect`], [`read_until_closed`]) and small readers of responses.
//!
//! A crate rather than `tests/common/` modules: each file under `tests/` is a crate of its own,
//! so a shared module would be compiled into each by `#[path]` or `mod`, with `dead_code`
//! allowed wherever a suite uses only part of it. A crate is compiled once, checked by clippy as
//! a whole, and used by name (`kroki_test_support::spawn_app`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

pub mod app;
pub mod binary;
pub mod raw;

pub use app::{
    api_error, content_type, encode, header, spawn_app, spawn_app_with, start_app, Forwarded,
    RunningApp, TestApp, HEALTH_PROBE_SOURCE,
};
pub use raw::{connect, free_port, read_until_closed, served_once, status_of};
