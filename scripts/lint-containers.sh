#!/usr/bin/env bash
# Checks the container and deployment files with no container engine (`make lint-containers`):
#
#   1. hadolint on the Dockerfile (.hadolint.yaml: every finding fails)
#   2. the Dockerfile agrees with the code: ENV defaults = src/config.rs SETTINGS,
#      ARG VERSION = Cargo.toml version, EXPOSE = PORT, every workspace member's manifest and every
#      file the code embeds (include_str!/include_bytes!) copied into the build stage
#   3. docker-compose.yml validated by Docker Compose v2 (`config`, which checks the Compose
#      Specification schema and references such as depends_on) with and without the
#      diagramsnet profile, plus this project's own rules (pinned images: Kroki's to
#      $KROKI_VERSION, others such as Redis to a release; app-only ports)
#   4. every Kubernetes manifest validated by kubernetes-validate against Kubernetes
#      $K8S_VERSION, strictly (unknown fields fail); kustomization.yaml lists exactly them; the same
#      for deploy/kubernetes/monitoring/ (Prometheus Operator CRDs: kubernetes-validate has no
#      schema for ServiceMonitor or PrometheusRule and only warns, so their spec is checked by
#      scripts/check-monitoring.sh and the ServiceMonitor's selector and port here)
#   5. shellcheck on scripts/*.sh and .ci/run
#
# Tools come from scripts/setup-container-tools.sh. Prints one PASS/FAIL line per check and
# exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${K8S_VERSION:-1.31.0}"
KROKI_VERSION="0.32.1"
TOOLS_DIR="${CONTAINER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kroki-web/container-tools}"
MANIFEST_DIR="deploy/kubernetes"

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }

tool() {
  if [[ -x "$TOOLS_DIR/bin/$1" ]]; then
    printf '%s\n' "$TOOLS_DIR/bin/$1"
  elif command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
  else
    printf 'lint-containers: %s is missing; run scripts/setup-container-tools.sh first\n' "$1" >&2
    exit 2
  fi
}
HADOLINT="$(tool hadolint)"
COMPOSE="$(tool compose)"
KUBERNETES_VALIDATE="$(tool kubernetes-validate)"
SHELLCHECK="$(tool shellcheck)"
# The tools virtualenv has PyYAML (a kubernetes-validate dependency) and tomllib (3.11+).
PYTHON="$TOOLS_DIR/bin/python"
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"

# --- 1. hadolint ----------------------------------------------------------------------------
if "$HADOLINT" --no-color --config .hadolint.yaml Dockerfile; then
  pass "hadolint Dockerfile: no findings ($("$HADOLINT" --version | head -n1))"
else
  fail "hadolint Dockerfile"
fi

# --- 2. Dockerfile against the code ---------------------------------------------------------
if "$PYTHON" - <<'PY'
import re, sys, tomllib

dockerfile = open("Dockerfile", encoding="utf-8").read()
# Join continuation lines, then keep the last stage (the image that ships).
logical = re.sub(r"\\\n", " ", dockerfile)
stages = re.split(r"(?m)^FROM\s", logical)
runtime = stages[-1]
env = {}
for line in runtime.splitlines():
    if line.startswith("ENV "):
        for key, value in re.findall(r'([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)', line):
            env[key] = value.strip('"')
config = open("src/config.rs", encoding="utf-8").read()
settings = dict(re.findall(r'variable:\s*"([A-Z_]+)",\s*default:\s*"([^"]*)"', config))
problems = []
if not settings:
    problems.append("found no Setting { variable, default } entries in src/config.rs")
for key, value in env.items():
    if key not in settings:
        problems.append(f"ENV {key} is not a setting of src/config.rs")
    elif settings[key] != value:
        problems.append(f"ENV {key}={value} but the documented default is {settings[key]}")
version = tomllib.load(open("Cargo.toml", "rb"))["package"]["version"]
arg = re.search(r"(?m)^ARG VERSION=(\S+)", dockerfile)
if not arg or arg.group(1) != version:
    problems.append(f"ARG VERSION={arg and arg.group(1)} but Cargo.toml says {version}")
