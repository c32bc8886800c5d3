#!/usr/bin/env bash
# Installs and starts what local-dev and its tests need on a fresh Debian machine, then the npm
# packages. Safe to run again: it only installs what is missing and only starts dockerd when no
# Docker engine answers.
#
#   Docker engine + compose v1 (docker.io, docker-compose): builds and runs the services
#   busybox-static: test images are built FROM scratch with it (no registry is reachable)
#   redis-server: the Redis the tunnel tests forward to
#   git: clones; iproute2: the docker bridge address
#   debootstrap: makes the demo's base image (debian:bookworm-slim) where no image registry answers
#   docker-registry: the image registry the registry tests start on 127.0.0.1 (never as a service)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# Root runs system steps directly; a normal user (a laptop) runs them through sudo, and keeps
# node_modules owned by themself.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    log "need root for: $* — install sudo or run this script as root"
    exit 1
  fi
}

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need_packages+=(docker-compose)
[ -x /bin/busybox ] || need_packages+=(busybox-static)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
command -v git >/dev/null 2>&1 || need_packages+=(git)
# `ip`: the tunnel finds the docker0 address with it; the second-engine test makes a bridge with it.
command -v ip >/dev/null 2>&1 || need_packages+=(iproute2)
# Debian's Chromium: the dashboard's end-to-end suite drives it with playwright-core (no browser download).
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
# debootstrap lives in /usr/sbin, which a normal user's PATH may lack.
[ -x /usr/sbin/debootstrap ] || command -v debootstrap >/dev/null 2>&1 || need_packages+=(debootstrap)

if [ ${#need_packages[@]} -gt 0 ]; then
  log "installing ${need_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi

# Debian's docker-registry (distribution 2.x): the registry tests and bench:registry start their own
# on 127.0.0.1 with a temporary config and storage. The package's own service (every interface, port
# 5000, no auth) is never wanted here: a policy-rc.d that refuses keeps apt from starting it (one that
# is there already, as in Docker images, is left alone), and systemd is told not to start it at boot.
if [ ! -x /usr/bin/docker-registry ]; then
  log "installing docker-registry (its system service is not started)"
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    made_policy=yes
  fi
  as_root apt-get update -qq
  installed=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null || installed=$?
  [ -n "$made_policy" ] && as_root rm -f /usr/sbin/policy-rc.d
  [ "$installed" -eq 0 ] || exit "$installed"
fi
if [ -d /run/systemd/system ] && systemctl is-enabled --quiet docker-registry 2>/dev/null; then
  log "disabling the docker-registry system service (the tests start their own)"
  as_root systemctl disable --now docker-registry
fi

docker_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! docker_answers; then
  if [ "$(id -u)" -ne 0 ] && command -v systemctl >/dev/null 2>&1 && systemctl list-unit-files docker.service >/dev/null 2>&1; then
    log "starting the docker service"
    as_root systemctl start docker
  else
    mkdir -p logs
    log "starting dockerd (log: logs/dockerd.log)"
    # In its own session (setsid): a Ctrl-C or the end of the terminal or job that ran this script
    # signals that process group, and must not take the engine down with it.
    as_root setsid -f sh -c 'exec dockerd >"$1" 2>&1 </dev/null' sh "$PWD/logs/dockerd.log"
  fi
  for _ in $(seq 1 60); do
    docker_answers && break
    sleep 0.5
  done
  if ! docker_answers; then
    log "dockerd did not come up; last lines of logs/dockerd.log:"
    tail -n 20 logs/dockerd.log
    exit 1
  fi
fi
log "docker engine $(docker version --format '{{.Server.Version}}')"

# Test images are built FROM busybox:1.36 without a registry: make that tag from the static busybox.
if ! docker image inspect busybox:1.36 >/dev/null 2>&1; then
  log "tagging a local busybox:1.36 image from /bin/busybox"
  context=$(mktemp -d)
  cp /bin/busybox "$context/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["/bin/sh"]\n' >"$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t busybox:1.36 "$context" >/dev/null
  rm -rf "$context"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
# npm ci runs it as postinstall; again here for a node_modules installed before the patch existed.
node scripts/patch-nx.js
# The demo's Dockerfiles start FROM debian:bookworm-slim: one that is here is left as it is; else it
# is pulled, or made from Debian's packages (debootstrap, about a minute, once per machine).
node -r @swc-node/register scripts/base-images.ts
log "ready"
