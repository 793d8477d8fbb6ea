# The tarsplane image: one binary, every service (`tarsplane up`, or `tarsplane serve <service>`
# per Kubernetes workload).
#
#   docker build -t tarsplane .
#   docker run --rm -p 17890:17890 -p 9100:9100 tarsplane                 # tarsplane up
#   docker run --rm tarsplane serve stat --config /etc/tarsplane/tarsplane.toml
#
# Build arguments: RUST_VERSION (the toolchain; the dependencies need 1.89 or later),
# STRIP_DEBUG=0 keeps the release profile's line tables in the binary (about 100 MB instead of
# about 20 MB).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# --- source: the build context, and a skeleton of it for the dependency layer --------------
# The skeleton keeps every Cargo.toml and Cargo.lock as they are and replaces every Rust file
# with an empty `fn main() {}`. It changes only when a manifest, the lockfile or the set of
# Rust files changes, so the dependency build below stays cached across code-only changes.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS source
WORKDIR /src
COPY . .
RUN set -eu; \
    mkdir /skeleton; \
    printf 'fn main() {}\n' > /tmp/stub.rs; \
    find . -type f \( -name Cargo.toml -o -name Cargo.lock \) -exec cp --parents {} /skeleton/ \; ; \
    find . -type f -name '*.rs' -exec sh -c \
        'for f; do mkdir -p "/skeleton/${f%/*}"; cp /tmp/stub.rs "/skeleton/$f"; done' sh {} +

# --- builder ------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
ARG STRIP_DEBUG=1
ENV CARGO_TERM_COLOR=never
WORKDIR /src

# 1. Every dependency, built against the skeleton (cached until a manifest or Cargo.lock changes).
COPY --from=source /skeleton/ ./
RUN cargo build --release --locked -p tarsplane

# 2. The real sources. COPY keeps the files' own modification times, which can be older than
#    the skeleton build, so touch them: cargo then rebuilds the workspace crates.
COPY --from=source /src/ ./
RUN find . -path ./target -prune -o -type f -name '*.rs' -exec touch {} + \
 && cargo build --release --locked -p tarsplane \
 && if [ "$STRIP_DEBUG" = 1 ]; then objcopy --strip-debug target/release/tarsplane; fi \
 && install -m 0755 target/release/tarsplane /usr/local/bin/tarsplane \
 && /usr/local/bin/tarsplane --version

# --- runtime ------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim

LABEL org.opencontainers.image.title="tarsplane" \
      org.opencontainers.image.description="The TARS framework's data plane (registry, stat, property, log, notify, monitor query) for K8SFramework" \
      org.opencontainers.image.licenses="Apache-2.0"

# ca-certificates: TLS to Elasticsearch and the Kubernetes API; tzdata: time_zone = "local"
# with TZ set, and IANA zone names.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 65532 tarsplane \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/tarsplane --no-create-home \
        --shell /usr/sbin/nologin tarsplane \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/tarsplane

COPY --from=builder /usr/local/bin/tarsplane /usr/local/bin/tarsplane

# Relative paths of the configuration (data/tarsplane.sqlite, data/sink/spool,
# data/remote_app_log, data/registry.yaml) resolve here; mount a volume to keep them.
WORKDIR /var/lib/tarsplane
USER 65532:65532

# registry QueryObj, RegistryObj; stat; property; notify; log LogObj, TopologyObj; querystat;
# queryproperty; config; adminreg; admin
EXPOSE 17890 17891 17000 14000 13111 12111 13030 16000 15000 11111 19111 9100

ENTRYPOINT ["tarsplane"]
CMD ["up"]
