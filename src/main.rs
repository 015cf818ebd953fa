//! The `kroki-web` binary: `kroki-web` serves; `kroki-web healthcheck` checks a running server.

use kroki_web::config::{Config, SETTINGS};
use kroki_web::startup::Application;
use kroki_web::{healthcheck, panic_hook, telemetry};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve") => serve(),
        Some("healthcheck") => check_health(),
        Some("--version" | "-V") => {
            println!("kroki-web {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            print_help();
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("kroki-web: unknown command `{other}`; try `kroki-web --help`");
            ExitCode::from(2)
        }
    }
}

fn load_config() -> Result<Config, ExitCode> {
    Config::from_env().map_err(|error| {
        eprintln!("kroki-web: {error}");
        ExitCode::from(2)
    })
}

fn serve() -> ExitCode {
    let config = match load_config() {
        Ok(config) => config,
        Err(code) => return code,
    };
    telemetry::init(&config);
    panic_hook::install();
    let result = actix_web::rt::System::new().block_on(async move {
        let kroki_url = config.kroki_url.clone();
        let application = Application::build(config)?;
        tracing::info!(port = application.port(), kroki_url = %kroki_url, "kroki-web listening");
        application.run_until_stopped().await?;
        Ok::<_, kroki_web::startup::StartupError>(())
    });
    match result {
        Ok(()) => {
            tracing::info!("kroki-web stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "kroki-web failed");
            eprintln!("kroki-web: {error}");
            ExitCode::FAILURE
        }
    }
}

fn check_health() -> ExitCode {
    let config = match load_config() {
        Ok(config) => config,
        Err(code) => return code,
    };
    match healthcheck::check(&config, Duration::from_secs(3)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("kroki-web healthcheck: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the help; a closed pipe (`kroki-web --help | head`) ends it quietly, not in a panic.
fn print_help() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut text = format!(
        "kroki-web {}: a web editor, HTTP API and Kroki-compatible gateway in front of Kroki\n\n\
         Usage: kroki-web [serve]      serve HTTP (the default)\n       \
         kroki-web healthcheck  exit 0 if the local server answers /healthz, else 1\n\n\
         Configuration (environment variables):\n",
        env!("CARGO_PKG_VERSION")
    );
    for setting in SETTINGS {
        text.push_str(&format!(
            "  {:<24} default {:<26} {}\n",
            setting.variable, setting.default, setting.meaning
        ));
    }
    let _ = out.write_all(text.as_bytes());
}
