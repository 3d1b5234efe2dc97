#!/usr/bin/env bash
# Interop between jwt-auth and PyJWT / npm jsonwebtoken, both directions, every algorithm each
# library has, plus error-message parity with Node on refused tokens.
# Expects `npm ci` done in this folder and a Python with requirements.txt installed: $PYTHON,
# else `python3` on PATH, else <repo>/.venv/bin/python. Last line: "N passed, N failed".
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

# --- tools ------------------------------------------------------------------------------------
PY=""
for candidate in "${PYTHON:-}" python3 python "$ROOT/.venv/bin/python"; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import jwt, cryptography' >/dev/null 2>&1; then PY="$candidate"; break; fi
done
[ -n "$PY" ] || { fail "no Python with PyJWT and cryptography (pip install -r $HERE/requirements.txt)"; finish; }
[ -d "$HERE/node_modules/jsonwebtoken" ] || { fail "node_modules missing: run npm ci in $HERE"; finish; }
command -v openssl >/dev/null || { fail "openssl not found"; finish; }

(cd "$ROOT" && cargo build --quiet -p jwt-auth --example jwt_tool) || { fail "cargo build of jwt_tool"; finish; }
TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
TOOL="$TARGET_DIR/debug/examples/jwt_tool"
[ -x "$TOOL" ] || { fail "jwt_tool not found at $TOOL"; finish; }

tool() { "$TOOL" "$@"; }
py() { "$PY" "$HERE/py_jwt.py" "$@"; }
nodejwt() { node "$HERE/node_jwt.js" "$@"; }

# --- keys ---------------------------------------------------------------------------------------
KEYS="$(mktemp -d)"
trap 'rm -rf "$KEYS"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/p256.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$KEYS/p384.pem"
openssl genpkey -algorithm ED25519 -out "$KEYS/ed25519.pem"
for k in rsa p256 p384 ed25519; do openssl pkey -in "$KEYS/$k.pem" -pubout -out "$KEYS/$k.pub.pem"; done
head -c 64 /dev/urandom >"$KEYS/secret.bin"
printf 'secret' >"$KEYS/short.bin"

key_base() {
    case "$1" in
        HS*) echo secret ;; RS* | PS*) echo rsa ;; ES256) echo p256 ;; ES384) echo p384 ;; EdDSA) echo ed25519 ;;
    esac
}
private_key() { local b; b="$(key_base "$1")"; [ "$b" = secret ] && echo "$KEYS/secret.bin" || echo "$KEYS/$b.pem"; }
public_key() { local b; b="$(key_base "$1")"; [ "$b" = secret ] && echo "$KEYS/secret.bin" || echo "$KEYS/$b.pub.pem"; }

NOW="$(date +%s)"
CLAIMS="{\"sub\":\"alice\",\"aud\":\"chat\",\"iat\":$NOW,\"exp\":$((NOW + 3600))}"

# --- every algorithm, both directions -------------------------------------------------------------
for alg in HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA; do
    priv="$(private_key "$alg")"
    pub="$(public_key "$alg")"

    if token="$(py sign "$alg" "$priv" "$CLAIMS")" && out="$(tool verify "$alg" "$pub" "$token" --aud chat)" \
        && [[ "$out" == *'"sub":"alice"'* ]]; then
        pass "PyJWT $alg -> jwt-auth"
    else fail "PyJWT $alg -> jwt-auth: ${out:-$token}"; fi

    if token="$(tool sign "$alg" "$priv" "$CLAIMS")" && out="$(py verify "$alg" "$pub" "$token" chat)" \
        && [[ "$out" == *'"sub": "alice"'* ]]; then
        pass "jwt-auth $alg -> PyJWT"
    else fail "jwt-auth $alg -> PyJWT: ${out:-$token}"; fi

    if [ "$alg" = EdDSA ]; then
        echo "n/a   jsonwebtoken has no EdDSA"
        continue
    fi
    if token="$(nodejwt sign "$alg" "$priv" "$CLAIMS")" && out="$(tool verify "$alg" "$pub" "$token" --aud chat)" \
        && [[ "$out" == *'"sub":"alice"'* ]]; then
        pass "jsonwebtoken $alg -> jwt-auth"
    else fail "jsonwebtoken $alg -> jwt-auth: ${out:-$token}"; fi

    if token="$(tool sign "$alg" "$priv" "$CLAIMS")" && out="$(nodejwt verify "$alg" "$pub" "$token" chat)" \
        && [[ "$out" == *'"sub":"alice"'* ]]; then
        pass "jwt-auth $alg -> jsonwebtoken"
    else fail "jwt-auth $alg -> jsonwebtoken: ${out:-$token}"; fi
