# Shared by the interop suites' run.sh scripts (source it; bash). Each suite starts a server on a
# free loopback port, waits until it answers, runs its client tests, and stops the server.

# The workspace root.
INTEROP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Prints a free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# cargo_binary PACKAGE bin|example NAME: builds a binary or example of the workspace (debug) and
# prints its path (CARGO_TARGET_DIR respected, relative to the workspace root).
cargo_binary() {
  local package=$1 kind=$2 name=$3 dir
  (cd "$INTEROP_ROOT" && cargo build -q -p "$package" "--$kind" "$name") >&2
  dir="${CARGO_TARGET_DIR:-target}"
  case "$dir" in /*) ;; *) dir="$INTEROP_ROOT/$dir" ;; esac
  if [ "$kind" = example ]; then dir="$dir/debug/examples"; else dir="$dir/debug"; fi
  [ -x "$dir/$name" ] || { echo "run.sh: $dir/$name not found after build" >&2; return 1; }
  echo "$dir/$name"
}

# stop_server PID: SIGTERM, up to 3 s to shut down gracefully, then SIGKILL.
stop_server() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# wait_ready PID URL LOG LABEL [TRIES]: waits (0.1 s per try, 150 by default) until GET URL answers
# 200; fails with the server's output if it exits first or never answers.
wait_ready() {
  local pid=$1 url=$2 log=$3 label=$4 tries=${5:-150}
  for _ in $(seq 1 "$tries"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $label exited before answering; its output:" >&2
      cat "$log" >&2
      return 1
    fi
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$url"; then
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: $label did not answer $url in time; its output:" >&2
  cat "$log" >&2
  return 1
}
