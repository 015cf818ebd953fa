//! The operations pack (deploy/monitoring/) against a real Prometheus: Debian's `prometheus`
//! scrapes the real binary, which runs against the stand-in Kroki, every second, with the
//! shipped rule file loaded; the test drives traffic (cache hits and misses, diagram errors, a
//! Kroki failure, a companion outage) and then asks Prometheus's HTTP API that the target is
//! up with no scrape errors, every rule evaluates, every recording rule has a value, the
//! companion-down alert fires, and every dashboard query parses and returns data.
//!
//! The rules are loaded from a test copy of `kroki-web.rules.yml` whose `for:` durations are
//! shortened to 1 s, so that an alert can fire within the test; the shipped file is not changed.
//! Without `prometheus` on the PATH the test fails when CI=true and is skipped otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

use kroki_standin::{Fault, StandIn};
use kroki_test_support::binary::{self, on_path};
use kroki_test_support::free_port;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RULES: &str = include_str!("../deploy/monitoring/kroki-web.rules.yml");
const DASHBOARD: &str = include_str!("../deploy/monitoring/kroki-web-dashboard.json");

/// Kills its process (and removes a scratch directory) when dropped, whatever the test did.
struct Guard {
    child: Child,
    scratch: Option<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(scratch) = &self.scratch {
            let _ = std::fs::remove_dir_all(scratch);
        }
    }
}

/// The rule file with every `for:` set to 1 s; returns it and how many were shortened.
fn rules_with_short_for(rules: &str) -> (String, usize) {
    let mut shortened = 0;
    let text = rules
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("for: ") && !trimmed.contains('#') {
                shortened += 1;
                format!("{}for: 1s", &line[..line.len() - trimmed.len()])
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (text, shortened)
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .get(reqwest::Url::parse_with_params(&format!("{}{path}", self.base), query).unwrap())
            .send()
            .await
            .expect("Prometheus answers");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON answer");
        assert!(
            status.is_success() && body["status"] == "success",
            "{path} {query:?}: {status} {body}"
        );
        body["data"].clone()
    }

    /// An instant query's result vector (the query must parse and evaluate).
    async fn query(&self, promql: &str) -> Vec<Value> {
        let data = self.get("/api/v1/query", &[("query", promql)]).await;
        assert_eq!(data["resultType"], "vector", "{promql}: {data}");
        data["result"].as_array().cloned().unwrap_or_default()
    }
}