done

# --- the classic: an HS256 token from Python checked with the shared secret ------------------------
printf 'a-shared-secret-of-more-than-32-bytes!' >"$KEYS/shared.txt"
token="$(py sign HS256 "$KEYS/shared.txt" '{"user_id":42}')"
if out="$(tool verify HS256 "$KEYS/shared.txt" "$token")" && [[ "$out" == *'"user_id":42'* ]]; then
    pass "PyJWT HS256 with a shared text secret -> jwt-auth"
else fail "PyJWT HS256 with a shared text secret: $out"; fi
token="$(py sign HS256 "$KEYS/short.bin" '{"user_id":42}')"
if out="$(tool verify HS256 "$KEYS/short.bin" "$token")"; then
    fail "a 6-byte secret was accepted without --legacy"
elif [[ "$out" == "invalid key:"* ]]; then pass "a 6-byte secret is refused by default ($out)"
else fail "6-byte secret: unexpected $out"; fi
if out="$(tool verify HS256 "$KEYS/short.bin" "$token" --legacy)" && [[ "$out" == *'"user_id":42'* ]]; then
    pass "a 6-byte secret works with the explicit legacy opt-in"
else fail "legacy short secret: $out"; fi
if tampered="$(py sign HS256 "$KEYS/secret.bin" "$CLAIMS")" && out="$(tool verify HS256 "$KEYS/secret.bin" "${tampered%?}A")"; then
    [[ "${tampered: -1}" == A ]] && pass "tamper no-op" || fail "tampered PyJWT token accepted"
else pass "tampered PyJWT token refused ($out)"; fi

# --- refused tokens: same message as Node's jsonwebtoken --------------------------------------------
b64() { "$PY" -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip("="))' "$1"; }
S="$KEYS/secret.bin"
expired="$(nodejwt sign HS256 "$S" "{\"sub\":\"a\",\"exp\":$((NOW - 100))}")"
early="$(nodejwt sign HS256 "$S" "{\"sub\":\"a\",\"exp\":$((NOW + 3600)),\"nbf\":$((NOW + 1000))}")"
good="$(nodejwt sign HS256 "$S" "$CLAIMS")"
rsa_token="$(nodejwt sign RS256 "$KEYS/rsa.pem" "$CLAIMS")"
none_token="$(b64 '{"alg":"none","typ":"JWT"}').$(b64 "$CLAIMS")."
other_secret="$KEYS/other.bin"
head -c 64 /dev/urandom >"$other_secret"
check_parity() { # name key token [aud]
    local name="$1" key="$2" token="$3" aud="${4:-}" ours theirs
    if [ -n "$aud" ]; then
        ours="$(tool verify HS256 "$key" "$token" --aud "$aud")" && { fail "$name: jwt-auth accepted"; return; }
        theirs="$(nodejwt verify HS256 "$key" "$token" "$aud")" && { fail "$name: jsonwebtoken accepted"; return; }
    else
        ours="$(tool verify HS256 "$key" "$token")" && { fail "$name: jwt-auth accepted"; return; }
        theirs="$(nodejwt verify HS256 "$key" "$token")" && { fail "$name: jsonwebtoken accepted"; return; }
    fi
    if [ "$ours" = "$theirs" ]; then pass "same message as Node for $name: '$ours'"
    else fail "$name: jwt-auth says '$ours', jsonwebtoken says '$theirs'"; fi
}
check_parity "an expired token" "$S" "$expired"
check_parity "a token before nbf" "$S" "$early"
check_parity "the wrong audience" "$S" "$good" other
check_parity "a bad signature" "$other_secret" "$good"
check_parity "alg none" "$S" "$none_token"
check_parity "an RS256 token on an HS256 verifier" "$S" "$rsa_token"
check_parity "garbage" "$S" "not-a-token"

finish
