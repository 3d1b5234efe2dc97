#!/usr/bin/env bash
# Interop tests of the JWT authentication layer against our conformance server
# (socketio-conformance of the test-servers crate, with its auth flags):
#   - Node: the real npm socket.io-client, tokens minted by npm jsonwebtoken (test/*.test.js);
#   - Python: the real python-socketio client, tokens minted by PyJWT (test_auth.py).
# Usage: ./run.sh [node|python|all]   (default all)
# Needs `npm ci` in this folder, and a python3 on PATH with requirements.txt installed (the test
# command's .venv). A missing Python side is skipped with the reason, or fails when REQUIRE_ALL=1.
# Starts one server per configuration on free ports, waits until each answers the Engine.IO
# handshake, passes the URLs in AUTH_URL_* env vars, stops them, exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$HERE"

which_side="${1:-all}"
case "$which_side" in
  node|python|all) ;;
  *) echo "usage: run.sh [node|python|all]" >&2; exit 2 ;;
esac

if [ ! -d node_modules/socket.io-client ] || [ ! -d node_modules/jsonwebtoken ]; then
  echo "run.sh: node_modules missing: run 'npm ci' in $HERE first" >&2
  exit 2
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

work="$(mktemp -d "${TMPDIR:-/tmp}/auth-interop.XXXXXX")"
pids=()
names=()
cleanup() {
  for pid in "${pids[@]+"${pids[@]}"}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]+"${pids[@]}"}"; do
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# SOCKETIO_CONFORMANCE_BIN=path uses an already built binary instead of building one.
if [ -n "${SOCKETIO_CONFORMANCE_BIN:-}" ]; then
  bin="$SOCKETIO_CONFORMANCE_BIN"
else
  (cd "$ROOT" && cargo build -q -p test-servers --bin socketio-conformance)
  target_dir="${CARGO_TARGET_DIR:-target}"
  case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
  bin="$target_dir/debug/socketio-conformance"
fi
[ -x "$bin" ] || { echo "run.sh: $bin not found after build" >&2; exit 1; }

# Key material: RSA (PEM), two P-256 keys and an Ed25519 key (JWKS with kids), generated fresh.
node keys.js "$work/keys"

export AUTH_SECRET="interop-secret-0123456789-abcdefghijklmnopqrstuvwxyz"   # >= 32 bytes
export AUTH_ISSUER="auth-interop"
export AUTH_AUDIENCE="chat"
export AUTH_KEYS="$work/keys"
# Leeway 0 (the default is 30 s): a namespace's deadline is exp + leeway, and the expiry tests
# measure the disconnect against exp itself. The `leeway` server below sets its own.
claims=(--jwt-issuer "$AUTH_ISSUER" --jwt-audience "$AUTH_AUDIENCE" --jwt-leeway-s 0)

# start NAME ENVVAR FLAGS...: starts a server, exports ENVVAR=its URL.
start() {
  local name="$1" var="$2"
  shift 2
  local port
  port="$(free_port)"
  "$bin" --port "$port" "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
  export "$var=http://127.0.0.1:$port"
  echo "run.sh: $name on port $port: $*"
}

# Handshake mode, default sources (auth,header): query and cookie are NOT read.
start hs AUTH_URL_HS --jwt-secret "$AUTH_SECRET" "${claims[@]}"
# Handshake mode, every source.
start all AUTH_URL_ALL --jwt-secret "$AUTH_SECRET" "${claims[@]}" --token-sources auth,header,query,cookie
# Event mode (socketio-jwt's authenticate flow), 1 s to authenticate.
start event AUTH_URL_EVENT --jwt-secret "$AUTH_SECRET" "${claims[@]}" --auth-mode event --auth-timeout-ms 1000
# Handshake mode with in-band refresh.
start refresh AUTH_URL_REFRESH --jwt-secret "$AUTH_SECRET" "${claims[@]}" --jwt-refresh
# RS256 public key (PEM).
start rsa AUTH_URL_RSA --jwt-public-key "$AUTH_KEYS/rsa.pub.pem" "${claims[@]}"
# JWKS: ES256 kids ec-a and ec-b, EdDSA kid ed-1.
start jwks AUTH_URL_JWKS --jwks "$AUTH_KEYS/jwks.json" "${claims[@]}"
# The MessagePack parser (npm socket.io-msgpack-parser): handshake mode and event mode.
start hs_msgpack AUTH_URL_HS_MSGPACK --jwt-secret "$AUTH_SECRET" "${claims[@]}" --parser msgpack
start event_msgpack AUTH_URL_EVENT_MSGPACK --jwt-secret "$AUTH_SECRET" "${claims[@]}" --auth-mode event --auth-timeout-ms 1000 --parser msgpack
# Handshake mode with a 3 s leeway (jsonwebtoken's clockTolerance); later flags win.
start leeway AUTH_URL_LEEWAY --jwt-secret "$AUTH_SECRET" "${claims[@]}" --jwt-leeway-s 3

for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  name="${names[$i]}"
  var="AUTH_URL_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
  probe="${!var}/socket.io/?EIO=4&transport=polling"
  ready=""
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: server '$name' exited before answering; its output:" >&2
      cat "$work/$name.log" >&2
      exit 1
    fi
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$probe"; then
      ready=1
      break
    fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "run.sh: server '$name' did not answer $probe within ~15 s; its output:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
done

status=0
if [ "$which_side" != python ]; then
  node --test --test-reporter=spec test/*.test.js || status=1
fi

if [ "$which_side" != node ]; then
  PY="${PYTHON:-python3}"
  if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import socketio, jwt, cryptography, requests, websocket, msgpack' 2>/dev/null; then
    why="$PY lacks python-socketio/PyJWT/cryptography/requests/websocket-client: pip install -r $HERE/requirements.txt (the test command's .venv)"
    if [ "${REQUIRE_ALL:-0}" = "1" ]; then
      echo "run.sh: FAIL: $why (required because REQUIRE_ALL=1)" >&2
      status=1
    else
      echo "run.sh: SKIP python tests: $why"
    fi
  else
    echo "run.sh: python-socketio $("$PY" -c 'import importlib.metadata as m; print(m.version("python-socketio"))'), PyJWT $("$PY" -c 'import jwt; print(jwt.__version__)')"
    "$PY" -u test_auth.py || status=1
  fi
fi

if [ "$status" -ne 0 ]; then
  echo "run.sh: auth interop tests FAILED; server output (last lines of each):" >&2
  for name in "${names[@]}"; do
    echo "--- $name" >&2
    tail -n 20 "$work/$name.log" >&2
  done
fi
exit "$status"
