#!/usr/bin/env bash
# Command 2: run every check and test (lint, typecheck, unit, integration, end-to-end).
# Works on its own on a fresh clone; CI runs exactly this (.ci/run).
set -euo pipefail
. "$(dirname "$0")/lib/toolchain.sh"
ensure_node
ensure_pnpm
ensure_caddy
ensure_chromium
ensure_compose_checker
ensure_promtool
ensure_postgres
install_deps
log "lint";      pnpm lint
log "typecheck"; pnpm typecheck
log "build";     pnpm build
log "test";      pnpm test
# Last: the images built and run with docker-compose (e2e/compose). scripts/docker/engine.sh starts
# a Docker engine where none runs (stopped again on exit) and builds stand-in base images where
# Docker Hub cannot be reached; exit 3 = Docker cannot run here, and the compose test says it skips.
log "compose"
trap '"$ROOT/scripts/docker/engine.sh" down' EXIT
engine=0
"$ROOT/scripts/docker/engine.sh" up || engine=$?
[ "$engine" -eq 0 ] || [ "$engine" -eq 3 ] || die "scripts/docker/engine.sh up failed ($engine)"
pnpm test:compose
