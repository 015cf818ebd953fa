//! `kroki-standin`: runs the stand-in Kroki server standalone.
//!
//! ```text
//! kroki-standin [--listen 127.0.0.1:8000] [--workers N] [--latency-ms N]
//!               [--max-uri-length N] [--body-limit BYTES]
//! ```
//!
//! Prints `kroki-standin listening on http://ADDR` and runs until Ctrl-C or SIGTERM.
//! Control it over HTTP with the `/_standin/...` endpoints (see the crate README).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use kroki_standin::{StandIn, StandInConfig};

const USAGE: &str = "usage: kroki-standin [--listen HOST:PORT] [--workers N] [--latency-ms N] \
[--max-uri-length N] [--body-limit BYTES]";

fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    let value = if value.starts_with(':') {
        format!("0.0.0.0{value}")
    } else {
        value.to_owned()
    };
    value.parse().map_err(|e| format!("--listen {value}: {e}"))
}

fn parse_number(flag: &str, value: &str) -> Result<u64, String> {
    value.parse().map_err(|e| format!("{flag} {value}: {e}"))
}

fn parse_args(args: &[String]) -> Result<Option<StandInConfig>, String> {
    let mut config = StandInConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
        ..StandInConfig::default()
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        const FLAGS: [&str; 5] = [
            "--listen",
            "--workers",
            "--latency-ms",
            "--max-uri-length",
            "--body-limit",
        ];
        if !FLAGS.contains(&flag) {
            return Err(format!("unknown argument {flag}"));
        }
        let value = match inline {
            Some(v) => v,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))?,
        };
        match flag {
            "--listen" => config.addr = parse_listen(&value)?,
            "--workers" => {
                config.workers = usize::try_from(parse_number(flag, &value)?)
                    .map_err(|e| e.to_string())?
                    .max(1)
            }
            "--latency-ms" => config.latency = Duration::from_millis(parse_number(flag, &value)?),
            "--max-uri-length" => {
                config.max_uri_length =
                    usize::try_from(parse_number(flag, &value)?).map_err(|e| e.to_string())?
            }
            "--body-limit" => {
                config.body_limit =
                    usize::try_from(parse_number(flag, &value)?).map_err(|e| e.to_string())?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(config))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("kroki-standin: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let standin = match StandIn::start_with(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kroki-standin: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("kroki-standin listening on {}", standin.url());
    shutdown_signal().await;
    standin.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let config = parse_args(&[]).ok().flatten();
        assert_eq!(config.map(|c| c.addr.port()), Some(8000));
        let config = parse_args(&args(&[
            "--listen",
            "127.0.0.1:9000",
            "--workers=3",
            "--latency-ms",
            "25",
        ]))
        .ok()
        .flatten();
        assert_eq!(config.as_ref().map(|c| c.addr.port()), Some(9000));
        assert_eq!(config.as_ref().map(|c| c.workers), Some(3));
        assert_eq!(config.map(|c| c.latency), Some(Duration::from_millis(25)));
        assert_eq!(
            parse_args(&args(&["--listen", ":8080"]))
                .ok()
                .flatten()
                .map(|c| c.addr.to_string()),
            Some("0.0.0.0:8080".to_owned())
        );
        assert!(parse_args(&args(&["--bogus"])).is_err());
        assert!(parse_args(&args(&["--workers"])).is_err());
        assert!(matches!(parse_args(&args(&["--help"])), Ok(None)));
    }
}
