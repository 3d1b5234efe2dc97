#!/usr/bin/env bash
# Counts a server's instructions per operation under callgrind (the counts repeat exactly here,
# unlike CPU time on a shared machine), for one workload, in the measured window only.
#
#   bench/profile.sh ours|ours-axum|socketioxide|raw WORKLOAD [loadgen flags...]
#   e.g. bench/profile.sh ours echo8 --clients 10 --window-ms 3000
#
# Writes $CARGO_TARGET_DIR/callgrind.<server>.<workload>.* and prints instructions per operation
# and the top functions (inclusive). Run bench/compare.sh (or its builds) first. With LOCKED=1,
# the dump is per instruction and bench/locked_ops.py then counts the locked instructions per
# operation (atomic read-modify-writes, locks), by function.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
server="$1"; workload="$2"; shift 2
case "$server" in
  ours) bin="$target/release/bench-server"; export BENCH_FRONT=builtin ;;
  ours-axum) bin="$target/release/bench-server"; export BENCH_FRONT=axum ;;
  socketioxide) bin="$target/release/socketioxide-bench-server" ;;
  raw) bin="$target/release/raw-ws-echo" ;;
  *) echo "profile.sh: server is ours, ours-axum, socketioxide or raw" >&2; exit 1 ;;
esac
port=$((20000 + RANDOM % 20000))
out="$target/callgrind.$server.$workload"
rm -f "$out".*
secret_env=()
[ "$workload" = auth ] && secret_env=(BENCH_JWT_SECRET=bench-secret-0123456789abcdef-0123456789abcdef)
case "$workload" in *-msgpack) secret_env+=(BENCH_PARSER=msgpack) ;; esac
per_instr=()
[ "${LOCKED:-0}" = 1 ] && per_instr=(--dump-instr=yes)
# CALLGRIND_FLAGS: more callgrind options, e.g. "--cache-sim=yes" (then the totals line has the
# simulated cache's misses too: I1mr D1mr D1mw ILmr DLmr DLmw after Ir).
read -r -a extra <<< "${CALLGRIND_FLAGS:-}"
per_instr+=("${extra[@]}")
env PORT="$port" "${secret_env[@]}" taskset -c 0 valgrind --tool=callgrind --quiet "${per_instr[@]}" \
  --callgrind-out-file="$out.%p" "$bin" >/dev/null &
pid=$!
# SIGTERM: a background job of a script ignores SIGINT.
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
raw=(); [ "$server" = raw ] && raw=(--raw)
result="$(taskset -c 1 "$target/release/loadgen" run --workload "$workload" --addr "127.0.0.1:$port" \
  --pid "$pid" "${raw[@]}" --warmup-ms 1000 --window-ms 3000 \
  --on-window-open "callgrind_control -z $pid >/dev/null" \
  --on-window-close "callgrind_control -d $pid >/dev/null" "$@")"
echo "$result"
ops="${result%% ops*}"
dump="$(ls -t "$out".* | grep -v '\.[0-9]*$' | head -1 || true)"
[ -n "$dump" ] || dump="$(ls -t "$out".* | head -1)"
total="$(callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
echo "dump $dump: $total instructions, $ops ops: $((total / (ops > 0 ? ops : 1))) instructions per op"
events="$(sed -n 's/^events: //p' "$dump" | head -1)"
if [ "$events" != Ir ]; then
  # Every event of the totals line per operation (the cache simulation's misses, say).
  sed -n 's/^totals: //p' "$dump" | head -1 |
    awk -v ops="$ops" -v names="$events" 'BEGIN { n = split(names, e, " ") }
      { for (i = 1; i <= n; i++) printf "%s %.2f per op  ", e[i], $i / (ops > 0 ? ops : 1); print "" }'
fi
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | sed -n '1,/^-.*$/d; p' | head -60 || true
if [ "${LOCKED:-0}" = 1 ]; then
  echo
  python3 "$here/locked_ops.py" "$dump" "$bin" "$ops"
fi
