# syntax=docker/dockerfile:1
# One image per service, from one Dockerfile: APP names the folder under apps/ and PORT is that
# app's default port (PORT in apps/$APP/.env.example: auth 3001, api 3003, app 3004).
# Build from the repository root (the workspace lockfile and apps/shared are needed):
#   docker build --build-arg APP=auth --build-arg PORT=3001 -t open-finance/auth .
#   docker build --build-arg APP=api --build-arg PORT=3003 -t open-finance/api .
#   docker build --build-arg APP=app --build-arg PORT=3004 -t open-finance/app .
# The compose files build it the same way, with `args:` per service.

ARG NODE_IMAGE=node:22-bookworm-slim
# Defaults for every stage; a stage sees them only after re-declaring `ARG APP` / `ARG PORT`.
ARG APP=auth
ARG PORT=3001

# ── build: all dependencies, compile shared + $APP, then a production-only copy in /out ──
FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /repo
# Optional: one more CA for the build's downloads (npm, pnpm), e.g. the root of a TLS-inspecting
# proxy — a PEM file inside the build context, named relative to it:
#   docker build --build-arg BUILD_CA_CERT=certs/proxy-ca.pem …
# Off by default: .npmrc is copied in its place (COPY needs a source) and NODE_EXTRA_CA_CERTS keeps
# the base image's value. Only this stage trusts it; the runtime image neither has nor trusts it.
ARG BUILD_CA_CERT
COPY ${BUILD_CA_CERT:-.npmrc} ./${BUILD_CA_CERT:-.npmrc}
ENV NODE_EXTRA_CA_CERTS=${BUILD_CA_CERT:+/repo/}${BUILD_CA_CERT:-$NODE_EXTRA_CA_CERTS}
RUN npm install --global --no-audit --no-fund pnpm@10.34.9
# The lockfile alone decides what is downloaded, so this layer stays cached until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
# APP and PORT are declared only now: every RUN after an ARG depends on its value, so the layers
# above (download and install of the whole workspace) are shared by the three images.
ARG APP
ARG PORT
# pnpm builds nothing, successfully, when a filter matches no package: refuse an unknown APP,
# and a PORT that is not the app's own (the image's ENV, EXPOSE and HEALTHCHECK follow it).
RUN if [ ! -f "apps/${APP}/package.json" ]; then echo "APP=${APP}: there is no apps/${APP}" >&2; exit 1; fi \
 && if ! grep -qx "PORT=${PORT}" "apps/${APP}/.env.example"; then \
      echo "PORT=${PORT} is not the PORT of apps/${APP}/.env.example" >&2; exit 1; \
    fi
RUN pnpm --filter "@apps/${APP}..." build \
 && pnpm --filter "@apps/${APP}" run --if-present build:css
# pnpm 10 deploys without injected workspace packages only with --legacy: @apps/shared is
# copied (with its dist/) instead of linked, and devDependencies are left out.
RUN pnpm --filter "@apps/${APP}" deploy --prod --legacy /out \
 && rm -rf /out/test \
 && for dir in dist views public; do \
      if [ -d "apps/${APP}/$dir" ]; then rm -rf "/out/$dir" && cp -R "apps/${APP}/$dir" "/out/$dir"; fi; \
    done \
 && cd /out && node --input-type=module -e "await import('@apps/shared')"

# ── runtime: production dependencies and compiled code only, as a non-root user ──
FROM ${NODE_IMAGE} AS runtime
ARG APP
ARG PORT
LABEL org.opencontainers.image.title="@apps/${APP}"
# HOST=0.0.0.0 only inside the container: the container's own interface is private to its
# network namespace. The compose files never publish this port — Caddy is the only
# published port — and they run the service in Caddy's namespace bound to 127.0.0.1.
# Outside containers the services keep binding 127.0.0.1 (apps/*/.env.example).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=${PORT} \
    DATA_DIR=/data
WORKDIR /app
# Code stays owned by root (read-only for the service); only the data dir is writable.
COPY --from=build /out ./
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE ${PORT}
# No curl in slim images: Node itself asks the health route. HEALTHCHECK does not expand build
# arguments, so it reads the port from the environment: the ENV above, or the PORT a second
# instance is started with.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/public/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
