#!/usr/bin/env bash
# Runs every benchmark; each starts what it needs (a lab cluster, controllers,
# Docker Swarm as an anchor) and prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/prereqs.sh --tools >/dev/null
run() { node --no-deprecation "dist/bench/$1.js" "${@:2}"; }
run start-latency
run convergence
run convergence --load --swarm
run recovery
run memory
run registry
run pull
run build
run overlay
run volume
run load
run fuzz
run fuzz-registry
