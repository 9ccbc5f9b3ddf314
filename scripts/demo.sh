#!/usr/bin/env bash
# Brings Grid141 up with demo data on http://localhost:${PORT:-3000}: installs what is missing, starts PostgreSQL
# (+PostGIS) and Redis if needed, creates and migrates the database, loads Anji county's demo data and accounts,
# then runs the worker (SLA timers, and the living demo's generator: DEMO_GENERATOR=off npm run demo for a still county)
# in the background and the API in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-services.sh
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/grid141}
db=${DATABASE_URL##*/}
admin_url=${DATABASE_URL%/*}/postgres
if ! psql "$admin_url" -tAc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
  psql "$admin_url" -qc "create database \"$db\""
fi
# Secrets have no defaults: each is generated once per installation into .data/ (ignored by git) unless set in the
# environment, and never regenerated while its file exists (losing the personal-data key loses those columns).
secret() { # secret <VARIABLE> <file> <what>
  if [ -z "${!1:-}" ]; then
    mkdir -p .data
    if [ ! -s ".data/$2" ]; then
      (umask 077; node -e "process.stdout.write(require('crypto').randomBytes(48).toString('base64url'))" > ".data/$2")
      echo "demo: generated a random $3 in .data/$2"
    fi
    export "$1=$(cat ".data/$2")"
  fi
}
secret JWT_SECRET jwt-secret "JWT secret"
secret PII_KEY pii-key "personal-data key"
npx tsc -p tsconfig.build.json
npm run --silent build:web
node dist/apps/api/src/cli.js migrate
node dist/apps/api/src/cli.js seed-demo
# The provincial gateways (浙政钉, IRS, 12345) are the province sandbox (apps/province-sandbox) on this machine, with a key
# generated once per installation; set GATEWAY_* in the environment to point at the real gateways instead.
secret SANDBOX_SK sandbox-secret "province sandbox key"
if [ -z "${GATEWAY_IRS_BASE_URL:-}${GATEWAY_ZWDD_BASE_URL:-}${GATEWAY_INBOUND_ACCESS_KEY:-}" ]; then
  export SANDBOX_PORT=${SANDBOX_PORT:-4141}
  export SANDBOX_ZWDD_KEYS="grid141-zwdd:$SANDBOX_SK" SANDBOX_IRS_KEYS="BCDSGA_grid141:$SANDBOX_SK"
  export SANDBOX_PUSH_ACCESS_KEY=province-12345 SANDBOX_PUSH_SECRET_KEY="$SANDBOX_SK"
  export SANDBOX_PUSH_URL=http://127.0.0.1:${PORT:-3000}/api/v1/province/work-orders
  export SANDBOX_PUSH_VISIT_URL=http://127.0.0.1:${PORT:-3000}/api/v1/province/work-orders/visits
  export GATEWAY_ZWDD_BASE_URL=http://127.0.0.1:$SANDBOX_PORT GATEWAY_ZWDD_ACCESS_KEY=grid141-zwdd GATEWAY_ZWDD_SECRET_KEY="$SANDBOX_SK" GATEWAY_ZWDD_TENANT_ID=196729
  export GATEWAY_IRS_BASE_URL=http://127.0.0.1:$SANDBOX_PORT GATEWAY_IRS_ACCESS_KEY=BCDSGA_grid141 GATEWAY_IRS_SECRET_KEY="$SANDBOX_SK"
  export GATEWAY_INBOUND_ACCESS_KEY=province-12345 GATEWAY_INBOUND_SECRET_KEY="$SANDBOX_SK"
  node dist/apps/province-sandbox/src/main.js &
  sandbox=$!
  echo "demo: province sandbox (浙政钉, IRS, 12345) on http://127.0.0.1:$SANDBOX_PORT — push a 12345 work order: curl -XPOST http://127.0.0.1:$SANDBOX_PORT/_sandbox/push-workorder"
  # the demo's people have sandbox 浙政钉 accounts (demo-<username>): notices and to-dos reach them, 免登 can be tried
  node dist/apps/api/src/cli.js demo-zwdd-bind
  echo "demo: 浙政钉 免登 — POST {\"accountId\":\"demo-tw.330523001\"} to http://127.0.0.1:$SANDBOX_PORT/_sandbox/auth-code, open http://127.0.0.1:${PORT:-3000}/?authCode=<its authCode>"
fi
# the living demo: demo-marked reports across the county at daytime rates, moved through the workflow by the demo users
DEMO_GENERATOR=${DEMO_GENERATOR:-on} node dist/apps/worker/src/main.js &
worker=$!
trap 'kill $worker ${sandbox:-} 2>/dev/null || true' EXIT INT TERM
echo "Demo accounts (password Grid141!demo): admin, county.op, county.lead, tw.330523001, h.330523001-JG, gw.330523001002001 … (see README)"
node dist/apps/api/src/main.js
