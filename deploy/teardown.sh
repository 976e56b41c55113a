#!/usr/bin/env bash
# Stops what deploy/quickstart.sh started: removes the demo service and every
# container through the API, then stops the agent, controller and registry
# by their saved pids. Postgres and Redis are left running.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd) RUN=/run/berth LIB=/var/lib/berth
export BERTH_HOST=127.0.0.1:8080 BERTH_TOKEN=$(cat "$LIB/controller/admin-token" 2>/dev/null)
if "$REPO/bin/berth" node ls >/dev/null 2>&1; then
  for s in $("$REPO/bin/berth" service ls --json | sed -nE 's/.*"name": "([^"]+)".*/\1/p'); do "$REPO/bin/berth" service rm "$s"; done
  for c in $("$REPO/bin/berth" ps -a --json | sed -nE 's/^    "id": "([^"]+)".*/\1/p'); do "$REPO/bin/berth" rm -f "$c"; done
  for _ in $(seq 1 50); do [ -z "$(runc --root "$LIB/agent/runc" list -q 2>/dev/null)" ] && break; sleep 0.2; done
fi
for name in agent controller registry; do
  if [ -f "$RUN/$name.pid" ]; then
    pid=$(cat "$RUN/$name.pid")
    kill "$pid" 2>/dev/null && echo "stopped $name (pid $pid)"
    rm -f "$RUN/$name.pid"
  fi
done