# Cargo resolves the whole workspace even for `-p kroki-web`: every other member's manifest must
# reach the build stage (Dockerfile COPY and the .dockerignore allowlist).
members = tomllib.load(open("Cargo.toml", "rb"))["workspace"]["members"]
dockerignore = open(".dockerignore", encoding="utf-8").read().split()
for member in (m.strip("./") for m in members if m.strip("./")):
    if not re.search(rf"(?m)^COPY {re.escape(member)}/Cargo\.toml ", dockerfile):
        problems.append(f"workspace member {member}: its Cargo.toml is not copied into the build stage")
    if f"!{member}/Cargo.toml" not in dockerignore:
        problems.append(f"workspace member {member}: .dockerignore does not allow {member}/Cargo.toml")
# Files the code embeds at compile time must be inside what the build stage copies.
import glob, os
build_stage = stages[1] if len(stages) > 2 else ""
copied = {src.rstrip("/") for src in re.findall(r"(?m)^COPY\s+(?!--)(\S+)\s+\S+\s*$", build_stage)}
for source in glob.glob("src/**/*.rs", recursive=True):
    text = open(source, encoding="utf-8").read()
    for included in re.findall(r'include_(?:str|bytes)!\(\s*"([^"]+)"', text):
        path = os.path.normpath(os.path.join(os.path.dirname(source), included))
        if not any(path == c or path.startswith(c + "/") for c in copied):
            problems.append(f"{source} embeds {path}, which the build stage does not copy")
exposed = re.findall(r"(?m)^EXPOSE\s+(\d+)", runtime)
if exposed != [env.get("PORT", settings.get("PORT"))]:
    problems.append(f"EXPOSE {exposed} does not match PORT {env.get('PORT')}")
for problem in problems:
    print(f"  {problem}")
sys.exit(1 if problems else 0)
PY
then
  pass "Dockerfile agrees with the code: ENV defaults, ARG VERSION, EXPOSE, workspace manifests, embedded files"
else
  fail "Dockerfile disagrees with src/config.rs or Cargo.toml"
fi

# --- 3. Compose ------------------------------------------------------------------------------
compose_json="$(mktemp)"
trap 'rm -f "$compose_json"' EXIT
for profile in "" diagramsnet; do
  label="docker-compose.yml${profile:+ --profile $profile}"
  args=(-f docker-compose.yml)
  [[ -z "$profile" ]] || args+=(--profile "$profile")
  if "$COMPOSE" "${args[@]}" config --quiet \
    && "$COMPOSE" "${args[@]}" config --format json >"$compose_json"; then
    services="$(jq -r '.services | keys | join(",")' "$compose_json")"
    pass "compose config $label: valid ($services)"
  else
    fail "compose config $label"
    continue
  fi
  if KROKI_VERSION="$KROKI_VERSION" "$PYTHON" - "$compose_json" <<'PY'
import json, os, sys

project = json.load(open(sys.argv[1]))
services = project["services"]
version = os.environ["KROKI_VERSION"]
problems = []
for name, service in services.items():
    image = service.get("image", "")
    if image.startswith("yuzutech/") and not image.endswith(":" + version):
        problems.append(f"{name}: image {image!r} is not pinned to Kroki {version}")
    elif name != "app" and (":" not in image or image.endswith(":latest")):
        problems.append(f"{name}: image {image!r} is not pinned to a release")
    if name != "app" and service.get("ports"):
        problems.append(f"{name}: publishes ports; only the app may (use an override file)")
    if "healthcheck" not in service:
        problems.append(f"{name}: has no healthcheck")
app = services["app"]
env = app.get("environment", {})
if env.get("KROKI_URL") != "http://kroki:8000":
    problems.append(f"app: KROKI_URL is {env.get('KROKI_URL')!r}, not http://kroki:8000")
for key in ("read_only",):
    if not app.get(key):
        problems.append(f"app: {key} is not set")
if "ALL" not in app.get("cap_drop", []):
    problems.append("app: cap_drop does not drop ALL")
