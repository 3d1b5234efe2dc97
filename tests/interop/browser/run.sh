#!/usr/bin/env bash
# The chat demo page (demo/) in headless Chromium against the demo server
# (socketio/examples/chat.rs), driven by playwright-core with Debian's /usr/bin/chromium.
#   bash tests/interop/browser/run.sh               the built-in server
#   bash tests/interop/browser/run.sh --front axum  the same app as an axum Router (tower Service)
# Without /usr/bin/chromium: with CI or REQUIRE_ALL=1 set it installs the `chromium` package with
# apt-get, otherwise it says why it skips and exits 0. Installs its npm packages and the demo's
# (npm ci, from the committed lockfiles) when missing. Respects CARGO_TARGET_DIR.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"
TTL_S=4
front=builtin
features=()
case "${1:-}" in
  "") ;;
  --front) front="${2:-}" ;;
  *) echo "usage: run.sh [--front builtin|axum]" >&2; exit 2 ;;
esac
case "$front" in
  builtin) ;;
  axum) features=(--features tower) ;;
  *) echo "run.sh: unknown --front '$front' (builtin|axum)" >&2; exit 2 ;;
esac

need_chromium "the browser test" || exit 0

if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  echo "run.sh: npm ci in $HERE"
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi
if [ ! -f "$ROOT/demo/node_modules/socket.io-client/dist/socket.io.min.js" ]; then
  echo "run.sh: npm ci in $ROOT/demo"
  (cd "$ROOT/demo" && npm ci --no-audit --no-fund)
fi

(cd "$ROOT" && cargo build -q -p socketio ${features[@]+"${features[@]}"} --example chat)
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
bin="$target_dir/debug/examples/chat"
[ -x "$bin" ] || { echo "run.sh: $bin not found after the build" >&2; exit 1; }

server_pid=""
log="$(mktemp "${TMPDIR:-/tmp}/chat-demo-server.XXXXXX")"
shots="$(mktemp -d "${TMPDIR:-/tmp}/chat-demo-shots.XXXXXX")"
cleanup() {
  stop_server "$server_pid"
  rm -f "$log"
}
trap cleanup EXIT

port="$(free_port)"
secret="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
echo "run.sh: starting $bin --port $port --token-ttl-s $TTL_S --front $front"
CHAT_JWT_SECRET="$secret" "$bin" --host 127.0.0.1 --port "$port" --static "$ROOT/demo" \
  --token-ttl-s "$TTL_S" --front "$front" >"$log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the demo server exited before answering; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$url/"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "run.sh: the demo server did not answer $url/ within ~15 s; its output:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
CHAT_URL="$url" CHAT_SECRET="$secret" CHAT_TTL_S="$TTL_S" SCREENSHOT_DIR="$shots" CHROMIUM="$CHROMIUM" \
  node "$HERE/test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: the browser test FAILED (status $status); server output:" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
