#!/usr/bin/env bash
# A Docker engine for the compose test (scripts/docker/test/), on machines that have none, and the
# official base images the repository's Dockerfile and compose files name — built as stand-ins
# only where they cannot be pulled (no Docker Hub access). Idempotent; seconds on a second run.
#   scripts/docker/engine.sh up     ensure the engine (start dockerd if needed) and the base images
#   scripts/docker/engine.sh down   stop dockerd, only if `up` started it
# Exit status of `up`: 0 ready; 3 Docker cannot run here (not installable, not root, dockerd fails):
# the compose test then skips and says why. Anything else is a real failure.
#
# Stand-ins (imported under the official names, labelled kit.standin=<recipe hash>):
#   node:22-bookworm-slim  Debian bookworm minbase (debootstrap) + Node 22 (the npm registry's
#                          node-linux-<arch> package) + npm, a `node` user with uid/gid 1000
#   caddy:2                the same root file system + Debian's caddy, /config and /data volumes as
#                          the official image (XDG_CONFIG_HOME=/config, XDG_DATA_HOME=/data)
#   postgres:15-bookworm   the same + Debian's postgresql-15, with an entrypoint that does what the
#                          official one does (POSTGRES_USER/PASSWORD, /docker-entrypoint-initdb.d)
# The machine's extra CA bundle (the file NODE_EXTRA_CA_CERTS names, e.g. a TLS-inspecting proxy's
# root) goes into the node stand-in as NODE_EXTRA_CA_CERTS, so npm/pnpm reach the registry in builds.
# Nothing here changes the repository's Dockerfile or compose files.
set -euo pipefail
. "$(dirname "$0")/../lib/toolchain.sh"

STATE="$TOOLS/docker"
PIDFILE="$STATE/dockerd.pid"
PULL_TIMEOUT="${KIT_DOCKER_PULL_TIMEOUT:-20}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STANDIN_BASE="kit-standin/debian:bookworm"
NODE_STANDIN_MAJOR=22
NPM_STANDIN_SPEC="npm@10"
export DOCKER_BUILDKIT=0 # the legacy builder: BuildKit would pull its Dockerfile frontend from Docker Hub

cannot() { printf '\033[33m[docker] %s\033[0m\n' "$*" >&2; exit 3; }
dlog() { printf '\033[36m[docker]\033[0m %s\n' "$*"; }

engine_up() { docker info >/dev/null 2>&1; }

ensure_engine() {
  if engine_up; then dlog "engine: $(docker version --format '{{.Server.Version}}' 2>/dev/null) (already running)"; return; fi
  [ "$(uname -s)" = Linux ] || cannot "no Docker engine is running (start Docker Desktop); skipping"
  if ! command -v dockerd >/dev/null; then
    command -v apt-get >/dev/null || cannot "no Docker engine and no apt-get to install one (install Docker); skipping"
    [ "$(id -u)" -eq 0 ] || cannot "no Docker engine, and installing docker.io needs root; skipping"
    dlog "installing docker.io (apt)"
    apt_install docker.io || cannot "could not install docker.io; skipping"
  fi
  [ "$(id -u)" -eq 0 ] || cannot "dockerd is installed but not running, and starting it needs root; skipping"
  mkdir -p "$STATE"
  dlog "starting dockerd (log: .tools/docker/dockerd.log)"
  # setsid: its own session, so it outlives this script and no terminal signal reaches it.
  setsid dockerd --pidfile "$PIDFILE" >"$STATE/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if engine_up; then dlog "engine: $(docker version --format '{{.Server.Version}}') (started by this script)"; return; fi
    sleep 0.5
  done
  tail -n 20 "$STATE/dockerd.log" >&2 || true
  stop_engine
  cannot "dockerd did not come up (see .tools/docker/dockerd.log); skipping"
}

stop_engine() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid="$(cat "$PIDFILE")"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    dlog "stopping the dockerd this script started (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
  fi
  rm -f "$PIDFILE"
}

