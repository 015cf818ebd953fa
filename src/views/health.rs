//! The health status page `/health` sends browsers (`text/html`): Kroki and each companion,
//! with their status, response time and what they affect.

use super::{render_page, Layout};
use crate::health::{HealthReport, Status};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

/// One row of the status page.
struct CheckRow {
    name: String,
    status: &'static str,
    response_time: String,
    message: String,
    affects: String,
}

#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    layout: Layout,
    status: &'static str,
    timestamp: String,
    version: &'static str,
    kroki_version: Option<String>,
    affected: Vec<&'static str>,
    rows: Vec<CheckRow>,
}

/// The status page: Kroki and each companion, status, response time, what is affected. Kroki's
/// internal address is left out (the JSON report has it, for operators).
pub fn page(report: &HealthReport, status: StatusCode) -> HttpResponse {
    let kroki = report.checks.get("kroki");
    let kroki_url = kroki.and_then(|check| check.url.clone());
    let kroki_down = kroki.is_none_or(|check| check.status == Status::Unhealthy);
    let mut affected = Vec::new();
    let rows = report
        .checks
        .iter()
        .map(|(name, check)| {
            let affects = match (name.as_str(), &check.diagram_types) {
                ("service", _) => "this app".to_owned(),
                ("kroki", _) => "every diagram type".to_owned(),
                (_, Some(types)) => types.join(", "),
                _ => String::new(),
            };
            if check.status != Status::Healthy && !kroki_down {
                affected.extend(check.diagram_types.iter().flatten().copied());
            }
            let mut message = check.message.clone();
            if let Some(url) = &kroki_url {
                message = message.replace(&format!(" at {url}"), "");
            }
            CheckRow {
                name: name.clone(),
                status: check.status.as_str(),
                response_time: check
                    .response_time_ms
                    .map_or_else(|| "not timed".to_owned(), |ms| format!("{ms} ms")),
                message,
                affects,
            }
        })
        .collect();
    if kroki_down {
        affected = vec!["every diagram type"];
    }
    let page = HealthPage {
        layout: Layout::new(),
        status: report.status.as_str(),
        timestamp: report.timestamp.clone(),
        version: report.version,
        kroki_version: kroki.and_then(|check| check.version.clone()),
        affected,
        rows,
    };
    let nonce = page.layout.nonce.clone();
    render_page(status, &nonce, page.render())
}
