#!/usr/bin/env bash
# The unmodified Socket.IO Admin UI (ui/dist of npm @socket.io/admin-ui, from the committed
# lockfile) in headless Chromium against the conformance server with --admin-password, driven by
# playwright-core with Debian's /usr/bin/chromium. The UI is served from another origin than the
# server (CORS with credentials, as a deployed UI is).
#   bash tests/interop/admin/run.sh                the built-in server
#   bash tests/interop/admin/run.sh --front axum   the same server as an axum Router (tower Service; scripts/test.sh runs both)
# Without /usr/bin/chromium: with CI or REQUIRE_ALL=1 set it installs the `chromium` package with
# apt-get, otherwise it says why it skips and exits 0. Installs its npm packages (npm ci) when
# missing. Respects CARGO_TARGET_DIR. SCREENSHOT_DIR (default: a temporary folder) keeps the
# screenshots; the dashboard's is docs/admin-ui.png in the README.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

need_chromium "the admin UI test" || exit 0

if [ ! -f "$HERE/node_modules/@socket.io/admin-ui/ui/dist/index.html" ] || [ ! -d "$HERE/node_modules/playwright-core" ]; then
  command -v npm >/dev/null || { echo "run.sh: FAIL: npm is needed (npm ci in $HERE)" >&2; exit 1; }
  echo "run.sh: npm ci in $HERE"
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

bin="$(cargo_binary test-servers bin socketio-conformance)"

server_pid=""
log="$(mktemp "${TMPDIR:-/tmp}/admin-ui-server.XXXXXX")"
shots="${SCREENSHOT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/admin-ui-shots.XXXXXX")}"
mkdir -p "$shots"
cleanup() {
  stop_server "$server_pid"
  rm -f "$log"
}
trap cleanup EXIT

port="$(free_port)"
password="$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
# Node's default heartbeat, not the conformance checks' 300/200 ms: a test client that misses one
# pong while Chromium takes the machine would be gone for the rest of the run.
heartbeat=(--ping-interval-ms 25000 --ping-timeout-ms 20000)
echo "run.sh: starting $bin --port $port --admin-password <random> ${heartbeat[*]} $*"
"$bin" --host 127.0.0.1 --port "$port" --admin-password "$password" "${heartbeat[@]}" "$@" >"$log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
wait_ready "$server_pid" "$url/socket.io/?EIO=4&transport=polling" "$log" "the conformance server"

status=0
SERVER_URL="$url" ADMIN_PASSWORD="$password" SCREENSHOT_DIR="$shots" CHROMIUM="$CHROMIUM" \
  node "$HERE/test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: the admin UI test FAILED (status $status); server output:" >&2
  tail -n 40 "$log" >&2
fi
echo "run.sh: screenshots in $shots"
exit "$status"
