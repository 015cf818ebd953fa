//! Logging: readable lines by default, one JSON object per line with `LOG_FORMAT=json`.

use crate::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// actix-http logs each malformed or refused connection (a bad head, a 431, a reset) at ERROR:
/// any client could fill the log, and none of it is the server's fault. Quiet unless a
/// `LOG_LEVEL` directive names actix_http itself.
const QUIET_CONNECTION_ERRORS: &str = "actix_http::h1::dispatcher=off";

pub fn init(config: &Config) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(&config.log_level))
        .with_target(false);
    let result = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // Already initialised (a second call in one process) is not an error worth stopping for.
    let _ = result;
}

/// The filter for `LOG_LEVEL`, with connection errors quieted unless it names actix_http.
fn filter(log_level: &str) -> EnvFilter {
    let filter = EnvFilter::try_new(log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    if log_level.contains("actix_http") {
        return filter;
    }
    match QUIET_CONNECTION_ERRORS.parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_are_quiet_unless_asked_for() {
        assert!(filter("info")
            .to_string()
            .contains("actix_http::h1::dispatcher=off"));
        assert!(filter("warn,kroki_web=debug")
            .to_string()
            .contains("actix_http::h1::dispatcher=off"));
        let asked = filter("info,actix_http=debug").to_string();
        assert!(!asked.contains("=off"), "{asked}");
    }
}
