#!/usr/bin/env bash
# The axum example (socketio/examples/axum.rs: Socket.IO mounted in an axum app with its own
# login and middleware) driven by the real npm socket.io-client (from ../socketio, `npm ci` there).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

if [ ! -d ../socketio/node_modules/socket.io-client ]; then
  echo "run.sh: ../socketio/node_modules missing: run 'npm ci' in $HERE/../socketio first" >&2
  exit 2
fi
(cd "$INTEROP_ROOT" && cargo build -q -p socketio --features tower --example axum) >&2
dir="${CARGO_TARGET_DIR:-target}"
case "$dir" in /*) ;; *) dir="$INTEROP_ROOT/$dir" ;; esac
bin="$dir/debug/examples/axum"

server_pid=""
trap 'stop_server "$server_pid"' EXIT
port="$(free_port)"
log="$(mktemp "${TMPDIR:-/tmp}/axum-example.XXXXXX")"
echo "run.sh: starting $bin --port $port"
"$bin" --port "$port" >"$log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
wait_ready "$server_pid" "$url/socket.io/?EIO=4&transport=polling" "$log" "the axum example"

status=0
NODE_PATH="$HERE/../socketio/node_modules" APP_URL="$url" \
  node --test --test-concurrency=1 --test-reporter=spec test/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: the axum example's tests FAILED (status $status); server output:" >&2
  tail -n 50 "$log" >&2
fi
rm -f "$log"
exit "$status"
