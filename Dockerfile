# syntax=docker/dockerfile:1
#
# Gatehouse container image.
#
#   docker build -t gatehouse .
#   docker run --rm -e DATABASE_URL=... gatehouse migrate
#   docker run --rm -p 8000:8000 -e DATABASE_URL=... -e GATEHOUSE_SECRET_KEY=... gatehouse
#
# docker-compose.yml runs it together with PostgreSQL.

# ---------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------
# Package.swift declares swift-tools-version 6.2: the toolchain must be 6.2 or later.
FROM swift:6.2-bookworm AS build

# libpq's headers and its pkg-config file, for the CLibPQ system-library target.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first: this layer is rebuilt only when the manifest changes,
# not on every source edit. (Package.resolved is not tracked, so the versions
# are resolved afresh from the manifest's ranges.)
COPY Package.swift ./
RUN swift package resolve

# The manifest declares test targets (Tests/TestSupport by an explicit path),
# and SwiftPM refuses to load a package whose declared target directories are
# missing, so Tests/ is copied as well even though only the binary is built.
COPY Sources ./Sources
COPY Tests ./Tests

# --static-swift-stdlib links the Swift runtime and Foundation into the binary,
# so the runtime image needs no Swift toolchain.
RUN swift build -c release --product gatehouse --static-swift-stdlib \
    && mkdir -p /staging \
    && cp "$(swift build -c release --show-bin-path)/gatehouse" /staging/gatehouse \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/swift-backtrace-static

# ---------------------------------------------------------------------------
# Runtime stage
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim

# libpq5: the PostgreSQL client library (the only dynamic dependency beyond
#   the C/C++ runtime; it brings libssl for sslmode=require/verify-full).
# ca-certificates: to verify the database server's certificate.
# libstdc++6, zlib1g: used by the statically linked Swift runtime; already in
#   bookworm-slim, listed so that they stay if the base image ever changes.
# No curl/libcurl: nothing imports FoundationNetworking (see HEALTHCHECK below).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates libstdc++6 zlib1g \
    && rm -rf /var/lib/apt/lists/*

# A fixed, numeric, unprivileged uid/gid, so volume ownership is predictable
# and Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid gatehouse --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin gatehouse

WORKDIR /app

COPY --from=build /staging/gatehouse /usr/local/bin/gatehouse
COPY --from=build /staging/swift-backtrace-static /usr/local/libexec/swift-backtrace-static
# The migrations: `gatehouse migrate` applies them, and /readyz compares them
# with the database. Owned by root and read-only for the service user.
COPY sql/ /app/sql/

ENV GATEHOUSE_SQL_DIR=/app/sql \
    PORT=8000 \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift-backtrace-static

USER 10001:10001

EXPOSE 8000

# bookworm-slim ships neither curl nor wget, and installing curl would add
# libcurl and a dozen libraries for one request. bash is always present, so the
# check opens a TCP connection with bash's /dev/tcp, sends one request with
# `Connection: close`, requires a 200 status line and reads the rest of the
# answer before closing (so the server never writes to a reset socket);
# `read -t` bounds a stalled answer.
# /healthz (process alive), not /readyz: a database outage should not make the
# orchestrator restart every replica. Load balancers should probe /readyz.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8000} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && { while read -r -t 1 _; do :; done <&3; [[ $status == 'HTTP/1.'[01]' 200'* ]]; }"]

ENTRYPOINT ["gatehouse"]
CMD ["serve"]
