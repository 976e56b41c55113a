#!/usr/bin/env bash
# Brings a fresh Debian 12 machine to what Berth needs, and does nothing that
# is already done: Debian packages (Postgres, Redis, runc, conmon, CNI plugins,
# iproute2, iptables, busybox-static, skopeo, tini), Postgres and Redis running on
# loopback, the berth database and role, npm dependencies, the build and the
# database migrations. Used by deploy/quickstart.sh (the product only) and,
# with --tools, by the test and bench commands, which also need what they
# measure against or load the machine with: docker.io and docker-registry
# (never started as services) and stress-ng.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(postgresql redis-server runc conmon containernetworking-plugins iptables iproute2 busybox-static skopeo iperf3 procps attr util-linux tini)
# Only tests and benchmarks use these (--tools); installed without starting their services.
TOOL_PKGS=()
[ "${1:-}" = --tools ] && TOOL_PKGS=(docker.io docker-registry stress-ng gcc libc6-dev)
say() { echo "[prereqs] $*"; }

missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tools=()
for p in ${TOOL_PKGS[@]+"${TOOL_PKGS[@]}"}; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || tools+=("$p"); done
if [ ${#tools[@]} -gt 0 ]; then
  say "installing ${tools[*]} (for interop tests and benchmarks; their services stay off)"
  export DEBIAN_FRONTEND=noninteractive
  [ ${#missing[@]} -gt 0 ] || apt-get update -qq
  # policy-rc.d keeps the packages' maintainer scripts from starting their daemons.
  had_policy=0
  if [ -e /usr/sbin/policy-rc.d ]; then had_policy=1; else printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get install -y -qq "${tools[@]}" >/dev/null
  if [ $had_policy = 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now docker.service docker.socket docker-registry.service >/dev/null 2>&1 || true
  fi
fi

# The Debian base image's root filesystem for the tests that run a real distribution (made once,
# from Debian's packages like the tools above; tests themselves never reach outside the lab).
DEBIAN_ROOTFS=/var/cache/berth/debian-bookworm.tar
if [ "${1:-}" = --tools ] && [ ! -s "$DEBIAN_ROOTFS" ]; then
  say "making $DEBIAN_ROOTFS (deploy/debian-rootfs.sh)"
  mkdir -p "$(dirname "$DEBIAN_ROOTFS")"
  if bash deploy/debian-rootfs.sh "$DEBIAN_ROOTFS.tmp" >/dev/null 2>&1; then mv "$DEBIAN_ROOTFS.tmp" "$DEBIAN_ROOTFS"; else rm -f "$DEBIAN_ROOTFS.tmp"; say "could not make it: the tests that need it skip"; fi
fi

# Postgres: start the packaged cluster when it is not running.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_lsclusters -h | grep -q "^$ver main" || pg_createcluster "$ver" main >/dev/null
  say "starting postgres $ver"
  pg_ctlcluster "$ver" main start
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi
runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='berth'" | grep -q 1 \
  || runuser -u postgres -- psql -qc "CREATE ROLE berth LOGIN PASSWORD 'berth' CREATEDB"
runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_database WHERE datname='berth'" | grep -q 1 \
  || runuser -u postgres -- psql -qc "CREATE DATABASE berth OWNER berth"

# Redis: start a server on loopback when none answers.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting redis"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# Node dependencies, Prisma client, TypeScript build, migrations.
# `npm install --no-save` installs exactly the locked versions. (`npm ci` would
# too, but npm 11 refuses this lock file: it leaves out the other platforms'
# optional builds of msgpackr-extract, a BullMQ dependency, then calls the
# lock out of sync.)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm install"
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
say "building"
# `npm run generate` writes what the build compiles but git does not hold: the
# Prisma client and the dispatcher.proto message types. The Prisma CLI wants
# its native schema engine for every command, even `generate`, which needs
# only its bundled WebAssembly; the engine cannot be downloaded offline, so
# point it at a placeholder (migrations run through prisma/migrate.ts instead).
PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npm run --silent generate >/dev/null
npx tsc -p tsconfig.build.json
export BERTH_DATABASE_URL="${BERTH_DATABASE_URL:-postgresql://berth:berth@127.0.0.1:5432/berth}"
node dist/prisma/migrate.js
