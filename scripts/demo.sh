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
# the living demo: demo-marked reports across the county at daytime rates, moved through the workflow by the demo users
DEMO_GENERATOR=${DEMO_GENERATOR:-on} node dist/apps/worker/src/main.js &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Demo accounts (password Grid141!demo): admin, county.op, county.lead, tw.330523001, h.330523001-JG, gw.330523001002001 … (see README)"
node dist/apps/api/src/main.js
