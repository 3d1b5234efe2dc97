#!/usr/bin/env bash
# Interop tests of connection state recovery: the real npm socket.io-client 4.8 against our
# recovery test server (servers/src/recovery.rs, binary socketio-recovery), started twice: without
# authentication and a short window (SIO_URL), and with a JWT policy (SIO_JWT_URL).
#   ./run.sh              our server
#   ./run.sh --front axum our server's endpoint mounted in an axum Router (tower Service)
#   ./run.sh --peer node  the Node reference socket.io (peer-server.js) instead; the JWT tests skip
#   ./run.sh --parser msgpack  servers and clients speak npm socket.io-msgpack-parser
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
    *) echo "usage: run.sh [--peer node] [--front builtin|axum] [--parser json|msgpack]" >&2; exit 2 ;;
  esac
done
case "$parser" in json|msgpack) ;; *) echo "run.sh: unknown parser '$parser' (json|msgpack)" >&2; exit 2 ;; esac
SERVER_ARGS+=(--parser "$parser")
case "$peer" in ours|node) ;; *) echo "run.sh: unknown peer '$peer' (ours|node)" >&2; exit 2 ;; esac

if [ ! -d node_modules/socket.io-client ]; then
  echo "run.sh: node_modules missing: run 'npm ci' in $HERE first" >&2
  exit 2
fi

# The window of the server without authentication: a drop and a reconnection take well under it,
# and the expiry test waits it out.
WINDOW_MS=2000
JWT_SECRET=recovery-interop-secret-of-32-bytes-or-more

plain_pid=""
jwt_pid=""
trap 'stop_server "$plain_pid"; stop_server "$jwt_pid"' EXIT

plain_port="$(free_port)"
plain_log="$(mktemp "${TMPDIR:-/tmp}/recovery-interop-plain.XXXXXX")"
jwt_log="$(mktemp "${TMPDIR:-/tmp}/recovery-interop-jwt.XXXXXX")"
plain="http://127.0.0.1:$plain_port"
jwt=""
if [ "$peer" = node ]; then
  node peer-server.js --port "$plain_port" --recovery-ms "$WINDOW_MS" --parser "$parser" >"$plain_log" 2>&1 &
  plain_pid=$!
else
  bin="$(cargo_binary test-servers bin socketio-recovery)"
  echo "run.sh: our socketio-recovery ($FRONT_LABEL)"
  "$bin" --port "$plain_port" --recovery-ms "$WINDOW_MS" "${SERVER_ARGS[@]}" >"$plain_log" 2>&1 &
  plain_pid=$!
  jwt_port="$(free_port)"
  "$bin" --port "$jwt_port" --recovery-ms 60000 --jwt-secret "$JWT_SECRET" --jwt-leeway-s 0 --jwt-refresh \
    "${SERVER_ARGS[@]}" >"$jwt_log" 2>&1 &
  jwt_pid=$!
  jwt="http://127.0.0.1:$jwt_port"
fi
wait_ready "$plain_pid" "$plain/socket.io/?EIO=4&transport=polling" "$plain_log" "recovery server ($peer)"
if [ -n "$jwt" ]; then
  wait_ready "$jwt_pid" "$jwt/socket.io/?EIO=4&transport=polling" "$jwt_log" "recovery server (JWT)"
fi

status=0
SIO_PARSER="$parser" SIO_URL="$plain" SIO_JWT_URL="$jwt" SIO_JWT_SECRET="$JWT_SECRET" SIO_WINDOW_MS="$WINDOW_MS" \
  node --test --test-concurrency=1 --test-reporter=spec test/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: recovery interop tests FAILED (status $status); server output:" >&2
  tail -n 30 "$plain_log" "$jwt_log" >&2
fi
rm -f "$plain_log" "$jwt_log"
exit "$status"
