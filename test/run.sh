#!/usr/bin/env bash
# The whole test suite: prerequisites (deploy/prereqs.sh), lint (one test:
# eslint, prettier --check and the import-cycle check), then unit,
# integration, fuzz, lab end-to-end and chaos tests with node's test runner,
# one process per file with its time printed. The last line is the summary:
# `N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash deploy/prereqs.sh --tools || { echo "prerequisites failed"; echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
files() { find "$@" 2>/dev/null | sort; }
mapfile -t unit < <(files dist/apps dist/libs -name '*.spec.js')
mapfile -t integration < <(files dist/test/integration -name '*.int-spec.js')
mapfile -t fuzz < <(files dist/test/fuzz -name '*.fuzz-spec.js')
mapfile -t e2e < <(files dist/test/e2e -name '*.e2e-spec.js')
mapfile -t chaos < <(files dist/test/chaos -name '*.chaos-spec.js')

status=0
started=$SECONDS
run_suite() {
  local name=$1; shift
  [ $# -gt 0 ] || return 0
  echo "== $name: $# file(s)"
  local f t i=0
  for f in "$@"; do
    i=$((i + 1)); t=$SECONDS
    node --test --test-concurrency=1 --test-timeout=900000 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$out/$name-$i.tap" "$f" || status=1
    echo "-- ${f#dist/}: $((SECONDS - t)) s"
  done
}
# Lint counts as one test; its result goes in a tap file like the others'.
run_lint() {
  echo "== lint"
  local t=$SECONDS result=pass
  npm run --silent lint || { result=fail; status=1; }
  echo "# $result 1" >"$out/lint.tap"
  echo "-- lint: $result, $((SECONDS - t)) s"
}
run_lint
run_suite unit "${unit[@]}"
run_suite integration "${integration[@]}"
run_suite fuzz "${fuzz[@]}"
run_suite e2e "${e2e[@]}"
run_suite chaos "${chaos[@]}"
echo "== whole suite: $((SECONDS - started)) s"

count() { cat "$out"/*.tap 2>/dev/null | awk -v k="# $1" '$1" "$2==k {s+=$3} END {print s+0}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped)
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
