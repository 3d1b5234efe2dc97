#!/usr/bin/env bash
# Interop tests: the real python-socketio client against a Socket.IO interop server.
#   ./run.sh              builds and runs OUR server (socketio-interop of the test-servers crate)
#   ./run.sh --front axum the same server's endpoint mounted in an axum Router (tower Service)
#   ./run.sh --tls        our built-in server on https:// and wss:// (a self-signed certificate)
#   ./run.sh --peer node  runs the Node reference `socket.io` server (../socketio/peer-server.js;
#                         needs `npm ci` in ../socketio)
#   ./run.sh --parser msgpack  the server speaks npm socket.io-msgpack-parser and the client uses
#                         python-socketio's `msgpack` serializer (the same wire); every test runs
# Needs a python3 on PATH with requirements.txt installed (the test command's .venv).
# Extra arguments after `--` go to test_interop.py (e.g. `-- -k websocket`).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

peer=ours
parser=json
extra=()
server_flags "$@"
set -- ${REST_ARGS[@]+"${REST_ARGS[@]}"}
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer="${2:-}"; shift 2 || { echo "run.sh: --peer needs a value" >&2; exit 2; } ;;
    --peer=*) peer="${1#--peer=}"; shift ;;
    --parser) parser="${2:-}"; shift 2 || { echo "run.sh: --parser needs a value" >&2; exit 2; } ;;
    --parser=*) parser="${1#--parser=}"; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: run.sh [--peer node] [--front builtin|axum] [--tls] [--parser json|msgpack] [-- test args]" >&2; exit 2 ;;
  esac
done
case "$parser" in
  json) export SIO_SERIALIZER=default ;;
  msgpack) export SIO_SERIALIZER=msgpack; SERVER_ARGS+=(--parser msgpack) ;;
  *) echo "run.sh: unknown parser '$parser' (json|msgpack)" >&2; exit 2 ;;
esac
case "$peer" in
  ours) label="our socketio-interop ($FRONT_LABEL)" ;;
  node) label="the Node reference socket.io" ;;
  *) echo "run.sh: unknown peer '$peer' (ours|node)" >&2; exit 2 ;;
esac

missing() {
  if [ "${REQUIRE_ALL:-0}" = "1" ]; then
    echo "run.sh: FAIL: $* (required because REQUIRE_ALL=1)" >&2
    exit 1
  fi
  echo "run.sh: SKIP: $*"
  exit 0
}

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || missing "$PY is not installed"
if ! "$PY" -c 'import socketio, requests, websocket, msgpack' 2>/dev/null; then
  missing "$PY ($(command -v "$PY")) lacks python-socketio/requests/websocket-client/msgpack: pip install -r $HERE/requirements.txt (the test command's .venv)"
fi
command -v node >/dev/null 2>&1 || missing "node is not installed (used to find a free port and probe the server)"
if [ "$peer" = node ] && [ ! -d ../socketio/node_modules/socket.io ]; then
  echo "run.sh: ../socketio/node_modules missing: run 'npm ci' in $HERE/../socketio first" >&2
  exit 2
fi

server_pid=""
trap 'stop_server "$server_pid"' EXIT

port="$(free_port)"
log="$(mktemp "${TMPDIR:-/tmp}/socketio-python-interop-server.XXXXXX")"
if [ "$peer" = ours ]; then
  bin="$(cargo_binary test-servers bin socketio-interop)"
  echo "run.sh: starting our server $bin --port $port ${SERVER_ARGS[*]}"
  "$bin" --port "$port" "${SERVER_ARGS[@]}" >"$log" 2>&1 &
else
  echo "run.sh: starting the Node reference socket.io server on port $port"
  node ../socketio/peer-server.js --port "$port" --parser "$parser" >"$log" 2>&1 &
fi
server_pid=$!

url="$SCHEME://127.0.0.1:$port"
probe="$url/socket.io/?EIO=4&transport=polling"
wait_ready "$server_pid" "$probe" "$log" "$label server"

status=0
echo "run.sh: python-socketio $("$PY" -c 'import importlib.metadata as m; print(m.version("python-socketio"))') ($parser) against $label at $url"
SIO_URL="$url" "$PY" -u test_interop.py ${extra[@]+"${extra[@]}"} || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: python interop tests against $label server FAILED (status $status); server output:" >&2
  tail -n 50 "$log" >&2
fi
rm -f "$log"
exit "$status"
