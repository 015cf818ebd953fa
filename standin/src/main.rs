//! `kroki-standin`: runs the stand-in Kroki server standalone.
//!
//! ```text
//! kroki-standin [--listen 127.0.0.1:8000] [--workers N] [--latency-ms N]
//!               [--max-uri-length N] [--body-limit BYTES]
//! ```
//!
//! Prints `kroki-standin listening on http://ADDR` and runs until Ctrl-C or SIGTERM.
//! Control it over HTTP with the `/_standin/...` endpoints (see the crate README).
//!
//! ```text
//! kroki-standin encode [--plantuml] [--each] [FILE]
//! kroki-standin decode [--plantuml] [ENCODED]
//! ```
//!
//! `encode` prints the GET path segment of the source in FILE (or standard input), with the
//! app's own encoder (the workspace crate `kroki-encoding`): what the benchmark scripts use.
//! `--each` reads several sources, each ended by a NUL byte, and prints one line per source.
//! `decode` prints the source of an encoded segment (argument or standard input) as Kroki
//! decodes it, or Kroki's message and exit status 1.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use kroki_standin::{decode, StandIn, StandInConfig};

const USAGE: &str = "usage: kroki-standin [--listen HOST:PORT] [--workers N] [--latency-ms N] \
[--max-uri-length N] [--body-limit BYTES]
       kroki-standin encode [--plantuml] [--each] [FILE]
       kroki-standin decode [--plantuml] [ENCODED]";

/// `encode` and `decode`: the flags, then at most one operand (FILE or ENCODED).
fn codec_args(args: &[String], flags: &[&str]) -> Result<(Vec<String>, Option<String>), String> {
    let (mut set, mut operand) = (Vec::new(), None);
    for arg in args {
        if flags.contains(&arg.as_str()) {
            set.push(arg.clone());
        } else if arg.starts_with("--") || operand.is_some() {
            return Err(format!("unexpected argument {arg}"));
        } else {
            operand = Some(arg.clone());
        }
    }
    Ok((set, operand))
}

fn read_input(file: Option<&str>) -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    match file {
        Some(path) => input = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
        None => {
            std::io::stdin()
                .read_to_end(&mut input)
                .map_err(|e| format!("standard input: {e}"))?;
        }
    }
    Ok(input)
}

/// `kroki-standin encode`: one encoded segment per source, each on its own line.
fn encode_command(args: &[String]) -> Result<String, String> {
    let (flags, file) = codec_args(args, &["--plantuml", "--each"])?;
    let input = read_input(file.as_deref())?;
    let input = String::from_utf8(input).map_err(|_| "the source is not UTF-8".to_owned())?;
    let plantuml = flags.iter().any(|f| f == "--plantuml");
    let sources: Vec<&str> = if flags.iter().any(|f| f == "--each") {
        let mut sources: Vec<&str> = input.split('\0').collect();
        // A NUL ends each source: nothing after the last one is no further source.
        if sources.last() == Some(&"") {
            sources.pop();
        }
        sources
    } else {
        vec![&input]
    };
    let mut out = String::new();
    for source in sources {
        out.push_str(&if plantuml {
            kroki_encoding::encode_plantuml(source)
        } else {
            kroki_encoding::encode(source)
        });
        out.push('\n');
    }
    Ok(out)
}

/// `kroki-standin decode`: the source, as Kroki decodes a GET path segment (not trimmed, except
/// by the PlantUML decoder's fallback, as Kroki's).
fn decode_command(args: &[String]) -> Result<String, String> {
    let (flags, operand) = codec_args(args, &["--plantuml"])?;
    let encoded = match operand {
        Some(encoded) => encoded,
        None => String::from_utf8(read_input(None)?)
            .map_err(|_| "the encoded source is not UTF-8".to_owned())?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    };
    let decoded = if flags.is_empty() {
        decode::decode_kroki(&encoded, false)
    } else {
        decode::decode_plantuml(&encoded)
    };
    decoded.map_err(|e| e.message().to_owned())
}

fn run_codec(command: &str, args: &[String]) -> ExitCode {
    let result = if command == "encode" {
        encode_command(args)
    } else {
        decode_command(args)
    };
    match result {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("kroki-standin {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

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
    if let Some(command @ ("encode" | "decode")) = args.first().map(String::as_str) {
        return run_codec(command, &args[1..]);
    }
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
