#!/usr/bin/env bash
# Interop tests: the real npm socket.io-client against a Socket.IO interop server.
#   ./run.sh              builds and runs OUR server (socketio-interop of the test-servers crate)
#   ./run.sh --front axum the same server's endpoint mounted in an axum Router (tower Service)
#   ./run.sh --tls        our built-in server on https:// and wss:// (a self-signed certificate)
#   ./run.sh --peer node  runs the Node reference `socket.io` server (peer-server.js) instead
#   ./run.sh --parser msgpack  the server speaks npm socket.io-msgpack-parser; runs only
#                         test/msgpack.test.js (the other files are for the default parser)
# Expects `npm ci` to have been run in this folder. Exits with node --test's status.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

peer=ours
parser=json
server_flags "$@"
set -- ${REST_ARGS[@]+"${REST_ARGS[@]}"}
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer="${2:-}"; shift 2 || { echo "run.sh: --peer needs a value" >&2; exit 2; } ;;
    --peer=*) peer="${1#--peer=}"; shift ;;
    --parser) parser="${2:-}"; shift 2 || { echo "run.sh: --parser needs a value" >&2; exit 2; } ;;
    --parser=*) parser="${1#--parser=}"; shift ;;
    *) echo "usage: run.sh [--peer node] [--front builtin|axum] [--tls] [--parser json|msgpack]" >&2; exit 2 ;;
  esac
done
tests=()
case "$parser" in
  json) for t in test/*.test.js; do [ "$t" = test/msgpack.test.js ] || tests+=("$t"); done ;;
  msgpack) tests=(test/msgpack.test.js); SERVER_ARGS+=(--parser msgpack) ;;
  *) echo "run.sh: unknown parser '$parser' (json|msgpack)" >&2; exit 2 ;;
esac
export SIO_PARSER="$parser"
case "$peer" in
  ours) label="our socketio-interop ($FRONT_LABEL)" ;;
  node) label="the Node reference socket.io" ;;
  *) echo "run.sh: unknown peer '$peer' (ours|node)" >&2; exit 2 ;;
esac

if [ ! -d node_modules/socket.io-client ]; then
  echo "run.sh: node_modules missing: run 'npm ci' in $HERE first" >&2
  exit 2
fi

server_pid=""
trap 'stop_server "$server_pid"' EXIT

port="$(free_port)"
log="$(mktemp "${TMPDIR:-/tmp}/socketio-interop-server.XXXXXX")"
if [ "$peer" = ours ]; then
  bin="$(cargo_binary test-servers bin socketio-interop)"
  echo "run.sh: starting our server $bin --port $port ${SERVER_ARGS[*]}"
  "$bin" --port "$port" "${SERVER_ARGS[@]}" >"$log" 2>&1 &
else
  echo "run.sh: starting the Node reference socket.io server on port $port"
  node peer-server.js --port "$port" --parser "$parser" >"$log" 2>&1 &
fi
server_pid=$!

url="$SCHEME://127.0.0.1:$port"
probe="$url/socket.io/?EIO=4&transport=polling"
wait_ready "$server_pid" "$probe" "$log" "$label server"

status=0
SIO_URL="$url" node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: interop tests against $label server FAILED (status $status); server output:" >&2
  tail -n 50 "$log" >&2
fi
rm -f "$log"
exit "$status"
