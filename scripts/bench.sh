#!/usr/bin/env bash
# npm run bench -- <name>: builds, then runs bench/<name>.ts (compiled) against real PostgreSQL/PostGIS and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: npm run bench -- <name>   (benchmarks: $(ls bench | grep -v support | sed 's/\.ts$//' | tr '\n' ' '))}
bash scripts/ensure-deps.sh
bash scripts/ensure-services.sh >&2
npx tsc -p tsconfig.build.json
# the browser benchmarks need Chromium, the Chinese font and the built pages
if [[ $name == web-* ]]; then bash scripts/ensure-browser.sh; npm run --silent build:web >&2; fi
exec node "dist/bench/$name.js"
