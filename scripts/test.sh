#!/usr/bin/env bash
# The whole test suite: type check, build (API, worker and web pages), unit tests, and e2e and browser tests against real
# PostgreSQL/PostGIS, Redis and Debian's Chromium.
# Each run works in its own databases (grid141_t_<run>_*) and Redis key prefix, dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-services.sh
bash scripts/ensure-browser.sh
npx tsc -p tsconfig.json --noEmit
npx tsc -p test/e2e/tsconfig.browser.json
npm run --silent typecheck:web
npx tsc -p tsconfig.build.json
npm run --silent build:web
export GRID141_TEST_RUN="r$(date +%s)$$"
cleanup() {
  psql -h 127.0.0.1 -U postgres -tAc "select datname from pg_database where datname like 'grid141_t_${GRID141_TEST_RUN}%'" 2>/dev/null |
    while read -r db; do [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true; done
  redis-cli -h 127.0.0.1 --scan --pattern "t_${GRID141_TEST_RUN}*" 2>/dev/null | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
}
trap cleanup EXIT
out=$(mktemp)
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --runInBand --json --outputFile="$out" "$@" || status=$?
node -e "const r=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));console.log(r.numPassedTests+' passed, '+r.numFailedTests+' failed');" "$out" || true
exit $status