# The label a stand-in carries: a hash of its recipe (this script and what goes into the image).
image_label() { docker image inspect --format '{{ index .Config.Labels "kit.standin" }}' "$1" 2>/dev/null || true; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# 0 when `image` is there or pullable (the official one); 1 when a stand-in must be built.
official_available() {
  local image="$1" hash="$2"
  local label
  label="$(image_label "$image")"
  if [ -n "$label" ]; then
    [ "$label" = "$hash" ] && { dlog "$image: stand-in (cached)"; return 0; }
    dlog "$image: stand-in from an older recipe, rebuilding"
    return 1
  fi
  if image_exists "$image"; then dlog "$image: present"; return 0; fi
  if timeout "$PULL_TIMEOUT" docker pull -q "$image" >/dev/null 2>&1; then dlog "$image: pulled"; return 0; fi
  dlog "$image: cannot be pulled, building a stand-in"
  return 1
}

# A stand-in's recipe is the function that builds it: its hash changes when the function does.
# Files a recipe copies in are given after `--`.
recipe() {
  local funcs=() files=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do funcs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && files=("$@")
  { declare -f "${funcs[@]}"; [ ${#files[@]} -eq 0 ] || cat "${files[@]}"; } | sha256sum | cut -c1-16
}
EXTRA_CA="${NODE_EXTRA_CA_CERTS:-}"
[ -n "$EXTRA_CA" ] && [ -s "$EXTRA_CA" ] || EXTRA_CA=""
ARCH="$(case "$(uname -m)" in x86_64) echo x64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac)"
DEB_ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"

# Debian bookworm minbase, imported once; every stand-in starts from it.
ensure_base() {
  local hash
  hash="$(recipe ensure_base)"
  [ "$(image_label "$STANDIN_BASE")" = "$hash" ] && return
  command -v debootstrap >/dev/null || { dlog "installing debootstrap (apt)"; apt_install debootstrap; }
  local rootfs
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/kit-standin-rootfs.XXXXXX")"
  dlog "debootstrap --variant=minbase bookworm ($MIRROR)"
  debootstrap --variant=minbase --arch="$DEB_ARCH" bookworm "$rootfs" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$STATE/debootstrap.log" >&2; rm -rf "$rootfs"; die "debootstrap failed"; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import --change "LABEL kit.standin=$hash" --change 'CMD ["bash"]' - "$STANDIN_BASE" >/dev/null
  rm -rf "$rootfs"
}

# `docker build` of a stand-in from a generated context directory holding its Dockerfile.
build_standin() {
  local image="$1" context="$2" hash="$3" previous
  previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  if ! docker build --label "kit.standin=$hash" -t "$image" "$context" >"$STATE/build-${image%%:*}.log" 2>&1; then
    tail -n 30 "$STATE/build-${image%%:*}.log" >&2
    rm -rf "$context"
    die "building the $image stand-in failed (.tools/docker/build-${image%%:*}.log)"
  fi
  rm -rf "$context"
  # The stand-in it replaces (an older recipe), unless something still uses it.
  [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
  dlog "$image: stand-in built ($(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
}

# npm tarballs are cached in .tools/docker/ (downloaded once per version).
npm_pack() {
  local spec="$1" tarball
  tarball="$(cd "$STATE" && npm pack --silent "$spec" 2>/dev/null | tail -n1)"
  [ -n "$tarball" ] && [ -f "$STATE/$tarball" ] || die "npm pack $spec failed"
  echo "$STATE/$tarball"
}

standin_node() {
  local image="node:${NODE_STANDIN_MAJOR}-bookworm-slim"
  local ca_hash="none"
  [ -n "$EXTRA_CA" ] && ca_hash="$(sha256sum "$EXTRA_CA" | cut -c1-16)"
  local hash
  hash="$(recipe standin_node ensure_base)-$ca_hash"
  official_available "$image" "$hash" && return
  ensure_base
  local ctx node_tgz npm_tgz
  ctx="$(mktemp -d)"
  node_tgz="$(npm_pack "node-linux-$ARCH@$NODE_STANDIN_MAJOR")"
  npm_tgz="$(npm_pack "$NPM_STANDIN_SPEC")"
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$node_tgz" -C "$ctx/node" --strip-components=1 package/bin/node
  tar -xzf "$npm_tgz" -C "$ctx/npm" --strip-components=1
  local ca_lines=""
  if [ -n "$EXTRA_CA" ]; then
    cp "$EXTRA_CA" "$ctx/extra-ca.pem"
    ca_lines=$'COPY extra-ca.pem /usr/local/share/kit-extra-ca.pem\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/kit-extra-ca.pem'
  fi
  cat >"$ctx/Dockerfile" <<EOF
FROM $STANDIN_BASE
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
$ca_lines
CMD ["node"]
EOF
  build_standin "$image" "$ctx" "$hash"
}

# Debian's caddy package, unpacked (apt-get download needs no root); the machine's caddy otherwise.
caddy_binary() {
  local dir
  dir="$(mktemp -d)"
  if (cd "$dir" && apt-get download -qq caddy >/dev/null 2>&1) && dpkg-deb -x "$dir"/caddy_*.deb "$dir/x"; then
    echo "$dir/x/usr/bin/caddy"
  else
    command -v caddy || die "no caddy binary for the caddy stand-in"
  fi
}

standin_caddy() {
  local image="caddy:2" hash
  hash="$(recipe standin_caddy ensure_base)"
  official_available "$image" "$hash" && return
  ensure_base
  local ctx bin
  ctx="$(mktemp -d)"
  bin="$(caddy_binary)"
  cp "$bin" "$ctx/caddy"
  cat >"$ctx/Dockerfile" <<EOF
FROM $STANDIN_BASE
COPY caddy /usr/bin/caddy
RUN mkdir -p /config/caddy /data/caddy /etc/caddy /srv && caddy version
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
VOLUME /config /data
EXPOSE 80 443 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
EOF
  build_standin "$image" "$ctx" "$hash"
}

# The production example names postgres:16-bookworm; Debian bookworm ships PostgreSQL 15, so its
# stand-in is named postgres:15-bookworm and the compose test uses whichever is there.
standin_postgres() {
  local official="postgres:16-bookworm" image="postgres:15-bookworm" hash
  hash="$(recipe standin_postgres ensure_base -- "$(dirname "$0")/postgres-standin-entrypoint.sh")"
  if [ "$(image_label "$image")" = "$hash" ]; then dlog "$image: stand-in (cached)"; return; fi
  if { image_exists "$official" && [ -z "$(image_label "$official")" ]; } || timeout "$PULL_TIMEOUT" docker pull -q "$official" >/dev/null 2>&1; then
    dlog "$official: present"
    return
  fi
  official_available "$image" "$hash" && return
  ensure_base
  local ctx
  ctx="$(mktemp -d)"
  cp "$(dirname "$0")/postgres-standin-entrypoint.sh" "$ctx/docker-entrypoint.sh"
  cat >"$ctx/Dockerfile" <<EOF
FROM $STANDIN_BASE
RUN mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main-cluster.conf \\
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /var/lib/postgresql/data /docker-entrypoint-initdb.d /var/run/postgresql \\
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && chmod 700 /var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
EOF
  build_standin "$image" "$ctx" "$hash"
}

case "${1:-up}" in
  up)
    mkdir -p "$STATE"
    ensure_engine
    standin_node
    standin_caddy
    standin_postgres
    ;;
  down) stop_engine ;;
  *) die "usage: $0 up|down" ;;
esac
