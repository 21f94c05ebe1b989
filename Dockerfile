# syntax=docker/dockerfile:1
# Secure Inbox server: `docker build -t secure-inbox .` at the repository root (docs/operations.md, "In a container").
# Stage 1 builds and packs the workspace; stage 2 installs the packed server as a team would (npm, compiled
# better-sqlite3); stage 3 is the runtime: plain Node, no compilers, no sources, a non-root user.

FROM node:20-bookworm-slim AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
  && rm -rf /var/lib/apt/lists/* \
  && npm i -g pnpm@12.21.0 --allow-scripts=pnpm
# The official image keeps Node's headers under /usr/local (the repository's .npmrc names Debian's /usr).
ENV npm_config_nodedir=/usr/local CI=true
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile \
  && pnpm build \
  && mkdir /tarballs \
  && pnpm --filter @secure-inbox/protocol --filter @secure-inbox/server exec pnpm pack --pack-destination /tarballs

FROM node:20-bookworm-slim AS install
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY --from=build /tarballs /tarballs
RUN echo '{"name":"secure-inbox-server","private":true,"type":"module","allowScripts":{"better-sqlite3":true}}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tarballs/*.tgz \
  && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    SECURE_INBOX_DB=/data/secure-inbox.db \
    SECURE_INBOX_DATA_DIR=/data
WORKDIR /app
COPY --from=install /app /app
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8787
# SIGTERM lets requests finish for SECURE_INBOX_SHUTDOWN_GRACE_SECONDS (25): stop with a longer timeout (docker stop -t 30).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/node_modules/.bin/secure-inbox"]
CMD ["serve"]
