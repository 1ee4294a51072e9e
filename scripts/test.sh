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
ensure_postgres
install_deps
log "lint";      pnpm lint
log "typecheck"; pnpm typecheck
log "build";     pnpm build
log "test";      pnpm test
