#!/usr/bin/env bash
# The tests talk to the real PostgreSQL and Redis: fail loudly when either does not answer.
set -uo pipefail

pg_host=127.0.0.1 pg_port=5432 redis_port=6379
ok=1
if ! pg_isready -h "$pg_host" -p "$pg_port" -d test -q; then
  echo "ERROR: PostgreSQL does not answer on $pg_host:$pg_port (database 'test')." >&2
  echo "       Start it: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  ok=0
fi
if [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" != "PONG" ]; then
  echo "ERROR: Redis does not answer on 127.0.0.1:$redis_port." >&2
  echo "       Start it: redis-server --daemonize yes --bind 127.0.0.1 --port $redis_port --save '' --appendonly no" >&2
  ok=0
fi
[ $ok -eq 1 ] || exit 1
echo "PostgreSQL and Redis answer."
