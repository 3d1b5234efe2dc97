#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 30 s each) from its committed corpus, on the
# stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags).
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Each target starts from fuzz/corpus/<target>/ plus fuzz/regressions/<target>/, copied to a
# temporary folder so the committed corpus stays small. Exits non-zero if any target crashes;
# the crashing input is left in fuzz/artifacts/<target>/ (minimize it with
# `RUSTC_BOOTSTRAP=1 cargo fuzz tmin <target> <file>` and keep it in fuzz/regressions/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET="${1:-30}"
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
cd fuzz
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

echo "==> building ${#targets[@]} fuzz targets"
cargo fuzz build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-16s %10s %8s %6s\n' target runs exec/s cov
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp -r corpus/"$target"/. "$corpus"/ 2>/dev/null || true
  cp -r regressions/"$target"/. "$corpus"/ 2>/dev/null || true
  log="$work/$target.log"
  if cargo fuzz run "$target" "$corpus" -- \
      -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$target")
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  printf '%-16s %10s %8s %6s %s\n' "$target" "$runs" "$speed" "$cov" "$status"
  if [ "$status" = CRASH ]; then
    grep -A 30 -m 1 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer" "$log" || tail -40 "$log"
    cp "$log" "$ROOT/fuzz/artifacts/$target.log" 2>/dev/null || true
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "no crashes in ${#targets[@]} targets"
