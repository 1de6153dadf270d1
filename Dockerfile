# payments-pipeline: one image for the daily batch (ECS task, any container runner), the webhook
# receiver and the mock API.
#   docker build -t payments-pipeline .
#   docker run --rm --init -v "$PWD/_local_data:/data" payments-pipeline                 # run-all, LOCAL
#   docker run --rm --init -e PIPELINE_ENV=AWS -e S3_BUCKET=… -e API_BASE_URL=… -e API_KEY=… payments-pipeline
#   docker run --rm --init -p 8001:8001 -e WEBHOOK_SECRET=… payments-pipeline webhooks --host 0.0.0.0
# Debian (glibc) rather than Alpine: DuckDB's prebuilt bindings are tested most on glibc; both
# linux-x64 and linux-arm64 (Graviton) bindings come from package-lock.json.

ARG NODE_VERSION=20

# Build stage: every dependency, compile src/ to dist/ (+ the SQL models).
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
RUN npm run build

# Runtime stage: production dependencies only, the compiled code, a non-root user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
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
ENTRYPOINT ["node", "/app/bin/payments-pipeline.js"]
CMD ["run-all"]
