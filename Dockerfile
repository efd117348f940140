# syntax=docker/dockerfile:1
# The gateway as an image: built in one stage, run from a second that holds only the production dependencies,
# the compiled code (dist/, including the generated Prisma client) and the SQL migrations applied at start.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (prisma's own would try to download a native engine we never use).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# prebuild runs `prisma generate` offline (scripts/prisma-generate.js), then nest build compiles src/ into dist/.
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional too: the Prisma CLI (and its studio, ~250 MB) is an optional peer of @prisma/client, which npm
# would otherwise install; the runtime needs neither it nor any other optional package (pg-cloudflare is for Workers).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma/migrations ./prisma/migrations
# The embedded store (used only when DATABASE_URL is unset) needs a folder the non-root user can write.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health/liveliness').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Mount your LiteLLM-style config here (docker-compose.yml does: ./config.yaml, read-only).
CMD ["node", "dist/main.js", "--config", "/app/config.yaml"]
