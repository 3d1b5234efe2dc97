#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every check.
# With CI=true (or REQUIRE_ALL=1) a check that would skip for a missing tool fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export REQUIRE_ALL="${REQUIRE_ALL:-${CI:-}}"
[ "$REQUIRE_ALL" = "true" ] && export REQUIRE_ALL=1
step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "core builds without tokio"
cargo check -p engineio --no-default-features

step "cargo test"
cargo test --workspace

echo
echo "all checks passed"
