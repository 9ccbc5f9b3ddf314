#!/usr/bin/env bash
# Makes sure PostgreSQL (with PostGIS) and Redis are installed and running on this machine, for the demo and the
# tests. Installs Debian packages when something is missing (needs root or sudo) and starts stopped services.
set -euo pipefail
PGHOST_=${PGHOST:-127.0.0.1}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
wait_for() { # wait_for <what> <command…>: up to 30 s
  local what=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "ensure-services: $what did not come up" >&2; return 1
}

# PostgreSQL
if ! command -v psql >/dev/null 2>&1; then apt_install postgresql postgresql-contrib; fi
if ! pg_isready -h "$PGHOST_" -q 2>/dev/null; then
  echo "ensure-services: starting PostgreSQL"
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || $SUDO service postgresql start
  wait_for PostgreSQL pg_isready -h "$PGHOST_" -q
fi
pgver=$(psql -h "$PGHOST_" -U postgres -tAc "show server_version_num" | cut -c1-2)
if ! psql -h "$PGHOST_" -U postgres -tAc "select 1 from pg_available_extensions where name = 'postgis'" | grep -q 1; then
  echo "ensure-services: installing PostGIS for PostgreSQL $pgver"
  apt_install "postgresql-$pgver-postgis-3"
fi

# Redis
if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
if ! redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG; then
  echo "ensure-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp --logfile /tmp/grid141-redis.log
  wait_for Redis sh -c 'redis-cli -h 127.0.0.1 ping | grep -q PONG'
fi
