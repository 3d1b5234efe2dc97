#!/usr/bin/env bash
# The many-core check: the same load against each server pinned to its first 1, 2, 4 and 8 cores,
# the load generator on every core after the largest count. One results table per core count, then
# the server CPU per operation of each count side by side.
#
#   bench/manycore.sh --stage DIR     # build, then copy the four binaries it runs, stripped, to DIR
#   bench/manycore.sh [--bin-dir DIR] [--cores "1 2 4 8"] [--out-dir DIR] [loadgen compare flags]
#
# Defaults: --bin-dir target/release, --out-dir $OUT/manycore when OUT is set (the device machine's
# output folder), else target/manycore; workloads echo1, echo8, fanout, echo-paced and
# fanout-paced (100 000 messages or deliveries a second offered: the same load on every core
# count, which one core carries) against ours,
# socketioxide and the raw echo, 400 clients, fan-out to 10 000 receivers, one run each (any
# `loadgen compare` flag given here wins, e.g. --repeats 3). It builds nothing: a machine without
# the registries runs what `--stage` copied (about 12 MB). Needs more cores than the largest count;
# the load generator gets one tokio worker per core left to it (LOADGEN_THREADS). Four counts should
# take about 7 minutes (an estimate: 14 runs of ~7 s per count), inside one 10-minute device call.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
binaries=(bench-server loadgen raw-ws-echo socketioxide-bench-server)

if [ "${1:-}" = --stage ]; then
  dest="${2:?manycore.sh: --stage needs a folder}"
  (cd "$root" && cargo build --release --quiet -p bench)
  (cd "$here/socketioxide" && CARGO_TARGET_DIR="$target" cargo build --release --quiet --locked)
  mkdir -p "$dest"
  for b in "${binaries[@]}"; do
    strip -o "$dest/$b" "$target/release/$b"
  done
  echo "manycore.sh: staged ${binaries[*]} in $dest" >&2
  exit 0
fi

bins="$target/release"
cores="1 2 4 8"
outdir="${OUT:+$OUT/manycore}"
outdir="${outdir:-$target/manycore}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bins="${2:?}"; shift 2 ;;
    --cores) cores="${2:?}"; shift 2 ;;
    --out-dir) outdir="${2:?}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
for b in "${binaries[@]}"; do
  [ -x "$bins/$b" ] || { echo "manycore.sh: no $bins/$b (run --stage, or pass --bin-dir)" >&2; exit 1; }
done
command -v taskset >/dev/null || { echo "manycore.sh: taskset is required" >&2; exit 1; }

total="$(nproc --all)"
largest=0
for n in $cores; do
  [ "$n" -gt "$largest" ] && largest="$n"
done
if [ "$largest" -ge "$total" ]; then
  echo "manycore.sh: $total cores here: the largest server count ($largest) leaves none for the load generator" >&2
  exit 1
fi
loadgen_cpus="$largest-$((total - 1))"
# 10 000 fan-out receivers need 10 000 descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$outdir"
model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
machine="$total cores, ${model:-unknown CPU}, $(free -g | awk '/^Mem:/{print $2}') GiB, Linux $(uname -r)"

for n in $cores; do
  cpus="0-$((n - 1))"
  echo "== server on cores $cpus, load generator on $loadgen_cpus" >&2
  LOADGEN_THREADS="$((total - largest))" taskset -c "$loadgen_cpus" "$bins/loadgen" compare \
    --ours "$bins/bench-server" \
    --raw "$bins/raw-ws-echo" \
    --socketioxide "$bins/socketioxide-bench-server" \
    --node-dir "$here/node" \
    --workloads echo1,echo8,fanout,echo-paced,fanout-paced \
    --rate 100000 \
    --servers ours,socketioxide,raw \
    --clients 400 \
    --receivers 10000 \
    --repeats 1 \
    --cpus "$cpus" \
    --machine "$machine; server cores $cpus, load generator cores $loadgen_cpus" \
    --command "bench/manycore.sh --cores \"$cores\"${args[*]:+ ${args[*]}}" \
    --out "$outdir/cores-$n.md" \
    "${args[@]}"
done

echo
echo "Server CPU per operation (us) by server cores; columns as in each table: ours, ours in axum,"
echo "Node, socketioxide, raw echo, then the ratios ($outdir/cores-N.md):"
for n in $cores; do
  echo "-- $n core(s)"
  grep -E '^\| [a-z]|server CPU per' "$outdir/cores-$n.md" | grep -vE '^\| (target|echo \(|fan-out:|idle:|auth|polling:)' || true
done
