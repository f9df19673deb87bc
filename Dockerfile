# syntax=docker/dockerfile:1
# Build and test with Bun, then ship only the self-contained executable.
FROM oven/bun:1.4.4 AS build
# oven/bun is Debian: the Redis tests start their own redis-server, the nginx test its own nginx
# (deploy/nginx/stream-server.conf), and the Python client's run on Debian's python3 with its websockets and
# pytest, so install them and those tests run here too.
RUN apt-get update && apt-get install -y --no-install-recommends redis-server nginx python3 python3-websockets python3-pytest && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
# Every test runs or fails the build (STREAM_REQUIRE_ALL=1), except those skipped by name: the browser
# tests need Chromium, a large install for a build image, and the client-under-Node test a Node with WebSocket
# (Debian 12 has Node 18); .ci/run runs both.
RUN bun run typecheck && STREAM_REQUIRE_ALL=1 STREAM_SKIP=chromium,node bun test && bun run build
# distroless has no shell to mkdir with: prepare the history directory here, owned by its nonroot user.
RUN mkdir -p /data && chown 65532:65532 /data

# The executable needs only glibc: distroless/cc has it, plus a non-root user and nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /app/stream-server /usr/local/bin/stream-server
# /data is there for `-v name:/data -e STREAM_DATA=/data`; no VOLUME, which would create an anonymous
# volume on every `docker run` even with durable history off.
COPY --from=build --chown=65532:65532 /data /data
USER nonroot
ENV PORT=8000 HOST=0.0.0.0
EXPOSE 8000
# No curl in this image: the executable checks its own /api/health (reads PORT like the server does).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/local/bin/stream-server", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/stream-server"]
