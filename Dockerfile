# payments-pipeline: one image for the daily batch (ECS task, any container runner), the webhook
# receiver and the mock API.
#   docker build -t payments-pipeline .
#   docker run --rm --init -v "$PWD/_local_data:/data" payments-pipeline                 # run-all, LOCAL
#   docker run --rm --init -e PIPELINE_ENV=AWS -e S3_BUCKET=… -e API_BASE_URL=… -e API_KEY=… payments-pipeline
#   docker run --rm --init -p 8001:8001 -e PIPELINE_ENV=AWS -e S3_BUCKET=… -e WEBHOOK_SECRET=… payments-pipeline webhooks --host 0.0.0.0
# Debian (glibc) rather than Alpine: DuckDB's prebuilt bindings are tested most on glibc; both
# linux-x64 and linux-arm64 (Graviton) bindings come from package-lock.json.

# Node 24 (the LTS line; Node 20 reached its end of life on 2026-04-30), pinned by digest so that a
# rebuild gets the same base. The digest is the multi-arch index of node:24.18.0-bookworm-slim as
# recorded in public repositories: no registry is reachable where this file was written, so verify
# it before the first build and on every bump (both stages use the same reference):
#   docker buildx imagetools inspect node:24.18.0-bookworm-slim --format '{{json .Manifest.Digest}}'

# Build stage: every dependency, compile src/ to dist/ (+ the SQL models).
FROM node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
RUN npm run build

# Runtime stage: production dependencies only, the compiled code, a non-root user.
FROM node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS runtime
ENV NODE_ENV=production \
    PIPELINE_ENV=LOCAL \
    LOCAL_DATA_DIR=/data \
    LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, which needs the dev dependencies left out here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && mkdir -p /data \
    && chown node:node /data
COPY --from=build /app/dist dist
COPY bin bin
USER node
# The webhook receiver's port (`webhooks --host 0.0.0.0`); the batch listens on nothing.
EXPOSE 8001
# Probes GET /health of a `webhooks` process in this container; healthy when none runs (the batch
# and mock-api serve nothing to probe). ECS uses the task definition's healthCheck, the same command
# (with startPeriod there: dockerfilelint 1.8 rejects --start-period, a bug in its option regex).
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["node", "/app/dist/cli/healthcheck.js"]
ENTRYPOINT ["node", "/app/bin/payments-pipeline.js"]
CMD ["run-all"]
