//! Black-box tests: the real app on a random port, talking HTTP to a stand-in Kroki.
//! One test binary with a module per audience, sharing `helpers::spawn_app`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod api;
mod bad_input;
mod cache;
mod compression;
mod connections;
mod docs_page;
mod escaping;
mod examples;
mod faults;
mod faults_load;
mod gateway;
mod hardening;
mod health;
mod helpers;
mod limits;
mod observability;
mod pages;
mod rate_limit;
mod redis_tier;
mod seed_compat;
