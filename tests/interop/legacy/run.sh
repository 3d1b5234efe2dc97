#!/usr/bin/env bash
# Interop tests of socket.io-client 2.x (Engine.IO v3, Socket.IO protocol 4), with
# socket.io-client 4.x beside it on the same server, over polling, WebSocket and the upgrade:
#   ./run.sh              OUR servers with --allow-eio3: socketio-interop (events, acks,
#                         namespaces, rooms) and socketio-conformance with JWT in handshake mode
#                         (token sources auth,query) and in event mode
#   ./run.sh --peer node  the Node reference socket.io with allowEIO3: true (peer-server.js), the
#                         same behaviour, to prove the tests
# Expects `npm ci` to have been run in this folder. Exits with node --test's status.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

peer=ours
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer="${2:-}"; shift 2 || { echo "run.sh: --peer needs a value" >&2; exit 2; } ;;
    --peer=*) peer="${1#--peer=}"; shift ;;
    *) echo "usage: run.sh [--peer ours|node]" >&2; exit 2 ;;
  esac
done
case "$peer" in
  ours) label="our servers with --allow-eio3" ;;
  node) label="the Node reference socket.io with allowEIO3" ;;
  *) echo "run.sh: unknown peer '$peer' (ours|node)" >&2; exit 2 ;;
esac
if [ ! -d node_modules/sio2 ] || [ ! -d node_modules/socket.io-client ]; then
  echo "run.sh: node_modules missing: run 'npm ci' in $HERE first" >&2
  exit 2
fi

pids=()
logs=()
cleanup() {
  for pid in "${pids[@]+"${pids[@]}"}"; do stop_server "$pid"; done
  for log in "${logs[@]+"${logs[@]}"}"; do rm -f "$log"; done
}
trap cleanup EXIT

export LEGACY_SECRET="legacy-interop-secret-0123456789-abcdefghijklmnop"
port="$(free_port)"
jwt_port="$(free_port)"
event_port="$(free_port)"
start() { # name command...
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/legacy-$1.XXXXXX")"
  shift
  "$@" >"$log" 2>&1 &
  pids+=("$!")
  logs+=("$log")
}
if [ "$peer" = ours ]; then
  interop_bin="$(cargo_binary test-servers bin socketio-interop)"
  conformance_bin="$(cargo_binary test-servers bin socketio-conformance)"
  jwt=(--jwt-secret "$LEGACY_SECRET" --jwt-issuer legacy-interop --jwt-leeway-s 0)
  start interop "$interop_bin" --port "$port" --allow-eio3
  start jwt "$conformance_bin" --port "$jwt_port" --allow-eio3 "${jwt[@]}" --token-sources auth,query
  start jwt-event "$conformance_bin" --port "$event_port" --allow-eio3 "${jwt[@]}" --auth-mode event --auth-timeout-ms 1000
  for i in 0 1 2; do
    p=("$port" "$jwt_port" "$event_port")
    wait_ready "${pids[$i]}" "http://127.0.0.1:${p[$i]}/socket.io/?EIO=3&transport=polling" "${logs[$i]}" "$label"
  done
else
  start peer node peer-server.js --port "$port" --jwt-port "$jwt_port" --jwt-event-port "$event_port" --secret "$LEGACY_SECRET"
  for p in "$port" "$jwt_port" "$event_port"; do
    wait_ready "${pids[0]}" "http://127.0.0.1:$p/socket.io/?EIO=3&transport=polling" "${logs[0]}" "$label"
  done
fi
echo "run.sh: testing socket.io-client 2.x against $label"

export LEGACY_URL="http://127.0.0.1:$port"
export LEGACY_JWT_URL="http://127.0.0.1:$jwt_port"
export LEGACY_JWT_EVENT_URL="http://127.0.0.1:$event_port"
status=0
node --test --test-concurrency=1 --test-reporter=spec test/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: legacy interop tests against $label FAILED (status $status); server output:" >&2
  for log in "${logs[@]}"; do tail -n 30 "$log" >&2; done
fi
exit "$status"
