#!/bin/sh
# Two `secure-inbox serve` instances on one PostgreSQL, behind HAProxy on one address. See README.md.
#
#   SECURE_INBOX_DATABASE_URL=postgres://… SECURE_INBOX_JWT_SECRET=… examples/cluster/start.sh
#   examples/cluster/start.sh --check     # only check haproxy.cfg (haproxy -c)
#
# Ctrl-C (or SIGTERM) stops everything: each instance drains for up to SECURE_INBOX_SHUTDOWN_GRACE_SECONDS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli="$root/packages/server/dist/cli.js"

export CLUSTER_HOST="${CLUSTER_HOST:-127.0.0.1}"
export CLUSTER_PORT="${CLUSTER_PORT:-8787}"
export INSTANCE_A_PORT="${INSTANCE_A_PORT:-8801}"
export INSTANCE_B_PORT="${INSTANCE_B_PORT:-8802}"

command -v haproxy >/dev/null || { echo "haproxy is not installed: apt-get install -y haproxy" >&2; exit 1; }
haproxy -c -q -f "$here/haproxy.cfg"
if [ "${1:-}" = "--check" ]; then echo "haproxy.cfg is valid"; exit 0; fi

: "${SECURE_INBOX_DATABASE_URL:?set SECURE_INBOX_DATABASE_URL to the PostgreSQL both instances share (postgres://user@host:5432/db)}"
: "${SECURE_INBOX_JWT_SECRET:?set SECURE_INBOX_JWT_SECRET to a random secret of at least 32 bytes (openssl rand -base64 48)}"
[ -f "$cli" ] || { echo "no build at $cli: run pnpm build first" >&2; exit 1; }

# The addresses the servers see are HAProxy's; the client's is in X-Forwarded-For.
export SECURE_INBOX_TRUST_PROXY=true HOST=127.0.0.1
export SECURE_INBOX_PUBLIC_URL="${SECURE_INBOX_PUBLIC_URL:-http://$CLUSTER_HOST:$CLUSTER_PORT/}"

pids=""
stop() {
  trap - INT TERM EXIT
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM EXIT

# Started one after the other: the first migrates, the second finds nothing left to do (both would be safe at once).
for port in "$INSTANCE_A_PORT" "$INSTANCE_B_PORT"; do
  PORT=$port node --conditions=secure-inbox-compiled "$cli" serve &
  pids="$pids $!"
  tries=0
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -le 60 ] || { echo "the instance on port $port did not become ready" >&2; exit 1; }
    sleep 0.5
  done
  echo "instance ready on 127.0.0.1:$port"
done

haproxy -db -f "$here/haproxy.cfg" &
pids="$pids $!"
echo "Secure Inbox on http://$CLUSTER_HOST:$CLUSTER_PORT/ (instances on $INSTANCE_A_PORT and $INSTANCE_B_PORT); Ctrl-C stops all three"
wait
