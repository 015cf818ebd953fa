//! Starting the real `kroki-web` binary for tests that need a process (signals, stdout).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RunningBinary {
    pub process: Child,
    pub base: String,
}

/// Starts the binary on a free loopback port against `kroki_url`, with `env` on top of a clean
/// environment, and waits until `/healthz` answers.
pub async fn start(kroki_url: &str, env: &[(&str, &str)], stdout: Stdio) -> RunningBinary {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(env!("CARGO_BIN_EXE_kroki-web"))
        .env_clear()
        .env("KROKI_URL", kroki_url)
        .env("LISTEN_HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("WORKERS", "1")
        .envs(env.iter().copied())
        .stdout(stdout)
        .spawn()
        .unwrap();
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
        .unwrap();
    assert!(sent.success());
}
