#!/usr/bin/env bash
# Brings up a single-host Berth cluster on this machine and shows it working:
# prerequisites (deploy/prereqs.sh), then registry (127.0.0.1:5000),
# controller (API 127.0.0.1:8080, agents on :9090) and one agent, each a
# background process (logs in /var/log/berth, pids in /run/berth); imports
# a busybox image, runs a 3-replica service and prints its logs.
# Running it again reuses what already runs. deploy/teardown.sh stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
LIB=/var/lib/berth LOGS=/var/log/berth RUN=/run/berth
API=127.0.0.1:8080 GRPC_PORT=9090 REGISTRY=127.0.0.1:5000
say() { echo "[quickstart] $*"; }

bash deploy/prereqs.sh
mkdir -p "$LIB"/{controller,agent,registry} "$LOGS" "$RUN"

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
start() { # name, command...
  local name=$1; shift
  if running "$name"; then say "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  say "started $name (pid $!, log $LOGS/$name.log)"
}
wait_for() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  say "timed out waiting for $what; see $LOGS/"; exit 1
}

# The admin API token: made once, kept where the local CLI looks for it. The umask is
# set in a subshell: the processes started below must not inherit 077 (containers'
# files and directories would become unusable for non-root users).
[ -s "$LIB/controller/admin-token" ] || ( umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$LIB/controller/admin-token" )
# The registry takes tokens signed by the controller (Docker's token auth): anonymous
# clients may pull public repositories only; `berth registry user add` makes logins.
start registry node "$REPO/dist/apps/registry/src/main.js" --listen "$REGISTRY" --root "$LIB/registry" \
  --auth-realm "http://$API/api/registry/token" --auth-service berth-registry --auth-issuer berth-controller \
  --auth-jwks "http://$API/api/registry/jwks"
start controller env BERTH_API_HOST=127.0.0.1 BERTH_API_PORT=8080 BERTH_GRPC_PORT=$GRPC_PORT \
  BERTH_ADVERTISE_ADDR=127.0.0.1 BERTH_REGISTRY=$REGISTRY BERTH_STATE_DIR="$LIB/controller" NO_COLOR=1 \
  BERTH_ADMIN_TOKEN="$(cat "$LIB/controller/admin-token")" \
  node --no-deprecation "$REPO/dist/apps/controller/src/main.js"
wait_for "the registry" 30 sh -c "curl -s -o /dev/null -w '%{http_code}' 'http://$REGISTRY/v2/' | grep -q 401"
wait_for "the controller" 60 curl -sf -o /dev/null "http://$API/api/openapi.json"

export BERTH_HOST=$API BERTH_TOKEN=$(cat "$LIB/controller/admin-token")
berth() { "$REPO/bin/berth" "$@"; }
wait_for "the controller API" 60 berth node ls

if ! running agent; then
  token=$(curl -sf -H "Authorization: Bearer $BERTH_TOKEN" "http://$API/api/join-token" | sed -E 's/.*"token":"([^"]+)".*/\1/')
  start agent node --no-deprecation "$REPO/dist/apps/agent/src/main.js" --controller "127.0.0.1:$GRPC_PORT" \
    --token "$token" --state-dir "$LIB/agent" --insecure-registry "$REGISTRY"
fi
wait_for "the node to be ready" 60 sh -c "'$REPO/bin/berth' node ls | grep -q ' ready '"
berth node ls

say "importing a busybox image"
tar=$(mktemp --suffix=.tar)
bash deploy/busybox-rootfs.sh "$tar"
berth image import "$tar" busybox:latest
rm -f "$tar"

if ! berth service inspect demo >/dev/null 2>&1; then
  berth service create --name demo --replicas 3 busybox sh -c 'while true; do echo "hello from $(hostname)"; sleep 2; done'
fi
wait_for "3 running tasks" 90 sh -c "'$REPO/bin/berth' service ls | grep -E '^[a-z0-9]+ +demo +3/3 '"
berth service ps demo
say "service logs:"
sleep 2
berth service logs --tail 2 demo

cat <<EOT

Berth is running: registry $REGISTRY, controller http://$API, one agent on this host.
Use the CLI:
    export PATH=$REPO/bin:\$PATH BERTH_HOST=$API BERTH_TOKEN=\$(cat $LIB/controller/admin-token)
    berth node ls
    berth run busybox echo hello
    berth service scale demo=5
    berth service ps demo
    berth join-token          # the command that adds another host
Stop everything with: sudo bash deploy/teardown.sh
EOT
