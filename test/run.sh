#!/usr/bin/env bash
# The whole test suite: prerequisites (deploy/prereqs.sh), then unit,
# integration and lab end-to-end tests with node's test runner. The last line
# is the summary: `N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash deploy/prereqs.sh || { echo "prerequisites failed"; echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mapfile -t unit < <(find dist/apps dist/libs -name '*.spec.js' | sort)
mapfile -t integration < <(find dist/test/integration -name '*.int-spec.js' 2>/dev/null | sort)
mapfile -t e2e < <(find dist/test/e2e -name '*.e2e-spec.js' 2>/dev/null | sort)

status=0
run_suite() {
  local name=$1; shift
  [ $# -gt 0 ] || return 0
  echo "== $name: $# file(s)"
  node --test --test-concurrency=1 --test-timeout=900000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$out/$name.tap" "$@" || status=1
}
run_suite unit "${unit[@]}"
run_suite integration "${integration[@]}"
run_suite e2e "${e2e[@]}"

count() { cat "$out"/*.tap 2>/dev/null | awk -v k="# $1" '$1" "$2==k {s+=$3} END {print s+0}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped)
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
