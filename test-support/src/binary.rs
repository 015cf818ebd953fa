//! The real `kroki-web` binary started as a process, for tests that need one (signals, stdout).

use crate::raw::free_port;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RunningBinary {
    pub process: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

/// The binary cargo built for this test run, debug or release: `CARGO_BIN_EXE_kroki-web`, which
/// cargo sets in the environment of integration tests from 1.94 on; before that, found where
/// cargo puts it, beside the folder of the test's own executable (`target/<profile>/deps/`).
pub fn path() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_kroki-web") {
        return PathBuf::from(path);
    }
    let test = std::env::current_exe().expect("the test's own path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let binary = profile.join(format!("kroki-web{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "no kroki-web binary at {}: run the test with cargo test, which builds it",
        binary.display()
    );
    binary
}

/// Starts the binary on a free loopback port against `kroki_url`, with `env` on top of a clean
/// environment, and waits until `/healthz` answers.
pub async fn start(kroki_url: &str, env: &[(&str, &str)], stdout: Stdio) -> RunningBinary {
    let port = free_port();
    let process = Command::new(path())
        .env_clear()
        .env("KROKI_URL", kroki_url)
        .env("LISTEN_HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("WORKERS", "1")
        .envs(env.iter().copied())
        .stdout(stdout)
        .spawn()
        .expect("the binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the app did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    RunningBinary { process, base }
}

/// Sends SIGTERM to the process `pid`.
pub fn terminate(pid: u32) {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// A program on the PATH, if there is one by that name.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
