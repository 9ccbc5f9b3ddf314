#!/usr/bin/env bash
# Installs npm dependencies from the committed lockfile when they are missing or older than it.
# (`npm ci` fails on this registry for non-Linux optional binaries; `npm install` keeps the lockfile as it is.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
