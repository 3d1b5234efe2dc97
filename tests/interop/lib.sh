# Shared by the interop suites' run.sh scripts (source it; bash). Each suite starts a server on a
# free loopback port, waits until it answers, runs its client tests, and stops the server.

# The workspace root.
INTEROP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Prints a free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# need_chromium LABEL: makes sure Debian's chromium is at $CHROMIUM. Missing, with CI or
# REQUIRE_ALL=1 set, it installs the `chromium` package with apt-get (exits 1 if that fails);
# otherwise it says why LABEL skips and returns 1 (the caller exits 0).
need_chromium() {
  local label=$1 sudo=""
  [ -x "$CHROMIUM" ] && return 0
  if [ -n "${CI:-}" ] || [ "${REQUIRE_ALL:-}" = 1 ]; then
    echo "run.sh: $CHROMIUM is missing: installing Debian's chromium (CI/REQUIRE_ALL set)"
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
    [ -x "$CHROMIUM" ] || { echo "run.sh: FAIL: $CHROMIUM still missing after apt-get install chromium" >&2; exit 1; }
    return 0
  fi
  echo "run.sh: SKIP: $label needs Debian's chromium at $CHROMIUM (apt-get install chromium);"
  echo "run.sh: SKIP: set CI=1 or REQUIRE_ALL=1 to have it installed and the test run."
  return 1
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

# server_flags "$@": parses the suite's server options into SERVER_ARGS (for our server) and
# SCHEME, and leaves the others in REST_ARGS:
#   --front builtin|axum   the built-in server, or its endpoints' tower services in an axum Router
#   --tls                  the built-in server on https:// / wss:// with a self-signed certificate
#                          made here (openssl); the clients trust it through NODE_EXTRA_CA_CERTS,
#                          SSL_CERT_FILE, REQUESTS_CA_BUNDLE and WEBSOCKET_CLIENT_CA_BUNDLE.
# FRONT_LABEL says which, for the suite's messages.
server_flags() {
  SERVER_ARGS=()
  REST_ARGS=()
  SCHEME=http
  FRONT_LABEL="built-in server"
  local front=builtin tls=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --front) front="${2:-}"; shift 2 || { echo "run.sh: --front needs a value" >&2; return 2; } ;;
      --front=*) front="${1#--front=}"; shift ;;
      --tls) tls=1; shift ;;
      *) REST_ARGS+=("$1"); shift ;;
    esac
  done
  case "$front" in
    builtin) ;;
    axum) FRONT_LABEL="axum Router" ;;
    *) echo "run.sh: unknown --front '$front' (builtin|axum)" >&2; return 2 ;;
  esac
  SERVER_ARGS=(--front "$front")
  if [ "$tls" = 1 ]; then
    command -v openssl >/dev/null 2>&1 || { echo "run.sh: --tls needs openssl to make a certificate" >&2; return 2; }
    TLS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/interop-tls.XXXXXX")"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
      -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>/dev/null
    SERVER_ARGS+=(--tls-cert "$TLS_DIR/cert.pem" --tls-key "$TLS_DIR/key.pem")
    SCHEME=https
    FRONT_LABEL="built-in server with TLS"
    export NODE_EXTRA_CA_CERTS="$TLS_DIR/cert.pem" SSL_CERT_FILE="$TLS_DIR/cert.pem"
    export REQUESTS_CA_BUNDLE="$TLS_DIR/cert.pem" WEBSOCKET_CLIENT_CA_BUNDLE="$TLS_DIR/cert.pem"
  fi
}
