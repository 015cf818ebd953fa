# syntax=docker/dockerfile:1
#
# kroki-web container image: a release build of the `kroki-web` binary on distroless.
#
#   docker build -t kroki-web:local .
#   docker run --rm -p 8080:8080 -e KROKI_URL=http://kroki:8000 kroki-web:local
#
# The build stage caches dependencies in their own layer: it first compiles the workspace
# with placeholder sources, so editing src/ only recompiles the app itself. The runtime stage
# holds the binary and nothing else; templates and static assets are compiled into it, and
# distroless supplies glibc, libgcc and the CA certificates that rustls reads for https Kroki URLs.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src

# 1. Dependencies. Cargo loads the whole workspace even to build one binary, so it needs every
#    member's manifest (the stand-in Kroki's and the test support's too: tests only, never
#    shipped) and a file for every target a manifest declares ([[bin]], [[bench]], [[test]],
#    [[example]]): placeholders do. The encoding crate is a dependency of the app: its
#    placeholder is built here, its source in step 2.
COPY Cargo.toml Cargo.lock ./
COPY standin/Cargo.toml standin/Cargo.toml
COPY encoding/Cargo.toml encoding/Cargo.toml
COPY test-support/Cargo.toml test-support/Cargo.toml
RUN mkdir -p src standin/src encoding/src test-support/src \
    && touch src/lib.rs standin/src/lib.rs encoding/src/lib.rs test-support/src/lib.rs \
    && echo 'fn main() {}' > src/main.rs \
    && for manifest in Cargo.toml standin/Cargo.toml encoding/Cargo.toml test-support/Cargo.toml; do \
         awk -F'"' -v dir="$(dirname "$manifest")" ' \
           /^\[/ { kind = "" } \
           /^\[\[bin\]\]/ { kind = "src/bin" } \
           /^\[\[bench\]\]/ { kind = "benches" } \
           /^\[\[test\]\]/ { kind = "tests" } \
           /^\[\[example\]\]/ { kind = "examples" } \
           kind != "" && $1 ~ /^name *= *$/ { print dir "/" kind "/" $2 ".rs" } \
           kind != "" && $1 ~ /^path *= *$/ { print dir "/" $2 }' "$manifest"; \
       done | while read -r target; do \
         mkdir -p "$(dirname "$target")" && echo 'fn main() {}' > "$target"; \
       done \
    && cargo build --release --locked -p kroki-web --bin kroki-web \
    && rm -rf src encoding/src

# 2. The app. Templates and static files are embedded at compile time. The touch makes cargo
#    see the real sources as newer than the placeholder build, whatever their copied mtimes.
COPY encoding/src encoding/src
COPY src src
COPY templates templates
COPY static static
RUN touch src/main.rs src/lib.rs encoding/src/lib.rs \
    && cargo build --release --locked -p kroki-web --bin kroki-web \
    && ./target/release/kroki-web --version

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="kroki-web" \
      org.opencontainers.image.description="A web editor, HTTP API and caching Kroki-compatible gateway in front of Kroki" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT"

COPY --from=build /src/target/release/kroki-web /usr/local/bin/kroki-web

# Defaults from the README's configuration table (src/config.rs SETTINGS); every other
# setting keeps its built-in default. scripts/lint-containers.sh checks they still agree.
ENV KROKI_URL=http://localhost:8000 \
    LISTEN_HOST=0.0.0.0 \
    PORT=8080 \
    LOG_LEVEL=info \
    LOG_FORMAT=text

EXPOSE 8080
# distroless's `nonroot` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 65532:65532

# Exec form: distroless has no shell. The subcommand asks the local /healthz (process liveness
# only); Kroki and its companions are judged by /health, which is for monitoring, not restarts.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/kroki-web", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/kroki-web"]
