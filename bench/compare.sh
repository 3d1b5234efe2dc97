#!/usr/bin/env bash
# Side-by-side benchmarks: builds our servers and the load generator, installs/builds the peers
# from the registries (npm socket.io 4.8 in bench/node, socketioxide in bench/socketioxide), then
# runs every workload against every server (a fresh server per run pinned to CPU 0, the load
# generator pinned to CPU 1, median of 3 repeats) and writes bench/results.md (and stdout).
#
#   bench/compare.sh            # the full run (about 10 minutes)
#   bench/compare.sh --quick    # a smoke run of seconds (1 repeat, short windows, small counts)
#
# Any other flags go to `loadgen compare` (e.g. --workloads echo1,fanout --servers ours,node
# --repeats 5 --out FILE). Needs: cargo, node + npm, taskset (util-linux), 2 cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$here/results.md"
args=()
out_next=false
for arg in "$@"; do
  if $out_next; then
    out="$arg"; out_next=false; continue
  fi
  case "$arg" in
    --quick) args+=(--quick); out="${BENCH_QUICK_OUT:-$target/bench-quick.md}" ;;
    # Taken here, so that the closing line names the file written.
    --out) out_next=true ;;
    --out=*) out="${arg#--out=}" ;;
    *) args+=("$arg") ;;
  esac
done
if $out_next; then
  echo "compare.sh: --out needs a file" >&2
  exit 1
fi

for tool in cargo node npm taskset; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is required" >&2; exit 1; }
done
if [ "$(nproc --all)" -lt 2 ]; then
  echo "compare.sh: needs 2 cores (server on CPU 0, load generator on CPU 1)" >&2
  exit 1
fi

echo "== building our servers and the load generator" >&2
(cd "$root" && cargo build --release --quiet -p bench)
echo "== building socketioxide (crates.io)" >&2
(cd "$here/socketioxide" && CARGO_TARGET_DIR="$target" cargo build --release --quiet --locked)
echo "== installing Node socket.io (npm)" >&2
(cd "$here/node" && npm ci --silent --no-audit --no-fund >/dev/null)

# 10k idle connections need 10k descriptors on each side (the hard limit here is 20000).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10100 ]; then
  echo "compare.sh: ulimit -n is $(ulimit -n); the idle workload needs about 10100" >&2
fi

model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
machine="$(nproc --all) cores, ${model:-unknown CPU}, $(free -g | awk '/^Mem:/{print $2}') GiB, Linux $(uname -r)"
echo "== machine: $machine; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

taskset -c 1 "$target/release/loadgen" compare \
  --ours "$target/release/bench-server" \
  --raw "$target/release/raw-ws-echo" \
  --node-dir "$here/node" \
  --socketioxide "$target/release/socketioxide-bench-server" \
  --cpus 0 \
  --machine "$machine" \
  --command "bench/compare.sh${*:+ $*}" \
  --out "$out" \
  "${args[@]}"
echo "== wrote $out" >&2