fn value_of(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

/// One round of traffic: a fresh diagram (a miss), the same again (a hit), a diagram error,
/// a mermaid render (a companion failure while mermaid is down) and a /health request, which
/// refreshes the health gauges.
async fn drive(client: &reqwest::Client, app: &str, round: usize) {
    let source = format!("digraph {{ a -> b{round} }}");
    for body in [source.as_str(), source.as_str(), "SYNTAX_ERROR"] {
        client
            .post(format!("{app}/graphviz/svg"))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
    }
    client
        .post(format!("{app}/mermaid/svg"))
        .body(format!("graph LR\n  a --> b{round}"))
        .send()
        .await
        .unwrap();
    client.get(format!("{app}/health")).send().await.unwrap();
}

/// The tier-2 metric names (`kroki_web_cache_tier2_...`) a query reads.
fn tier2_names(query: &str) -> Vec<&str> {
    let mut names: Vec<&str> = query
        .match_indices("kroki_web_cache_tier2_")
        .map(|(start, _)| {
            let rest = &query[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether the exposition has a sample of `name` (`name{...} v` or `name v`).
fn has_sample(exposition: &str, name: &str) -> bool {
    exposition.lines().any(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
    })
}

/// Replaces the dashboard's Grafana variables with what this test's Prometheus has.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$job", "kroki-web")
        .replace("$instance", ".*")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_the_app_and_the_rules_and_dashboard_hold() {
    let Some(prometheus) = on_path("prometheus") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "prometheus is not installed (Debian package prometheus; run make setup)"
        );
        eprintln!("SKIPPED: prometheus is not on the PATH (install the Debian package prometheus, or run make setup)");
        return;
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs(80);

    // The app runs with its Redis tier, so the tier-2 rules and panels have series to read.
    let Some(redis_server) = on_path("redis-server") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "redis-server is not installed (Debian package redis-server; run make setup)"
        );
        eprintln!("SKIPPED: redis-server is not on the PATH (run make setup)");
        return;
    };
    let redis_port = free_port();
    let _redis = Guard {
        child: Command::new(redis_server)
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts"),
        scratch: None,
    };
    while tokio::net::TcpStream::connect(("127.0.0.1", redis_port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "redis-server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let redis_url = format!("redis://127.0.0.1:{redis_port}/0");

    let kroki = StandIn::start().await.unwrap();
    let app = binary::start(
        &kroki.url(),
        &[
            ("HEALTH_CACHE_TTL", "1s"),
            ("CACHE_REDIS_URL", redis_url.as_str()),
        ],
        Stdio::null(),
    )
    .await;
    let app_base = app.base.clone();
    let _app = Guard {
        child: app.process,
        scratch: None,
    };

    // The test copy of the rules and a config that scrapes the app every second.
    let scratch = std::env::temp_dir().join(format!(
        "kroki-web-monitoring-{}-{}",
        std::process::id(),
        started.elapsed().as_nanos()
    ));
    std::fs::create_dir_all(scratch.join("data")).unwrap();
    let (rules, shortened) = rules_with_short_for(RULES);
    assert!(
        shortened >= 8,
        "expected the alerts' for: lines, shortened {shortened}"
    );
    std::fs::write(scratch.join("rules.yml"), rules).unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {rules}\n\
         scrape_configs:\n  - job_name: kroki-web\n    static_configs:\n      - targets: ['{target}']\n",
        rules = scratch.join("rules.yml").display(),
        target = app_base.trim_start_matches("http://"),
    );
    std::fs::write(scratch.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let log = std::fs::File::create(scratch.join("prometheus.log")).unwrap();
    let child = Command::new(&prometheus)
        .arg(format!(
            "--config.file={}",
            scratch.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            scratch.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus starts");
    let mut prometheus = Guard {
        child,
        scratch: Some(scratch.clone()),
    };
    let log_path = scratch.join("prometheus.log");
    let log_text = move || std::fs::read_to_string(&log_path).unwrap_or_default();
    let api = Api {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    loop {
        if let Ok(response) = api.client.get(format!("{}/-/ready", api.base)).send().await {
            if response.status().is_success() {
                break;
            }
        }
        if let Ok(Some(status)) = prometheus.child.try_wait() {
            panic!("prometheus exited ({status}):\n{}", log_text());
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "prometheus was not ready within 30 s:\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Traffic: a Kroki failure (502s, outcome kroki_error), then mermaid goes down while
    // hits, misses and diagram errors continue, until the companion-down alert fires.
    let client = reqwest::Client::new();
    kroki.set_fault(Fault::Status(500));
    drive(&client, &app_base, 0).await;
    kroki.set_fault(Fault::None);
    kroki.set_companion_down("mermaid", true);
    let mut round = 1;
    let firing = loop {
        drive(&client, &app_base, round).await;
        round += 1;
        let alerts = api.get("/api/v1/alerts", &[]).await;
        let companion_down = alerts["alerts"].as_array().unwrap().iter().find(|alert| {
            alert["labels"]["alertname"] == "KrokiWebCompanionDown"
                && alert["labels"]["check"] == "mermaid"
                && alert["state"] == "firing"
        });
        if let Some(alert) = companion_down {
            break alert.clone();
        }
        assert!(
            Instant::now() < deadline,
            "KrokiWebCompanionDown{{check=\"mermaid\"}} did not fire: {alerts}\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(firing["labels"]["severity"], "warning", "{firing}");
    assert!(
        firing["annotations"]["runbook"]
            .as_str()
            .is_some_and(|runbook| runbook.contains("KROKI_MERMAID_HOST")),
        "{firing}"
    );
    // Both halves of the alert see the outage: /health's verdict and the failed renders.
    for promql in [
        r#"kroki_web_health_check{check="mermaid", status="unhealthy"} == 1"#,
        r#"kroki_web_kroki_requests_total{diagram_type="mermaid", outcome="companion_unavailable"} > 0"#,
        r#"kroki_web_kroki_requests_total{diagram_type="graphviz", outcome="kroki_error"} > 0"#,
        r#"kroki_web_kroki_requests_total{diagram_type="graphviz", outcome="diagram_error"} > 0"#,
        "kroki_web_cache_hits_total > 0",
    ] {
        assert!(
            !api.query(promql).await.is_empty(),
            "no sample for {promql}"
        );
    }
    // A few more scrapes and evaluations with the traffic in them.
    for _ in 0..3 {
        drive(&client, &app_base, round).await;
        round += 1;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }

    // Alerts that must stay silent while the app, its scrape and Kroki are fine.
    let alerts = api.get("/api/v1/alerts", &[]).await;
    for silent in [
        "KrokiWebTargetDown",
        "KrokiWebTargetMissing",
        "KrokiWebKrokiUnreachable",
        "KrokiWebHandlerPanics",
        "KrokiWebRedisUnreachable",
    ] {
        assert!(
            !alerts["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|alert| alert["labels"]["alertname"] == silent),
            "{silent} is active: {alerts}"
        );
    }

    // The target is up, every scrape so far succeeded, and nothing was dropped or refused.
    let targets = api.get("/api/v1/targets", &[]).await;
    let active = targets["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 1, "{targets}");
    assert_eq!(active[0]["labels"]["job"], "kroki-web", "{targets}");
    assert_eq!(active[0]["health"], "up", "{targets}");
    assert_eq!(active[0]["lastError"], "", "{targets}");
    let up = api.query(r#"min_over_time(up{job="kroki-web"}[5m])"#).await;
    assert!(up.len() == 1 && value_of(&up[0]) == 1.0, "{up:?}");
    let kept = api
        .query(r#"scrape_samples_post_metric_relabeling{job="kroki-web"}"#)
        .await;
    let scraped = api
        .query(r#"scrape_samples_scraped{job="kroki-web"}"#)
        .await;
    assert!(kept.len() == 1 && value_of(&kept[0]) > 100.0, "{kept:?}");
    assert_eq!(value_of(&kept[0]), value_of(&scraped[0]), "samples dropped");
    let own_metrics = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for counter in [
        "prometheus_target_scrapes_sample_out_of_order_total",
        "prometheus_target_scrapes_sample_duplicate_timestamp_total",
        "prometheus_target_scrapes_sample_out_of_bounds_total",
        "prometheus_target_scrapes_exceeded_sample_limit_total",
    ] {
        assert!(
            own_metrics
                .lines()
                .any(|line| line == format!("{counter} 0")),
            "{counter} is not 0 in Prometheus's own metrics"
        );
    }

    // Tier 2 (Redis): the app runs with it, so its hit, miss, call-latency, bytes and `up`
    // series must all be there and every query over them must return data. Only a family that
    // no event of this run touches (errors_total: Redis never fails here) may be absent, and a
    // query reading it is then skipped, with the reason printed.
    let exposition = client
        .get(format!("{app_base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unchecked_tier2 = |query: &str| -> Option<String> {
        if !query.contains("tier2") {
            return None;
        }
        let missing: Vec<&str> = tier2_names(query)
            .into_iter()
            .filter(|name| !has_sample(&exposition, name))
            .collect();
        assert!(
            missing
                .iter()
                .all(|name| name.starts_with("kroki_web_cache_tier2_errors")),
            "the Redis tier is on, yet {missing:?} has no sample in /metrics"
        );
        (!missing.is_empty()).then(|| format!("no sample of {missing:?} in /metrics"))
    };

    // Every rule evaluates without error, and every recording rule has a value.
    let groups = api.get("/api/v1/rules", &[]).await;
    let mut recordings = 0;
    let mut alerting = 0;
    for group in groups["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["name"].as_str().unwrap();
            assert_eq!(rule["health"], "ok", "{name}: {rule}");
            if rule["type"] == "alerting" {
                alerting += 1;
                continue;
            }
            recordings += 1;
            let query = rule["query"].as_str().unwrap();
            if let Some(reason) = unchecked_tier2(query) {
                eprintln!("not checked ({reason}): {name} {}", rule["labels"]);
                continue;
            }
            let selector = match rule["labels"].as_object() {
                Some(labels) => format!(
                    "{name}{{{}}}",
                    labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap()))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                None => name.to_owned(),
            };
            let result = api.query(&selector).await;
            assert!(!result.is_empty(), "recording rule {selector} has no value");
        }
    }
    assert!(recordings >= 13 && alerting >= 9, "{groups}");

    // Every dashboard query parses and returns data (variables as Grafana would fill them in).
    let dashboard: Value = serde_json::from_str(DASHBOARD).unwrap();
    let mut checked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = substitute(target["expr"].as_str().unwrap());
            if let Some(reason) = unchecked_tier2(&expr) {
                eprintln!(
                    "not checked ({reason}): {} {}",
                    panel["title"], target["legendFormat"]
                );
                continue;
            }
            let result = api.query(&expr).await;
            assert!(
                !result.is_empty(),
                "panel {} query {expr} returned no data",
                panel["title"]
            );
            checked += 1;
        }
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        let Some(definition) = variable["definition"].as_str() else {
            continue;
        };
        // label_values(<selector>, <label>) lists the values of <label> on <selector>.
        let inner = definition
            .strip_prefix("label_values(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|rest| rest.rsplit_once(", "))
            .expect("a label_values(selector, label) variable");
        let result = api
            .query(&substitute(&format!(
                "count by ({}) ({})",
                inner.1, inner.0
            )))
            .await;
        assert!(!result.is_empty(), "variable {definition} has no values");
    }
    assert!(checked >= 20, "only {checked} dashboard queries checked");
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
    drop(prometheus);
    assert!(
        !Path::new(&scratch).exists(),
        "the scratch directory is left"
    );
}

/// The Operator's PrometheusRule holds the rule file verbatim under `spec:` (generate.py), so
/// the Operator loads exactly the rules promtool and the test above check.
#[test]
fn the_prometheus_rule_is_the_rule_file() {
    let generated = include_str!("../deploy/kubernetes/monitoring/prometheusrule.yaml");
    assert!(generated.contains("\nkind: PrometheusRule\n"));
    let (_, spec) = generated.split_once("\nspec:\n").expect("a spec");
    let unindented: String = spec
        .lines()
        .map(|line| line.strip_prefix("  ").unwrap_or(line))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        unindented == RULES,
        "deploy/kubernetes/monitoring/prometheusrule.yaml is stale: run python3 deploy/monitoring/generate.py"
    );
}

/// What Grafana needs to import the dashboard as is: a uid, a data source variable every
/// panel uses, unique panel ids, unique refIds per panel, and panels on the 24-column grid
/// without overlaps.
#[test]
fn the_dashboard_has_an_importable_shape() {
    let dashboard: Value = serde_json::from_str(DASHBOARD).unwrap();
    assert_eq!(dashboard["uid"], "kroki-web");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 36);
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(variables.iter().any(|v| v["type"] == "datasource"
        && v["name"] == "datasource"
        && v["query"] == "prometheus"));
    let mut ids = std::collections::HashSet::new();
    let mut cells = std::collections::HashSet::new();
    let mut queries = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = &panel["title"];
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "{title}: id reused"
        );
        let grid = &panel["gridPos"];
        let (x, y, w, h) = ["x", "y", "w", "h"]
            .map(|k| grid[k].as_u64().unwrap())
            .into();
        assert!(x + w <= 24 && w > 0 && h > 0, "{title}: {grid}");
        for column in x..x + w {
            for row in y..y + h {
                assert!(
                    cells.insert((column, row)),
                    "{title} overlaps another panel"
                );
            }
        }
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{title}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        let mut refs = std::collections::HashSet::new();
        for target in targets {
            assert!(refs.insert(target["refId"].as_str().unwrap()), "{title}");
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
            assert!(!target["expr"].as_str().unwrap().is_empty(), "{title}");
            queries += 1;
        }
    }
    assert!(queries >= 20, "{queries} queries");
}

#[test]
fn tier2_queries_are_gated_on_the_series_they_read() {
    let query = "histogram_quantile(0.99, sum by (le) (rate(kroki_web_cache_tier2_call_duration_seconds_bucket[5m]))) + kroki_web_cache_tier2_up";
    assert_eq!(
        tier2_names(query),
        [
            "kroki_web_cache_tier2_call_duration_seconds_bucket",
            "kroki_web_cache_tier2_up"
        ]
    );
    let exposition = "# TYPE kroki_web_cache_tier2_up gauge\nkroki_web_cache_tier2_up 1\nkroki_web_cache_tier2_up_extra 2\n";
    assert!(has_sample(exposition, "kroki_web_cache_tier2_up"));
    assert!(!has_sample(exposition, "kroki_web_cache_tier2_u"));
    assert!(!has_sample(
        exposition,
        "kroki_web_cache_tier2_call_duration_seconds_bucket"
    ));
}

#[test]
fn the_test_copy_shortens_every_for_and_nothing_else() {
    let (copy, shortened) = rules_with_short_for(RULES);
    let alerts_with_for = RULES.matches("\n        for: ").count();
    assert_eq!(shortened, alerts_with_for);
    assert_eq!(copy.lines().count(), RULES.lines().count());
    assert_eq!(copy.matches("for: 1s").count(), shortened);
    assert_eq!(
        copy.lines()
            .filter(|l| !l.contains("for: "))
            .collect::<Vec<_>>(),
        RULES
            .lines()
            .filter(|l| !l.contains("for: "))
            .collect::<Vec<_>>()
    );
}
