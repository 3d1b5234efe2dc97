#!/usr/bin/env bash
# Mixed fleet on one Redis: two of our servers (socketio-redis/examples/cluster_node.rs) and one
# Node socket.io server with @socket.io/redis-adapter (node-server.js), clients from the npm
# socket.io-client on each, and @socket.io/redis-emitter. Starts its own redis-server on a free
# loopback port (no persistence) and stops everything at the end.
#
# Without redis-server: installs Debian's package when CI or REQUIRE_ALL=1 is set, else skips
# (exit 0) saying why. Ends with "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
cd "$HERE"
if [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; then export REQUIRE_ALL=1; fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "${REQUIRE_ALL:-0}" = "1" ]; then
    echo "run.sh: redis-server or redis-cli missing; installing Debian's redis-server (redis-cli comes with it)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
    # The package may start a system service; these tests use their own server.
  else
    echo "SKIP: redis-server or redis-cli is not installed (apt-get install redis-server, or set REQUIRE_ALL=1 to have this script install it)"
    echo "0 passed, 0 failed"
    exit 0
  fi
fi
if ! command -v node >/dev/null 2>&1; then
  if [ "${REQUIRE_ALL:-0}" = "1" ]; then echo "run.sh: node is required" >&2; exit 1; fi
  echo "SKIP: node is not installed"; echo "0 passed, 0 failed"; exit 0
fi
if [ ! -d node_modules/@socket.io/redis-adapter ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

pids=()
logs=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for log in "${logs[@]}"; do rm -f "$log"; done
}
trap cleanup EXIT

# Waits until the log of process $1 says "listening on", or fails showing the log.
wait_listening() {
  local pid="$1" log="$2" label="$3"
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$log"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $label exited early; its output:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "run.sh: $label did not start within 20 s; its output:" >&2; cat "$log" >&2; exit 1
}

(cd "$ROOT" && cargo build -q -p socketio-redis --example cluster_node)
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
bin="$target_dir/debug/examples/cluster_node"
[ -x "$bin" ] || { echo "run.sh: $bin not found after build" >&2; exit 1; }

redis_port="$(free_port)"
redis_log="$(mktemp "${TMPDIR:-/tmp}/redis-interop.XXXXXX")"; logs+=("$redis_log")
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$redis_log" 2>&1 &
pids+=($!)
# Ready when it answers PING (a bound generous enough for a loaded machine; a ready Redis ends
# the wait at once), and a Redis that never comes up fails here, not later in a test.
redis_up=0
for _ in $(seq 1 600); do
  if [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; then redis_up=1; break; fi
  sleep 0.05
done
if [ "$redis_up" != 1 ]; then
  echo "run.sh: redis-server did not answer PING within 30 s; its output:" >&2; cat "$redis_log" >&2; exit 1
fi
redis_url="redis://127.0.0.1:$redis_port/"
echo "run.sh: redis-server on $redis_url"

start() { # label, command...
  local label="$1"; shift
  local log; log="$(mktemp "${TMPDIR:-/tmp}/redis-interop-$label.XXXXXX")"; logs+=("$log")
  "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_listening "$pid" "$log" "$label"
  echo "run.sh: $label up"
}
port_a="$(free_port)"; start rust-a "$bin" --port "$port_a" --redis "$redis_url" --name rust-a
port_b="$(free_port)"; start rust-b "$bin" --port "$port_b" --redis "$redis_url" --name rust-b
port_n="$(free_port)"; start node node node-server.js --port "$port_n" --redis "$redis_url" --name node

# "listening on" does not mean subscribed: Node's adapter subscribes in the background, and a
# message published before a server's subscription is confirmed never reaches it. Wait for
# Redis's own count of the servers on the request channel of `/` (all three subscribe to it).
want_subscribers=3
subscribers=0
for _ in $(seq 1 300); do
  subscribers="$(redis-cli -p "$redis_port" --raw PUBSUB NUMSUB 'socket.io-request#/#' | sed -n 2p)"
  if [ "${subscribers:-0}" -ge "$want_subscribers" ]; then break; fi
  sleep 0.1
done
if [ "${subscribers:-0}" -lt "$want_subscribers" ]; then
  echo "run.sh: $subscribers of $want_subscribers servers subscribed to Redis after 30 s" >&2; exit 1
fi
echo "run.sh: $subscribers servers subscribed"

tap="$(mktemp "${TMPDIR:-/tmp}/redis-interop-tap.XXXXXX")"; logs+=("$tap")
status=0
RUST_A_URL="http://127.0.0.1:$port_a" RUST_B_URL="http://127.0.0.1:$port_b" \
NODE_URL="http://127.0.0.1:$port_n" REDIS_URL="$redis_url" \
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    test/*.test.js || status=$?

passed=$(grep -E '^# pass ' "$tap" | awk '{print $3}' | tail -1)
failed=$(grep -E '^# fail ' "$tap" | awk '{print $3}' | tail -1)
if [ "$status" -ne 0 ]; then
  for log in "${logs[@]}"; do
    case "$log" in *tap*|*redis-interop.*) continue ;; esac
    echo "--- $(basename "$log")" >&2; tail -n 20 "$log" >&2
  done
fi
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -eq 0 ] && [ "${failed:-0}" != "0" ]; then status=1; fi
exit "$status"
