# syntax=docker/dockerfile:1
# The Samokoder API image, also used by docker-compose's one-shot `secrets` service
# (`node dist/cli/main.js render-secrets`).
#
# Node 20 cannot run TypeScript, and tsx is a dev dependency, so the build stage compiles src/ with
# tsc (tsconfig.build.json: `.ts` imports rewritten to `.js`, dist/ mirroring src/) and the final
# stage has plain JavaScript, production dependencies only, and no compiler or dev tooling.
# Pinned to the exact Node release the tests run on.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: all dependencies, compile ---------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.build.json \
 && cp -r src/db/migrations dist/db/migrations

# --- deps: production dependencies only -------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The Alertmanager routing template and message templates that render-secrets reads.
COPY monitoring/alertmanager ./monitoring/alertmanager
# The application files stay owned by root: the process cannot modify its own code.
USER node
EXPOSE 8000
# /health answers 200 while the API can serve users (PostgreSQL up; Redis down is "degraded").
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.API_PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
