# syntax=docker/dockerfile:1
# One image for every edge process; the first argument picks it:
#   docker run … edge collector-<vendor> | normalizer | forwarder   (a collector per vendor of the vendor list)
#   docker run … edge start          (all services of the config under one supervisor)
#   docker run … edge edge status    (operator CLI)   ·   sim-<vendor> | sim-cloud (demo)
#   docker run … edge nats           (nats-server with the per-process users; compose service "nats")
# Node 24 is the Active/Maintenance LTS line (supported until April 2028).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG NATS_IMAGE=nats:2.10-alpine

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM deps AS build
COPY tsconfig.json tsconfig.base.json ./
COPY libs ./libs
COPY services ./services
COPY scripts ./scripts
# Bundles are self-contained (esbuild): the runtime stage needs no node_modules.
RUN node scripts/build.mjs

# nats-server for `start` without nats.url (the embedded default); static binary.
FROM ${NATS_IMAGE} AS nats

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    EDGE_USE_DIST=1 \
    EDGE_CONFIG=/app/config/edge.yaml \
    EDGE_DATA_DIR=/data \
    EDGE_LOG_FORMAT=json
WORKDIR /app
RUN groupadd --system --gid 10001 edge \
 && useradd --system --uid 10001 --gid edge --home-dir /app --shell /usr/sbin/nologin edge \
 && mkdir -p /data /app/config /app/certs && chown edge:edge /data
COPY --from=nats /usr/local/bin/nats-server /usr/local/bin/nats-server
COPY --from=build /src/dist ./dist
COPY config/edge.example.yaml config/demo.yaml ./config/
COPY deploy/entrypoint.sh /usr/local/bin/edge-entrypoint
USER edge:edge
# No VOLUME: only the NATS service stores data, on the named volume compose mounts at /data
# (a VOLUME here would give every container an anonymous volume).
# Liveness of the process the container runs (its /healthz on its configured port).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/dist/healthcheck.js"]
ENTRYPOINT ["edge-entrypoint"]
CMD ["start"]
