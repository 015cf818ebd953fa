//! The shared test support (the `test-support/` crate), under the name this suite's modules
//! use: `crate::helpers::{spawn_app, spawn_app_with, TestApp, connect, ...}`.

pub use kroki_test_support::*;
