#!/usr/bin/env bash
# The README's test command: installs what the tests need (npm packages from the committed lockfiles,
# a Python venv), then runs every check: fmt, clippy, no import cycles in the runtimes, doc, the
# no-tokio core build, cargo test (unit, conformance, Rust integration) and the interop suites
# with the real clients.
# With CI=true (or REQUIRE_ALL=1) a check that would skip for a missing tool fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; then export REQUIRE_ALL=1; fi
export REQUIRE_ALL="${REQUIRE_ALL:-0}"
step() { printf '\n==> %s\n' "$*"; }
missing() {
  if [ "$REQUIRE_ALL" = "1" ]; then echo "FAIL: $* (required because CI/REQUIRE_ALL is set)"; exit 1; fi
  echo "SKIP: $*"
}

step "install test dependencies"
# Debian packages: redis-server (socketio-redis tests, mixed-fleet interop) and chromium (the demo
# page test). Installed when CI/REQUIRE_ALL is set; otherwise the suites that need them say why they skip.
apt_missing=()
command -v redis-server >/dev/null 2>&1 || apt_missing+=(redis-server)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
if [ "${#apt_missing[@]}" -gt 0 ]; then
  if [ "$REQUIRE_ALL" = "1" ]; then
    echo "apt-get install ${apt_missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  else
    missing "Debian packages not installed: ${apt_missing[*]} (their suites skip)"
  fi
fi
if command -v npm >/dev/null 2>&1; then
  for lock in tests/interop/*/package-lock.json tests/peer/package-lock.json; do
    [ -f "$lock" ] || continue
    dir=$(dirname "$lock")
    echo "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  done
else
  missing "npm is not installed: the Node interop suites cannot run"
fi
reqs=$(ls tests/interop/*/requirements.txt 2>/dev/null || true)
if [ -n "$reqs" ]; then
  if command -v python3 >/dev/null 2>&1; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    for r in $reqs; do .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$r"; done
    export PATH="$ROOT/.venv/bin:$PATH"
  else
    missing "python3 is not installed: the Python interop suites cannot run"
  fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings
# The libraries alone, with their default features (the workspace build turns on tower and tls).
cargo clippy -p engineio -p socketio -- -D warnings

step "no import cycles between the files of each runtime (scripts/import_cycles.py)"
# namespace.rs and socket.rs name each other on purpose (see socketio/src/runtime/mod.rs).
if command -v python3 >/dev/null 2>&1; then
  python3 scripts/import_cycles.py engineio/src/runtime --quiet
  python3 scripts/import_cycles.py socketio/src/runtime --quiet --allow=namespace,socket
  python3 scripts/import_cycles.py socketio/src/admin --quiet
else
  missing "python3 is not installed: the import-cycle check cannot run"
fi

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
# The libraries alone, with their default features (no links to what a feature leaves out).
RUSTDOCFLAGS="-D warnings" cargo doc -p engineio -p socketio --no-deps

step "the protocol cores build without tokio"
cargo check -p engineio --no-default-features
cargo check -p socketio --no-default-features

step "cargo test --workspace"
cargo test --workspace

step "fuzz every target for ${FUZZ_SECONDS:-30} s (cargo-fuzz on stable, see fuzz/README.md)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

failed=0
for run in tests/interop/*/run.sh; do
  [ -f "$run" ] || continue
  step "interop: $run"
  if ! bash "$run"; then
    echo "FAILED: $run"
    failed=1
  fi
done
# The same suites through the second front door (the endpoints' tower services in an axum Router)
# and on TLS (the built-in server on https:// and wss://, a self-signed certificate made per run).
# python-socketio's WebSocket over TLS drops now and then against Node's reference server too (its
# reader and writer threads share one OpenSSL connection): over TLS it runs its polling tests;
# wss:// is the Node clients'. `--parser msgpack` runs socket.io-client with
# socket.io-msgpack-parser (and python-socketio with its msgpack serializer) against our server
# and, to prove the test, Node's.
# `tests/interop/legacy/run.sh --peer node` proves the socket.io-client 2.x tests against Node's
# socket.io with allowEIO3 (the loop above ran them against ours).
for run in "tests/interop/engineio/run.sh --front axum" "tests/interop/socketio/run.sh --front axum" \
  "tests/interop/python/run.sh --front axum" "tests/interop/browser/run.sh --front axum" \
  "tests/interop/recovery/run.sh --front axum" "tests/interop/admin/run.sh --front axum" \
  "tests/interop/engineio/run.sh --tls" \
  "tests/interop/socketio/run.sh --tls" "tests/interop/python/run.sh --tls -- -k polling" \
  "tests/interop/socketio/run.sh --parser msgpack" "tests/interop/socketio/run.sh --parser msgpack --peer node" \
  "tests/interop/python/run.sh --parser msgpack" "tests/interop/python/run.sh --parser msgpack --peer node" \
  "tests/interop/recovery/run.sh --parser msgpack" "tests/interop/legacy/run.sh --peer node"; do
  step "interop: $run"
  # shellcheck disable=SC2086
  if ! bash $run; then
    echo "FAILED: $run"
    failed=1
  fi
done
[ "$failed" = 0 ] || { echo "interop suites failed"; exit 1; }

echo
echo "all checks passed"
