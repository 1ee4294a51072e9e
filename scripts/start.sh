#!/usr/bin/env bash
# Command 1: set everything up on a fresh machine and run the whole system
# (OP, API, app with hot reload, Caddy with HTTPS). Idempotent; seconds on a second run.
set -euo pipefail
. "$(dirname "$0")/lib/toolchain.sh"
ensure_node
ensure_pnpm
ensure_caddy
install_deps
exec pnpm dev
