#!/usr/bin/env bash
# The README's main command: the chat demo (Socket.IO with JWT auth) on http://127.0.0.1:3000.
#   bash scripts/demo.sh [extra flags for the server, e.g. --token-ttl-s 120 --port 3001, or --admin
#   for the Socket.IO Admin UI (user admin, a random password printed at start)]
# Installs the official browser client from demo/package-lock.json (npm ci) when demo/node_modules
# is missing, then builds and runs socketio/examples/chat.rs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ ! -f demo/node_modules/socket.io-client/dist/socket.io.min.js ]; then
  command -v npm >/dev/null || { echo "demo.sh: npm is needed to install the browser client (demo/package.json)" >&2; exit 1; }
  echo "demo.sh: installing the Socket.IO browser client (npm ci in demo/)"
  (cd demo && npm ci --no-audit --no-fund)
fi

exec cargo run --release -p socketio --features admin --example chat -- --port 3000 --static demo "$@"
