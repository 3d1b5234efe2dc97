#!/usr/bin/env bash
# Interop tests: the real npm engine.io-client against an Engine.IO echo server.
#   ./run.sh              builds and runs OUR echo server (engineio-echo of the test-servers crate)
#   ./run.sh --front axum the same endpoint mounted in an axum Router (tower Service)
#   ./run.sh --tls        our built-in server on https:// and wss:// (a self-signed certificate)
#   ./run.sh --peer node  runs the Node reference `engine.io` server (peer-echo.js) instead
# Expects `npm ci` to have been run in this folder. Exits with node --test's status.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

peer=ours
server_flags "$@"
set -- ${REST_ARGS[@]+"${REST_ARGS[@]}"}
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer="${2:-}"; shift 2 || { echo "run.sh: --peer needs a value" >&2; exit 2; } ;;
    --peer=*) peer="${1#--peer=}"; shift ;;
    *) echo "usage: run.sh [--peer node] [--front builtin|axum] [--tls]" >&2; exit 2 ;;
  esac
done
case "$peer" in
  ours) label="our engineio-echo ($FRONT_LABEL)" ;;
  node) label="the Node reference engine.io" ;;
  *) echo "run.sh: unknown peer '$peer' (ours|node)" >&2; exit 2 ;;
esac

if [ ! -d node_modules/engine.io-client ]; then
  echo "run.sh: node_modules missing: run 'npm ci' in $HERE first" >&2
  exit 2
fi

server_pid=""
trap 'stop_server "$server_pid"' EXIT

port="$(free_port)"
log="$(mktemp "${TMPDIR:-/tmp}/engineio-interop-server.XXXXXX")"
if [ "$peer" = ours ]; then
  bin="$(cargo_binary test-servers bin engineio-echo)"
  echo "run.sh: starting our echo server $bin --port $port ${SERVER_ARGS[*]}"
  "$bin" --port "$port" "${SERVER_ARGS[@]}" >"$log" 2>&1 &
else
  echo "run.sh: starting the Node reference engine.io echo server on port $port"
  node peer-echo.js --port "$port" >"$log" 2>&1 &
fi
server_pid=$!

url="$SCHEME://127.0.0.1:$port"
probe="$url/engine.io/?EIO=4&transport=polling"
wait_ready "$server_pid" "$probe" "$log" "$label server"

status=0
EIO_URL="$url" node --test --test-reporter=spec test/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: interop tests against $label server FAILED (status $status); server output:" >&2
  tail -n 50 "$log" >&2
fi
rm -f "$log"
exit "$status"
