#!/usr/bin/env bash
# Checks the operations pack in deploy/monitoring/ (`make check-monitoring`, a step of `make test`):
#
#   1. promtool check rules: the rule file parses, every expression is valid PromQL
#   2. promtool test rules deploy/monitoring/tests/*.yml: each alert fires on a series that
#      should fire it and stays silent on ones that should not; the recording rules' values
#   3. promtool check config on the example scrape configs. Debian's Prometheus is built
#      without Kubernetes service discovery, so prometheus-kubernetes.yml is checked with its
#      kubernetes_sd_configs swapped for an empty static_configs (its relabelling is still checked)
#   4. the generated files (Grafana dashboard, Kubernetes PrometheusRule) are up to date
#
# The real-Prometheus test (tests/monitoring.rs) runs with the Rust tests.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v promtool >/dev/null 2>&1 || { echo "check-monitoring: promtool is missing (Debian package prometheus; make setup)" >&2; exit 2; }
dir=deploy/monitoring

promtool check rules "$dir/kroki-web.rules.yml"
promtool test rules "$dir"/tests/*.yml
promtool check config "$dir/prometheus.yml"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp "$dir/kroki-web.rules.yml" "$scratch/"
sed -e 's/^    kubernetes_sd_configs:$/    static_configs:/' -e 's/^      - role: pod$/      - targets: []/' \
  "$dir/prometheus-kubernetes.yml" >"$scratch/prometheus-kubernetes.yml"
if cmp -s "$dir/prometheus-kubernetes.yml" "$scratch/prometheus-kubernetes.yml"; then
  echo "check-monitoring: found no kubernetes_sd_configs to swap in prometheus-kubernetes.yml" >&2
  exit 1
fi
promtool check config "$scratch/prometheus-kubernetes.yml"

python3 "$dir/generate.py" --check
echo "check-monitoring: rules, rule tests, scrape configs and generated files OK"
