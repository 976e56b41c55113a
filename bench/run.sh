#!/usr/bin/env bash
# Runs every benchmark on a lab cluster; each prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/prereqs.sh --tools >/dev/null
for b in start-latency convergence memory registry pull build overlay volume load; do node --no-deprecation "dist/bench/$b.js"; done
