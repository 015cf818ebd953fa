# The verbs a newcomer needs. `make run` starts the product against $KROKI_URL;
# `make test` runs every test on a fresh machine (it installs what the tests need).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run run-standin test test-rust test-browser lint fmt setup assets bench loadtest fuzz deny docker-build docker-test lint-containers container-smoke check-openapi check-monitoring help

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

run: ## Start kroki-web on :8080 against $$KROKI_URL (default http://localhost:8000)
	$(CARGO) run --release --bin kroki-web

run-standin: ## Start the stand-in Kroki on 127.0.0.1:8000 (for trying the app without Kroki)
	$(CARGO) run --release -p kroki-standin -- --listen 127.0.0.1:8000

setup: ## Install what the tests need (Debian packages, linters); idempotent
	scripts/setup-test-env.sh

test: setup ## Everything CI runs: lint, unit, black-box, browser and container checks
	scripts/test-all.sh

test-rust: ## Only the Rust test suites (no set-up)
	$(CARGO) test --workspace --locked

test-browser: ## Only the browser tests (installs Chromium first)
	scripts/setup-browser.sh
	$(CARGO) test -p kroki-web --test browser

check-monitoring: ## promtool checks and tests of deploy/monitoring/, generated files up to date
	scripts/check-monitoring.sh

check-openapi: ## Validate the OpenAPI document and run schemathesis against the app
	scripts/check-openapi.sh

assets: ## Rebuild the editor's script bundle into static/ from web/ (npm ci + esbuild)
	cd web && npm ci && npm run build

lint: ## rustfmt and clippy, as CI runs them
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

bench: ## Benchmark the app against nginx in front of the same upstream (installs nginx, wrk)
	scripts/bench.sh

loadtest: ## Bounded load test: 256 connections, >= 100,000 requests, 70% hits, 20% misses, 10% errors (docs/loadtest.md)
	scripts/loadtest.sh

fuzz: ## Run each cargo-fuzz target for FUZZ_SECONDS (default 600) seconds (docs/fuzzing.md)
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),600)

deny: ## cargo deny: licences, bans and sources of the dependency tree (deny.toml)
	cargo deny check licenses bans sources

lint-containers: ## hadolint, compose and Kubernetes validation, shellcheck
	scripts/lint-containers.sh

container-smoke: ## Run the release binary as a container would (unprivileged, read-only)
	scripts/container-smoke.sh

docker-build: ## Build the container image (needs Docker)
	docker build -t kroki-web:local .

docker-test: ## Build, start the compose stack, run the end-to-end suite, tear down (needs Docker)
	scripts/test-docker.sh
