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

# --- the same outcome as Node, accepted or refused: leeway, signatures, NumericDates ---------------
# expect NAME EXPECTED ALG KEY TOKEN [LEEWAY]: EXPECTED is "accepted" or the refusal message; both
# jwt-auth (--leeway) and jsonwebtoken (clockTolerance) must give it.
outcome() { local out; if out="$("$@")"; then echo accepted; else echo "$out"; fi; }
expect() {
    local name="$1" expected="$2" alg="$3" key="$4" token="$5" leeway="${6:-0}" ours theirs
    ours="$(outcome tool verify "$alg" "$key" "$token" --leeway "$leeway")"
    theirs="$(CLOCK_TOLERANCE="$leeway" outcome nodejwt verify "$alg" "$key" "$token")"
    if [ "$ours" = "$expected" ] && [ "$theirs" = "$expected" ]; then pass "$name: both '$expected'"
    else fail "$name: expected '$expected'; jwt-auth says '$ours', jsonwebtoken says '$theirs'"; fi
}

# Leeway = jsonwebtoken's clockTolerance: now >= exp + leeway is expired, nbf > now + leeway not active.
expect "exp 10 s ago, leeway 60" accepted HS256 "$S" "$(nodejwt sign HS256 "$S" "{\"exp\":$((NOW - 10))}")" 60
expect "exp 60 s ago, leeway 60" "jwt expired" HS256 "$S" "$(nodejwt sign HS256 "$S" "{\"exp\":$((NOW - 60))}")" 60
expect "exp 10 s ago, no leeway" "jwt expired" HS256 "$S" "$(nodejwt sign HS256 "$S" "{\"exp\":$((NOW - 10))}")" 0
expect "nbf 50 s ahead, leeway 60" accepted HS256 "$S" "$(nodejwt sign HS256 "$S" "{\"exp\":$((NOW + 600)),\"nbf\":$((NOW + 50))}")" 60
expect "nbf 120 s ahead, leeway 60" "jwt not active" HS256 "$S" "$(nodejwt sign HS256 "$S" "{\"exp\":$((NOW + 600)),\"nbf\":$((NOW + 120))}")" 60

# Signatures cut short: every shape of truncation is "invalid signature" for HS*, RS*, PS*
# (jws compares HMAC tags as text and decodes RSA signatures leniently); empty is "jwt signature
# is required". The variants: 1 to 4 characters fewer, and the longest prefix whose length is
# impossible for base64url (len % 4 == 1).
sig_variants() { # TOKEN [noncanonical]: prints one token per line
    "$PY" - "$@" <<'PY'
import sys
token = sys.argv[1]
head, sig = token.rsplit(".", 1)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
out = [sig[:-n] for n in (1, 2, 3, 4)]
out.append(next(sig[:n] for n in range(len(sig) - 1, 0, -1) if n % 4 == 1))
if len(sys.argv) > 2:  # instead: the full signature with a non-canonical last character
    out = [sig[:-1] + alphabet[alphabet.index(sig[-1]) | 1]]
for s in out:
    if s != sig:
        print(f"{head}.{s}")
PY
}
for alg in HS256 RS256 PS256; do
    priv="$(private_key "$alg")"
    pub="$(public_key "$alg")"
    t="$(nodejwt sign "$alg" "$priv" "$CLAIMS")"
    i=0
    while IFS= read -r variant; do
        i=$((i + 1))
        expect "$alg signature variant $i (${#variant} chars)" "invalid signature" "$alg" "$pub" "$variant"
    done < <(sig_variants "$t")
    expect "$alg empty signature" "jwt signature is required" "$alg" "$pub" "${t%.*}."
    # The right signature with the unused low bits of its last character set: HMAC tags compare as
    # text in jws, so Node refuses it too; Node decodes RSA signatures leniently and accepts it,
    # we do not (one signature, one encoding: tokens are not malleable). A deliberate difference.
    variant="$(sig_variants "$t" noncanonical)"
    if [ "$alg" = HS256 ]; then
        expect "$alg non-canonical signature" "invalid signature" "$alg" "$pub" "$variant"
    else
        ours="$(outcome tool verify "$alg" "$pub" "$variant")"
        theirs="$(outcome nodejwt verify "$alg" "$pub" "$variant")"
        if [ "$ours" = "invalid signature" ] && [ "$theirs" = accepted ]; then
            pass "$alg non-canonical signature: 'invalid signature' here, accepted by jsonwebtoken (known difference)"
        else fail "$alg non-canonical signature: jwt-auth says '$ours', jsonwebtoken says '$theirs'"; fi
    fi
done
# ES256: jsonwebtoken throws ecdsa-sig-formatter's own TypeError for a wrong-length signature
# ('"ES256" signatures must be "64" bytes, saw "N"'); we say "invalid signature". A known,
# deliberate difference: checked so that it stays the only one.
t="$(nodejwt sign ES256 "$(private_key ES256)" "$CLAIMS")"
ours="$(outcome tool verify ES256 "$(public_key ES256)" "${t%????}")"
theirs="$(outcome nodejwt verify ES256 "$(public_key ES256)" "${t%????}")"
if [ "$ours" = "invalid signature" ] && [[ "$theirs" == '"ES256" signatures must be "64" bytes, saw '* ]]; then
    pass "ES256 truncated signature: 'invalid signature' here, jsonwebtoken: '$theirs' (known difference)"
else fail "ES256 truncated signature: jwt-auth says '$ours', jsonwebtoken says '$theirs'"; fi

# NumericDates: any number, as jsonwebtoken compares them; out of range saturates. Signed by
# jwt_tool so that 2^64-1 reaches the verifiers exactly as written (JSON.stringify would round it).
date_token() { tool sign HS256 "$S" "$1"; }
for exp in 9223372036854775807 18446744073709551615 18446744073709551616 1e300; do
    t="$(date_token "{\"exp\":$exp}")"
    expect "exp $exp" accepted HS256 "$S" "$t"
    if out="$(py verify HS256 "$S" "$t")"; then pass "PyJWT accepts exp $exp too"
    else fail "PyJWT refuses exp $exp: $out"; fi
done
for exp in -1 -1e300 0.5; do
    expect "exp $exp" "jwt expired" HS256 "$S" "$(date_token "{\"exp\":$exp}")"
done
expect "nbf 1e300" "jwt not active" HS256 "$S" "$(date_token "{\"exp\":$((NOW + 600)),\"nbf\":1e300}")"
expect "nbf -1" accepted HS256 "$S" "$(date_token "{\"exp\":$((NOW + 600)),\"nbf\":-1}")"
expect "nbf 600.5 s ahead" "jwt not active" HS256 "$S" "$(date_token "{\"exp\":$((NOW + 900)),\"nbf\":$((NOW + 600)).5}")"
expect "exp as a string" "invalid exp value" HS256 "$S" "$(date_token '{"exp":"1e300"}')"

finish
