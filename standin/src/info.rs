//! The informational endpoints (§5): `/health` (and aliases), `/metrics` and the hello page `/`.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::catalog::{BUILD_HASH, KROKI_VERSION, TYPES};

/// `GET /health`: `{"status":"pass","version":{"kroki":{...}, "<type>":"<version>", ...}}`.
pub fn health_json() -> String {
    health_json_with(&std::collections::BTreeMap::new())
}

/// `/health` with some versions replaced (`kroki` replaces Kroki's number), as after an upgrade.
pub fn health_json_with(versions: &std::collections::BTreeMap<String, String>) -> String {
    let version = |name: &str, default: &'static str| -> String {
        versions
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let mut out = format!(
        "{{\"status\":\"pass\",\"version\":{{\"kroki\":{{\"number\":{},\"build_hash\":{}}}",
        quote(&version("kroki", KROKI_VERSION)),
        quote(BUILD_HASH)
    );
    for ty in TYPES.iter() {
        out.push_str(&format!(
            ",{}:{}",
            quote(ty.name),
            quote(&version(ty.name, ty.version))
        ));
    }
    out.push_str("}}");
    out
}

/// `GET /metrics`: the two Prometheus gauges Kroki exposes.
pub fn metrics_text() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!(
        "# HELP kroki_worker_thread_blocked_percentage The percentage of worker thread blocked.\n\
# TYPE kroki_worker_thread_blocked_percentage gauge\n\
kroki_worker_thread_blocked_percentage 0 {millis}\n\
\n\
# HELP kroki_event_loop_thread_blocked_percentage The percentage of event loop thread blocked.\n\
# TYPE kroki_event_loop_thread_blocked_percentage gauge\n\
kroki_event_loop_thread_blocked_percentage 0 {millis}\n\
\n"
    )
}

/// `GET /`: a small version of Kroki's hello page, with the version table.
pub fn hello_html() -> String {
    let mut rows = String::new();
    for ty in TYPES.iter() {
        rows.push_str(&format!(
            "<tr>\n  <td>\n    <code>/{}</code>\n  </td>\n  <td class=\"has-text-right\">{}</td>\n</tr>\n",
            ty.name, ty.version
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Kroki!</title>\n  </head>\n\
<body>\n<section class=\"section\">\n  <div class=\"container\">\n    \
<a href=\"https://kroki.io\" target=\"_blank\" rel=\"noopener noreferrer\">Kroki</a>\n    \
<h1 class=\"subtitle\">Creates <strong>diagrams</strong> from <strong>textual</strong> descriptions!</h1>\n    \
<p>This is kroki-standin, a stand-in that imitates Kroki's HTTP API for tests.</p>\n    \
<h2 class=\"title is-2\">Versions</h2>\n    <div class=\"table-container\">\n  \
<table class=\"table is-narrow is-fullwidth\">\n    <thead>\n    <tr>\n      <th>Service</th>\n      \
<th class=\"has-text-right\">Version</th>\n    </tr>\n    </thead>\n    <tbody>\n{rows}    </tbody>\n  </table>\n</div>\n  \
</div>\n</section>\n<footer class=\"footer\">\n  <div class=\"content has-text-centered\">\n    \
<p><span class=\"tag\">{KROKI_VERSION} ({BUILD_HASH})</span></p>\n  </div>\n</footer>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_has_all_names() {
        let value: serde_json::Value =
            serde_json::from_str(&health_json()).unwrap_or(serde_json::Value::Null);
        assert_eq!(value["status"], "pass");
        let version = value["version"].as_object().cloned().unwrap_or_default();
        assert_eq!(version.len(), 32);
        assert_eq!(value["version"]["kroki"]["number"], "0.32.1");
        assert_eq!(value["version"]["kroki"]["build_hash"], "standin");
        assert_eq!(value["version"]["goat"], "undefined");
        assert_eq!(value["version"]["dot"], "14.1.3");
    }

    #[test]
    fn health_reports_replaced_versions() {
        let mut versions = std::collections::BTreeMap::new();
        versions.insert("kroki".to_owned(), "0.33.0".to_owned());
        versions.insert("graphviz".to_owned(), "15.0.0".to_owned());
        let value: serde_json::Value =
            serde_json::from_str(&health_json_with(&versions)).unwrap_or(serde_json::Value::Null);
        assert_eq!(value["version"]["kroki"]["number"], "0.33.0");
        assert_eq!(value["version"]["graphviz"], "15.0.0");
        assert_eq!(value["version"]["dot"], "14.1.3");
    }

    #[test]
    fn metrics_format() {
        let text = metrics_text();
        assert!(text.starts_with("# HELP kroki_worker_thread_blocked_percentage"));
        assert!(text.ends_with("\n\n"));
        assert_eq!(text.lines().count(), 8);
    }

    #[test]
    fn hello_has_version_rows() {
        let html = hello_html();
        assert!(html.contains("https://kroki.io"));
        assert!(html.contains("0.32.1 (standin)"));
        assert!(html.contains(
            "<code>/mermaid</code>\n  </td>\n  <td class=\"has-text-right\">11.16.0</td>"
        ));
    }
}
