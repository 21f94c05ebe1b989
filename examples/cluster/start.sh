#!/usr/bin/env bash
# Two Secure Inbox instances on one PostgreSQL, behind HAProxy on one address. See README.md.
#
#   examples/cluster/start.sh            # the demo on both instances: login picker and seeded data
#   examples/cluster/start.sh --serve    # `secure-inbox serve` from the build: tokens from your own site
#   examples/cluster/start.sh --check    # only check haproxy.cfg (haproxy -c)
#
# Ctrl-C (or SIGINT/SIGTERM to this script) stops everything: each instance drains for up to
# SECURE_INBOX_SHUTDOWN_GRACE_SECONDS and the script reports each instance's exit code; it exits 0 only if both did.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

mode=demo
case "${1:-}" in
  '') ;;
  --serve) mode=serve ;;
  --check) mode=check ;;
  *)
    echo "usage: $0 [--serve | --check]" >&2
    exit 2
    ;;
esac

export CLUSTER_HOST="${CLUSTER_HOST:-127.0.0.1}"
export CLUSTER_PORT="${CLUSTER_PORT:-8787}"
export CLUSTER_STATS_PORT="${CLUSTER_STATS_PORT:-8788}"
export INSTANCE_A_PORT="${INSTANCE_A_PORT:-8801}"
export INSTANCE_B_PORT="${INSTANCE_B_PORT:-8802}"

command -v haproxy >/dev/null || {
  echo "haproxy is not installed: apt-get install -y haproxy" >&2
  exit 1
}
haproxy -c -q -f "$here/haproxy.cfg"
if [ "$mode" = check ]; then
  echo "haproxy.cfg is valid"
  exit 0
fi

if [ "$mode" = demo ]; then
  [ -f "$root/packages/elements/dist/secure-inbox.js" ] || {
    echo "the widget bundle is missing: run pnpm build first" >&2
    exit 1
  }
  # The demo from the sources, as `pnpm start` runs it: the server with the demo's login page, seeding the database
  # on its first start. Both instances run it, so any of them answers any request, the demo's pages included.
  run_instance() {
    cd "$root/packages/server"
    exec node --import tsx src/demo/main.ts
  }
  # Tokens minted by one instance must be accepted by the other: one secret for both, new at every start unless set.
  export SECURE_INBOX_JWT_SECRET="${SECURE_INBOX_JWT_SECRET:-$(node -e "console.log(require('node:crypto').randomBytes(48).toString('base64url'))")}"
else
  [ -f "$root/packages/server/dist/cli.js" ] || {
    echo "no build at packages/server/dist/cli.js: run pnpm build first" >&2
    exit 1
  }
  run_instance() { exec node --conditions=secure-inbox-compiled "$root/packages/server/dist/cli.js" serve; }
  : "${SECURE_INBOX_JWT_SECRET:?set SECURE_INBOX_JWT_SECRET to the secret your site signs tokens with (at least 32 bytes; openssl rand -base64 48)}"
fi

export SECURE_INBOX_DATABASE_URL="${SECURE_INBOX_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/secure_inbox_cluster}"
node "$here/create-database.mjs"

# The addresses the instances see are HAProxy's; the browser's is in X-Forwarded-For.
export SECURE_INBOX_TRUST_PROXY=true HOST=127.0.0.1
export SECURE_INBOX_PUBLIC_URL="${SECURE_INBOX_PUBLIC_URL:-http://$CLUSTER_HOST:$CLUSTER_PORT/}"
# Notice e-mails go to .eml files here unless SECURE_INBOX_SMTP_URL is set (each is sent once, by either instance).
export SECURE_INBOX_DATA_DIR="${SECURE_INBOX_DATA_DIR:-$root/data/cluster}"
# HAProxy logs one line per request, naming the instance that answered it; the instances' own line per request
# (and per health check, two a second) comes back with SECURE_INBOX_LOG_LEVEL=info.
export SECURE_INBOX_LOG_LEVEL="${SECURE_INBOX_LOG_LEVEL:-warn}"

stopping=0
trap 'stopping=1' INT TERM

# Waits for the process $1 to exit (a signal arriving meanwhile does not count) and sets `code` to its exit code.
code=0
exit_code_of() {
  while :; do
    if wait "$1"; then code=0; else code=$?; fi
    kill -0 "$1" 2>/dev/null || return 0
  done
}

# SIGTERM to the instances still running (each drains: /readyz 503, streams ended with a retry hint, requests in
# flight finished) and a soft stop to HAProxy (it stops listening and lets the connections it holds finish); then
# their exit codes.
status=0
stop_all() {
  trap '' INT TERM
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  if [ -n "$proxy" ]; then kill -USR1 "$proxy" 2>/dev/null || true; fi
  for name in a b; do
    [ -n "${pids[$name]:-}" ] || continue
    exit_code_of "${pids[$name]}"
    echo "instance $name exited with code $code"
    [ "$code" = 0 ] || status=1
  done
  if [ -n "$proxy" ]; then exit_code_of "$proxy"; fi
  exit "$status"
}

declare -A pids=()
proxy=""
# One after the other: the first migrates (and seeds the demo), the second finds nothing left to do. `serve`
# instances could start at once (migrations run under an advisory lock); two demo seeds at once could collide.
for name in a b; do
  if [ "$name" = a ]; then port=$INSTANCE_A_PORT; else port=$INSTANCE_B_PORT; fi
  PORT=$port run_instance &
  pids[$name]=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    if [ "$stopping" = 1 ]; then stop_all; fi
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      echo "instance $name (port $port) exited before it was ready" >&2
      status=1
      stop_all
    fi
    sleep 0.2 || true
  done
  echo "instance $name ready on 127.0.0.1:$port (pid ${pids[$name]})"
done

haproxy -db -f "$here/haproxy.cfg" &
proxy=$!
until curl -fsS -o /dev/null "http://$CLUSTER_HOST:$CLUSTER_PORT/readyz" 2>/dev/null; do
  if [ "$stopping" = 1 ]; then stop_all; fi
  if ! kill -0 "$proxy" 2>/dev/null; then
    echo "HAProxy exited before it answered on $CLUSTER_HOST:$CLUSTER_PORT" >&2
    status=1
    stop_all
  fi
  sleep 0.2 || true
done
echo "Secure Inbox on http://$CLUSTER_HOST:$CLUSTER_PORT/ through HAProxy (instances on $INSTANCE_A_PORT and $INSTANCE_B_PORT, HAProxy's statistics on http://$CLUSTER_HOST:$CLUSTER_STATS_PORT/); Ctrl-C stops all three"

# Until Ctrl-C. An instance that exits meanwhile (stopped by hand, as in a rolling restart, or failed) is reported
# and HAProxy sends everything to the other; the script stops once no instance is left or HAProxy exits.
while :; do
  exited=""
  if wait -n -p exited; then code=0; else code=$?; fi
  if [ "$stopping" = 1 ]; then stop_all; fi
  if [ -z "$exited" ]; then continue; fi
  if [ "$exited" = "$proxy" ]; then
    echo "HAProxy exited with code $code; stopping the instances" >&2
    proxy=""
    status=1
    stop_all
  fi
  for name in a b; do
    if [ "${pids[$name]:-}" = "$exited" ]; then
      unset "pids[$name]"
      echo "instance $name exited with code $code; the other one answers everything"
      [ "$code" = 0 ] || status=1
    fi
  done
  if [ "${#pids[@]}" = 0 ]; then
    echo "no instance is left; stopping HAProxy" >&2
    status=1
    stop_all
  fi
done
