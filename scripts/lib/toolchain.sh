# Sourced by scripts/start.sh and scripts/test.sh: provisions what the project needs on a
# fresh machine, idempotently (a second run only checks). Everything downloaded stays in
# .tools/ (ignored) except what comes from the OS package manager.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_MAJOR_MIN=22
NODE_SPEC="node@22"
PNPM_SPEC="pnpm@10.34.9"

log() { printf '\033[36m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node >= 22: the system one if recent enough, else the `node` package from the npm registry
# (it ships the binary) inside .tools/.
ensure_node() {
  if [ -x "$TOOLS/node_modules/.bin/node" ] && [ "$(node_major "$TOOLS/node_modules/.bin/node")" -ge "$NODE_MAJOR_MIN" ]; then
    export PATH="$TOOLS/node_modules/.bin:$PATH"
  elif command -v node >/dev/null && [ "$(node_major node)" -ge "$NODE_MAJOR_MIN" ]; then
    :
  else
    command -v npm >/dev/null || die "npm is required to provision Node >= $NODE_MAJOR_MIN (install Node.js and npm first)"
    log "system Node is $(node -v 2>/dev/null || echo 'missing'); installing $NODE_SPEC and $PNPM_SPEC into .tools/"
    mkdir -p "$TOOLS"
    [ -f "$TOOLS/package.json" ] || echo '{"name":"tools","private":true}' >"$TOOLS/package.json"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "$NODE_SPEC" "$PNPM_SPEC" >/dev/null
    export PATH="$TOOLS/node_modules/.bin:$PATH"
    [ "$(node_major node)" -ge "$NODE_MAJOR_MIN" ] || die "could not provision Node >= $NODE_MAJOR_MIN"
  fi
  log "node $(node -v)"
}

ensure_pnpm() {
  if command -v pnpm >/dev/null && pnpm -v 2>/dev/null | grep -q '^10\.'; then
    :
  else
    log "installing $PNPM_SPEC into .tools/"
    mkdir -p "$TOOLS"
    [ -f "$TOOLS/package.json" ] || echo '{"name":"tools","private":true}' >"$TOOLS/package.json"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "$PNPM_SPEC" >/dev/null
    export PATH="$TOOLS/node_modules/.bin:$PATH"
  fi
  log "pnpm $(pnpm -v)"
}

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "installing $* needs root (or run: sudo apt-get install -y $*)"
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    apt-get update -qq >/dev/null && mkdir -p "$TOOLS" && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Caddy: from apt on Debian/Ubuntu; on macOS we say what to run and stop.
ensure_caddy() {
  if command -v caddy >/dev/null; then
    log "caddy $(caddy version 2>/dev/null | cut -d' ' -f1)"
    return
  fi
  case "$(uname -s)" in
    Darwin) die "Caddy is missing: run 'brew install caddy', then run this again" ;;
  esac
  command -v apt-get >/dev/null || die "Caddy is missing and this is not a Debian/Ubuntu machine: install Caddy 2 and run this again"
  log "installing caddy (apt)"
  apt_install caddy
}

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ]; then return; fi
  # GitHub's Ubuntu runners (and many desktops) already have Chrome or Chromium elsewhere;
  # Ubuntu's apt `chromium` is only a snap wrapper.
  for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$candidate" >/dev/null; then
      CHROMIUM_PATH="$(command -v "$candidate")"; export CHROMIUM_PATH
      log "browser for end-to-end tests: $CHROMIUM_PATH"
      return
    fi
  done
  case "$(uname -s)" in Darwin) die "set CHROMIUM_PATH to a Chrome/Chromium binary" ;; esac
  command -v apt-get >/dev/null || die "Chromium is missing: install it or set CHROMIUM_PATH"
  log "installing chromium (apt)"
  apt_install chromium
}

# The compose files are checked with `docker-compose config -q` (no engine needed). Best effort:
# where it cannot be installed (not root, not Debian), that check is skipped and says so.
ensure_compose_checker() {
  if command -v docker-compose >/dev/null; then return; fi
  if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    log "installing docker-compose (apt) to check the compose files"
    apt_install docker-compose || log "could not install docker-compose: the compose config check will be skipped"
  fi
}

# promtool checks and unit-tests docs/prometheus/alerts.yml. Best effort: Debian's (or Ubuntu's)
# prometheus package is downloaded, not installed, and only promtool is kept, in .tools/bin; where
# that cannot be done (no apt, no network), the alert-rule tests say they skip.
ensure_promtool() {
  if command -v promtool >/dev/null || [ -x "$TOOLS/bin/promtool" ]; then return; fi
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    log "promtool is missing and apt is not available: the alert-rule tests will be skipped"
    return
  fi
  log "fetching promtool (the prometheus package, apt-get download) into .tools/bin"
  if [ "$(id -u)" -eq 0 ] && [ ! -f "$TOOLS/.apt-updated" ]; then
    apt-get update -qq >/dev/null && mkdir -p "$TOOLS" && touch "$TOOLS/.apt-updated"
  fi
  local tmp
  tmp="$(mktemp -d)"
  if (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) && dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x" && [ -x "$tmp/x/usr/bin/promtool" ]; then
    mkdir -p "$TOOLS/bin" && cp "$tmp/x/usr/bin/promtool" "$TOOLS/bin/promtool"
  else
    log "could not fetch promtool: the alert-rule tests will be skipped"
  fi
  rm -rf "$tmp"
}

# The PostgreSQL-backed tests use the machine's server; start it when it is installed but stopped.
ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 0.5; done
  fi
  die "PostgreSQL is not reachable on 127.0.0.1:5432 (set PG_TEST_URL to a server the tests may create databases on)"
}

# Never prompts: when node_modules was installed with another store (the same checkout under
# another HOME), pnpm asks before rebuilding it and fails without a terminal
# (ERR_PNPM_ABORTED_REMOVE_MODULES_DIR_NO_TTY); pnpm-workspace.yaml's `confirmModulesPurge: false`
# makes it rebuild without asking. The directory argument is for scripts/test/install-deps.test.ts.
install_deps() {
  cd "${1:-$ROOT}"
  # Fast when nothing changed; --frozen-lockfile so CI installs exactly what is committed.
  pnpm install --frozen-lockfile --reporter=silent
}