if not any(o.startswith("no-new-privileges") for o in app.get("security_opt", [])):
    problems.append("app: no-new-privileges is not set")
if app.get("depends_on", {}).get("kroki", {}).get("condition") != "service_healthy":
    problems.append("app: does not wait for a healthy kroki")
for problem in problems:
    print(f"  {problem}")
sys.exit(1 if problems else 0)
PY
  then
    pass "compose rules $label: images pinned (Kroki's to $KROKI_VERSION), only the app published, hardened app"
  else
    fail "compose rules $label"
  fi
done

# --- 4. Kubernetes -----------------------------------------------------------------------------
for dir in "$MANIFEST_DIR" "$MANIFEST_DIR/monitoring"; do
  mapfile -t manifests < <(find "$dir" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)
  if ((${#manifests[@]} == 0)); then
    fail "no Kubernetes manifests in $dir"
  elif "$KUBERNETES_VALIDATE" --kubernetes-version "$K8S_VERSION" --strict --quiet "${manifests[@]}"; then
    objects="$(cat "${manifests[@]}" | grep -c '^kind:')"
    skipped="$(cat "${manifests[@]}" | grep -c '^apiVersion: monitoring.coreos.com/' || true)"
    pass "kubernetes-validate --strict (Kubernetes $K8S_VERSION): ${#manifests[@]} manifests in $dir, $objects objects ($skipped Operator CRD objects: no schema, skipped)"
  else
    fail "kubernetes-validate (Kubernetes $K8S_VERSION) in $dir"
  fi
  if "$PYTHON" - "$dir" <<'PY'
import os, sys, yaml

directory = sys.argv[1]
kustomization = yaml.safe_load(open(os.path.join(directory, "kustomization.yaml")))
listed = kustomization.get("resources", [])
present = sorted(f for f in os.listdir(directory) if f.endswith(".yaml") and f != "kustomization.yaml")
problems = []
if kustomization.get("kind") != "Kustomization":
    problems.append("kustomization.yaml is not a Kustomization")
problems += [f"listed but missing: {f}" for f in listed if f not in present]
problems += [f"present but not listed: {f}" for f in present if f not in listed]
for problem in problems:
    print(f"  {problem}")
sys.exit(1 if problems else 0)
PY
  then
    pass "$dir/kustomization.yaml lists exactly the ${#manifests[@]} manifests"
  else
    fail "$dir/kustomization.yaml does not match the manifests"
  fi
done
if "$PYTHON" - "$MANIFEST_DIR" <<'PY'
import os, sys, yaml

directory = sys.argv[1]
monitor = yaml.safe_load(open(os.path.join(directory, "monitoring", "servicemonitor.yaml")))
service = yaml.safe_load(open(os.path.join(directory, "app-service.yaml")))
problems = []
wanted = monitor["spec"]["selector"]["matchLabels"]
labels = service["metadata"]["labels"]
if any(labels.get(k) != v for k, v in wanted.items()):
    problems.append(f"ServiceMonitor selects {wanted}, the Service is labelled {labels}")
ports = {p.get("name") for p in service["spec"]["ports"]}
for endpoint in monitor["spec"]["endpoints"]:
    if endpoint.get("port") not in ports:
        problems.append(f"ServiceMonitor port {endpoint.get('port')!r} is not a port of the Service {sorted(ports)}")
for problem in problems:
    print(f"  {problem}")
sys.exit(1 if problems else 0)
PY
then
  pass "ServiceMonitor selects the kroki-web Service and its port"
else
  fail "ServiceMonitor does not match the kroki-web Service"
fi

# --- 5. shellcheck -------------------------------------------------------------------------------
shell_files=(scripts/*.sh)
[[ ! -f .ci/run ]] || shell_files+=(.ci/run)
if "$SHELLCHECK" --external-sources "${shell_files[@]}"; then
  pass "shellcheck: ${#shell_files[@]} scripts clean (${shell_files[*]})"
else
  fail "shellcheck"
fi

if ((failures)); then
  printf 'lint-containers: %d check(s) failed\n' "$failures"
  exit 1
fi
printf 'lint-containers: all checks passed\n'
