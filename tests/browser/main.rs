//! Browser tests: the editor in a real, headless Chromium driven over WebDriver, against the
//! app and a stand-in Kroki started in-process. Screenshots of the main states are saved under
//! `target/screenshots/`. Without Chromium each test says `SKIPPED <name>` (and fails with
//! `CI=true`); the no-JavaScript HTTP checks in `no_javascript` always run.
//!
//! Set-up: `scripts/setup-browser.sh` (Debian's chromium and chromium-driver).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod accessibility;
mod editor;
mod harness;
mod health_page;
mod highlighting_gallery;
mod no_javascript;
mod output;
mod persistence;
mod security;
mod work;
