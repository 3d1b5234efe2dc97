#!/usr/bin/env python3
"""Auth interop tests: the real `python-socketio` client, tokens minted by PyJWT, against our
conformance server with its JWT flags (run.sh starts the servers and sets the env vars):

  AUTH_URL_HS       handshake mode, default sources (auth, header)
  AUTH_URL_ALL      handshake mode, sources auth, header, query, cookie
  AUTH_URL_EVENT    event mode (`authenticate` event), --auth-timeout-ms 1000
  AUTH_URL_REFRESH  handshake mode, --jwt-refresh
  AUTH_URL_RSA      --jwt-public-key (RS256 PEM)
  AUTH_URL_JWKS     --jwks: ES256 kids ec-a / ec-b, EdDSA kid ed-1
  AUTH_URL_HS_MSGPACK / AUTH_URL_EVENT_MSGPACK  as hs / event, with --parser msgpack (the client
                    uses python-socketio's `msgpack` serializer there)
  AUTH_SECRET, AUTH_ISSUER, AUTH_AUDIENCE, AUTH_KEYS (the PEM files keys.js wrote)

No pytest: each test runs in its own thread with a deadline; the output ends with
`N passed, N failed` and the exit status is 1 when a test failed. Without the env vars the tests
are skipped (status 0), or fail when REQUIRE_ALL=1. `-k WORD` runs only the tests whose name has
WORD.

What python-socketio exposes on a refusal: `Client.connect` raises
`socketio.exceptions.ConnectionError("One or more namespaces failed to connect: /")` (the server's
message is not in the exception), and the `connect_error` handler receives the CONNECT_ERROR data
as sent: `{"message": M, "data": {"message": M, "code": C, "type": "UnauthorizedError"}}`.
"""

import os
import sys
import threading
import time
import traceback

import jwt
import socketio

ENV = os.environ
SECRET = ENV.get("AUTH_SECRET", "")
ISSUER = ENV.get("AUTH_ISSUER", "")
AUDIENCE = ENV.get("AUTH_AUDIENCE", "")
KEYS = ENV.get("AUTH_KEYS", "")
URLS = {name: ENV.get(f"AUTH_URL_{name.upper()}", "").rstrip("/")
        for name in ("hs", "all", "event", "refresh", "rsa", "jwks", "hs_msgpack", "event_msgpack")}
CONFIGURED = all([SECRET, ISSUER, AUDIENCE, KEYS, *URLS.values()])
TEST_TIMEOUT = 15.0
BAD_SECRET = "another-secret-of-at-least-32-bytes!!"


def key(name):
    with open(os.path.join(KEYS, name), encoding="ascii") as f:
        return f.read()


def now_s():
    return int(time.time())


def mint(claims=None, key_=None, algorithm="HS256", kid=None):
    """A PyJWT token with the right issuer/audience and a 60 s expiry unless `claims` overrides
    them (a claim set to None is left out)."""
    body = {"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "iat": now_s(), "exp": now_s() + 60}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, SECRET if key_ is None else key_, algorithm=algorithm, headers=headers)


def payload_of(token):
    return jwt.decode(token, options={"verify_signature": False})


class Recorder:
    """Everything a client receives, in order: (namespace, event, args). Thread-safe."""

    def __init__(self):
        self.log = []
        self.cond = threading.Condition()

    def push(self, nsp, name, args):
        with self.cond:
            self.log.append((nsp, name, tuple(args), time.monotonic()))
            self.cond.notify_all()

    def all(self, name, nsp="/"):
        with self.cond:
            return [args for (n, e, args, _) in self.log if e == name and n == nsp]

    def at(self, name, nsp="/"):
        with self.cond:
            return [t for (n, e, _, t) in self.log if e == name and n == nsp]

    def names(self):
        with self.cond:
            return [e for (_, e, _, _) in self.log]

    def wait_for(self, name, n=1, nsp="/", timeout=5.0):
        """Waits until `n` events `name` arrived on `nsp`; returns their argument tuples."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.all(name, nsp)) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(self.names()) or "nothing"
                    raise AssertionError(f"timed out after {timeout} s waiting for {n} '{name}' on {nsp}; "
                                         f"received: {seen}")
                self.cond.wait(left)
            return self.all(name, nsp)[:n]


OPEN = []  # clients to disconnect after each test


def make_client(serializer="default"):
    sio = socketio.Client(reconnection=False, handle_sigint=False, serializer=serializer)
    rec = Recorder()
    sio.on("connect", lambda nsp: rec.push(nsp, "connect", []), namespace="*")
    sio.on("disconnect", lambda nsp, reason=None: rec.push(nsp, "disconnect", [reason]), namespace="*")
    sio.on("connect_error", lambda nsp, data=None: rec.push(nsp, "connect_error", [data]), namespace="*")
    sio.on("*", lambda event, nsp, *args: rec.push(nsp, event, args), namespace="*")
    OPEN.append(sio)
    return sio, rec


def serializer_for(url):
    """python-socketio's MessagePack serializer for the servers started with --parser msgpack."""
    return "msgpack" if url in (URLS["hs_msgpack"], URLS["event_msgpack"]) else "default"


def connect(url, auth=None, transports=None, headers=None, namespaces=("/",)):
    sio, rec = make_client(serializer_for(url))
    sio.connect(url, auth=auth, transports=transports, headers=headers or {},
                namespaces=list(namespaces), socketio_path="socket.io", wait_timeout=5)
    return sio, rec


def refused(url, auth=None, transports=None, headers=None, namespace="/"):
    """Expects a refusal; returns (the ConnectionError, the connect_error data)."""
    sio, rec = make_client(serializer_for(url))
    try:
        sio.connect(url, auth=auth, transports=transports, headers=headers or {},
                    namespaces=[namespace], socketio_path="socket.io", wait_timeout=5)
    except socketio.exceptions.ConnectionError as exc:
        (data,) = rec.wait_for("connect_error", nsp=namespace)
        return exc, data[0]
    raise AssertionError(f"connected to {url}{namespace}, but a refusal was expected")


def eq(got, expected, what=""):
    assert got == expected, f"{what}: got {got!r}, expected {expected!r}"


def check_unauthorized(exc, data, message, code, namespace="/"):
    """The exception python-socketio raises and the CONNECT_ERROR data the handler saw."""
    eq(str(exc), f"One or more namespaces failed to connect: {namespace}", "ConnectionError text")
    assert isinstance(data, dict), f"connect_error data is not an object: {data!r}"
    eq(data.get("message"), message, f"connect_error message (data {data!r})")
    inner = data.get("data")
    assert isinstance(inner, dict), f"connect_error data.data is not an object: {data!r}"
    eq(inner.get("message"), message, "data.message")
    eq(inner.get("code"), code, "data.code")
    eq(inner.get("type"), "UnauthorizedError", "data.type")


def check_unauthorized_event(arg, message, code):
    assert isinstance(arg, dict), f"unauthorized payload is not an object: {arg!r}"
    eq(arg.get("message"), message, f"unauthorized message ({arg!r})")
    eq(arg.get("code"), code, "unauthorized code")
    eq(arg.get("type"), "UnauthorizedError", "unauthorized type")


# --- the tests -------------------------------------------------------------------------------


def t_classic_hs256(transports):
    token = mint({"sub": "py-user", "role": "admin", "scopes": ["read", "write"], "n": 7})
    sio, rec = connect(URLS["hs"], auth={"token": token}, transports=transports)
    (claims,) = rec.wait_for("claims")
    eq(claims, (payload_of(token),), "claims")
    (auth,) = rec.wait_for("auth")
    eq(auth, ({"token": token},), "auth echo")
    # Then a normal socket: message -> message-back, and an ack.
    sio.emit("message", ("hi", {"x": 1}))  # a tuple: several arguments
    (back,) = rec.wait_for("message-back")
    eq(back, ("hi", {"x": 1}), "message-back")
    eq(sio.call("message-with-ack", "acked", timeout=3), "acked", "ack")


def t_auth_callable_bearer():
    token = mint({"sub": "callable"})
    sio, rec = connect(URLS["hs"], auth=lambda: {"token": f"Bearer {token}"})
    (claims,) = rec.wait_for("claims")
    eq(claims[0]["sub"], "callable", "sub")


def t_header(transports):
    token = mint({"sub": "py-header"})
    sio, rec = connect(URLS["hs"], headers={"Authorization": f"Bearer {token}"}, transports=transports)
    (claims,) = rec.wait_for("claims")
    eq(claims, (payload_of(token),), "claims")
    (auth,) = rec.wait_for("auth")
    eq(auth, ({},), "auth echo (no CONNECT payload)")


def t_query_enabled_and_not():
    token = mint({"sub": "py-query"})
    sio, rec = connect(f"{URLS['all']}?token={token}")
    (claims,) = rec.wait_for("claims")
    eq(claims[0]["sub"], "py-query", "sub")
    exc, data = refused(f"{URLS['hs']}?token={token}")
    check_unauthorized(exc, data, "no token provided", "credentials_required")


def t_custom_namespace():
    exc, data = refused(URLS["hs"], namespace="/custom")
    check_unauthorized(exc, data, "no token provided", "credentials_required", "/custom")
    sio, rec = connect(URLS["hs"], auth={"token": mint({"sub": "py-custom"})}, namespaces=("/custom",))
    (claims,) = rec.wait_for("claims", nsp="/custom")
    eq(claims[0]["sub"], "py-custom", "sub")


def t_rs256_ps256():
    for alg in ("RS256", "PS256", "RS384"):
        token = mint({"sub": f"py-{alg}"}, key_=key("rsa.key.pem"), algorithm=alg)
        sio, rec = connect(URLS["rsa"], auth={"token": token})
        (claims,) = rec.wait_for("claims")
        eq(claims, (payload_of(token),), f"{alg} claims")


def t_es256_kids():
    for kid in ("ec-a", "ec-b"):
        token = mint({"sub": f"py-{kid}"}, key_=key(f"{kid}.key.pem"), algorithm="ES256", kid=kid)
        sio, rec = connect(URLS["jwks"], auth={"token": token})
        (claims,) = rec.wait_for("claims")
        eq(claims, (payload_of(token),), f"{kid} claims")


def t_eddsa():
    token = mint({"sub": "py-ed"}, key_=key("ed.key.pem"), algorithm="EdDSA", kid="ed-1")
    sio, rec = connect(URLS["jwks"], auth={"token": token})
    (claims,) = rec.wait_for("claims")
    eq(claims, (payload_of(token),), "EdDSA claims")
    # Without a kid the only EdDSA key of the set is the one candidate.
    token = mint({"sub": "py-ed-nokid"}, key_=key("ed.key.pem"), algorithm="EdDSA")
    sio, rec = connect(URLS["jwks"], auth={"token": token})
    (claims,) = rec.wait_for("claims")
    eq(claims[0]["sub"], "py-ed-nokid", "sub")


def t_refusals_hs():
    cases = [
        ("no token", None, "no token provided", "credentials_required"),
        ("expired", {"token": mint({"exp": now_s() - 3600})}, "jwt expired", "invalid_token"),
        ("bad signature", {"token": mint(key_=BAD_SECRET)}, "invalid signature", "invalid_token"),
        ("wrong audience", {"token": mint({"aud": "nope"})}, f"jwt audience invalid. expected: {AUDIENCE}",
         "invalid_token"),
        ("wrong issuer", {"token": mint({"iss": "nope"})}, f"jwt issuer invalid. expected: {ISSUER}",
         "invalid_token"),
        ("not before", {"token": mint({"nbf": now_s() + 3600})}, "jwt not active", "invalid_token"),
        ("malformed", {"token": "garbage"}, "jwt malformed", "invalid_token"),
        ("alg none", {"token": jwt.encode({"sub": "x", "exp": now_s() + 60}, None, algorithm="none")},
         "jwt signature is required", "invalid_token"),
        ("Basic scheme", {"token": f"Basic {mint()}"}, "Format is Authorization: Bearer [token]",
         "credentials_bad_format"),
    ]
    for name, auth, message, code in cases:
        try:
            exc, data = refused(URLS["hs"], auth=auth)
            check_unauthorized(exc, data, message, code)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from e


def t_refusal_header_format():
    # As socketio-jwt reads the header: not two space-separated parts is a bad format; another
    # scheme is not a bearer token and is ignored (then no source has one).
    for value in (f"Bearer {mint()} x", f"Bearer  {mint()}", "Bearer"):
        exc, data = refused(URLS["hs"], headers={"Authorization": value}, transports=["polling"])
        check_unauthorized(exc, data, "Format is Authorization: Bearer [token]", "credentials_bad_format")
    exc, data = refused(URLS["hs"], headers={"Authorization": f"Token {mint()}"}, transports=["polling"])
    check_unauthorized(exc, data, "no token provided", "credentials_required")


def t_refusals_keys():
    other_ed = jwt.encode({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": now_s() + 60},
                          _fresh_ed25519_pem(), algorithm="EdDSA", headers={"kid": "ed-1"})
    cases = [
        ("ES256 signed by ec-b under kid ec-a", URLS["jwks"],
         mint(key_=key("ec-b.key.pem"), algorithm="ES256", kid="ec-a"), "invalid signature"),
        ("EdDSA by another key under kid ed-1", URLS["jwks"], other_ed, "invalid signature"),
        ("unknown kid", URLS["jwks"], mint(key_=key("ec-a.key.pem"), algorithm="ES256", kid="zzz"),
         "secret or public key must be provided"),
        ("HS256 token against the RS256 server", URLS["rsa"], mint(), "invalid algorithm"),
        ("RS256 from another key", URLS["rsa"], mint(key_=_fresh_rsa_pem(), algorithm="RS256"), "invalid signature"),
    ]
    for name, url, token, message in cases:
        try:
            exc, data = refused(url, auth={"token": token})
            check_unauthorized(exc, data, message, "invalid_token")
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from e


def _fresh_ed25519_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _fresh_rsa_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def t_event_mode():
    sio, rec = connect(URLS["event"])
    sio.emit("message", "too-early")
    token = mint({"sub": "py-event"})
    sio.emit("authenticate", {"token": token})
    rec.wait_for("authenticated")
    (claims,) = rec.wait_for("claims")
    eq(claims, (payload_of(token),), "claims")
    names = rec.names()
    assert names.index("authenticated") < names.index("claims"), f"order: {names}"
    sio.emit("message", "in-time")
    (back,) = rec.wait_for("message-back")
    eq(sio.call("message-with-ack", "sync", timeout=3), "sync", "ack")
    eq(back, ("in-time",), "message-back")
    eq(len(rec.all("message-back")), 1, "message-back count (the early message must get no answer)")


def t_event_mode_bad_token():
    sio, rec = connect(URLS["event"])
    sio.emit("authenticate", {"token": mint(key_=BAD_SECRET)})
    (unauthorized,) = rec.wait_for("unauthorized")
    check_unauthorized_event(unauthorized[0], "invalid signature", "invalid_token")
    (disconnect,) = rec.wait_for("disconnect")
    eq(disconnect, (sio.reason.SERVER_DISCONNECT,), "disconnect reason")


def t_event_mode_timeout():
    sio, rec = connect(URLS["event"])
    start = time.monotonic()
    (unauthorized,) = rec.wait_for("unauthorized", timeout=5)
    took = time.monotonic() - start
    check_unauthorized_event(unauthorized[0], "authentication timeout", "authentication_timeout")
    rec.wait_for("disconnect")
    assert 0.75 <= took <= 3.0, f"timeout after {took:.2f} s (configured 1 s)"


def t_expiry_and_refresh():
    exp = int(time.time()) + 3  # expires between 2 and 3 s from now
    expiring, rec1 = connect(URLS["hs"], auth={"token": mint({"sub": "py-exp", "exp": exp})})
    refreshed, rec2 = connect(URLS["refresh"], auth={"token": mint({"sub": "py-exp", "exp": exp})})
    refreshed.emit("authenticate", {"token": mint({"sub": "py-exp", "exp": exp + 60})})
    rec2.wait_for("authenticated")
    (unauthorized,) = rec1.wait_for("unauthorized", timeout=exp - time.time() + 4)
    check_unauthorized_event(unauthorized[0], "jwt expired", "invalid_token")
    (disconnect,) = rec1.wait_for("disconnect")
    eq(disconnect, (expiring.reason.SERVER_DISCONNECT,), "disconnect reason")
    assert time.time() >= exp - 0.15, f"disconnected {exp - time.time():.2f} s before exp"
    assert time.time() <= exp + 1.5, f"disconnected {time.time() - exp:.2f} s after exp"
    # The refreshed one is still there, past the first exp plus a margin.
    time.sleep(max(0.0, exp + 2 - time.time()))
    eq(rec2.all("unauthorized"), [], "unauthorized on the refreshed client")
    eq(refreshed.call("message-with-ack", "alive", timeout=3), "alive", "ack after the first exp")


def t_msgpack(transports):
    """The MessagePack parser: a token in the auth map connects (binary inline in events), bad
    tokens are refused with the same UnauthorizedError data, and the event flow works."""
    token = mint({"sub": "py-mp", "n": 2.5, "tags": ["a", "b"]})
    sio, rec = connect(URLS["hs_msgpack"], auth={"token": token}, transports=transports)
    (claims,) = rec.wait_for("claims")
    eq(claims, (payload_of(token),), "claims")
    sio.emit("message", ("hi", {"bin": b"\x01\x02"}, 70000))
    (back,) = rec.wait_for("message-back")
    eq(back, ("hi", {"bin": b"\x01\x02"}, 70000), "message-back")
    eq(sio.call("message-with-ack", b"\xff", timeout=3), b"\xff", "binary ack")
    exc, data = refused(URLS["hs_msgpack"], transports=transports)
    check_unauthorized(exc, data, "no token provided", "credentials_required")
    exc, data = refused(URLS["hs_msgpack"], auth={"token": mint(key_=BAD_SECRET)}, transports=transports)
    check_unauthorized(exc, data, "invalid signature", "invalid_token")
    exc, data = refused(URLS["hs_msgpack"], auth={"token": mint({"exp": now_s() - 3600})}, transports=transports)
    check_unauthorized(exc, data, "jwt expired", "invalid_token")
    ev, rec2 = connect(URLS["event_msgpack"], transports=transports)
    ev.emit("authenticate", {"token": mint({"sub": "py-mp-event"})})
    rec2.wait_for("authenticated")
    (claims,) = rec2.wait_for("claims")
    eq(claims[0]["sub"], "py-mp-event", "event-mode claims")
    bad, rec3 = connect(URLS["event_msgpack"], transports=transports)
    bad.emit("authenticate", {"token": mint(key_=BAD_SECRET)})
    (unauthorized,) = rec3.wait_for("unauthorized")
    check_unauthorized_event(unauthorized[0], "invalid signature", "invalid_token")
    rec3.wait_for("disconnect")


TESTS = [
    ("msgpack serializer: JWT accepted and refused, event flow, polling", lambda: t_msgpack(["polling"])),
    ("msgpack serializer: JWT accepted and refused, event flow, websocket", lambda: t_msgpack(["websocket"])),
    ("classic: auth={'token': HS256 from PyJWT}, polling+upgrade", lambda: t_classic_hs256(None)),
    ("classic: auth={'token': HS256 from PyJWT}, websocket only", lambda: t_classic_hs256(["websocket"])),
    ("auth as a callable, 'Bearer <jwt>'", t_auth_callable_bearer),
    ("Authorization header, polling", lambda: t_header(["polling"])),
    ("Authorization header, websocket only", lambda: t_header(["websocket"])),
    ("query token: accepted when enabled, refused by default", t_query_enabled_and_not),
    ("/custom namespace requires a token", t_custom_namespace),
    ("RS256 / PS256 / RS384 against --jwt-public-key", t_rs256_ps256),
    ("ES256 with kids ec-a / ec-b against --jwks", t_es256_kids),
    ("EdDSA (kid ed-1 and no kid) against --jwks", t_eddsa),
    ("refusals (HS256 server): message and UnauthorizedError data", t_refusals_hs),
    ("refusal: Authorization header not 'Bearer <jwt>'", t_refusal_header_format),
    ("refusals (RS256 / JWKS servers)", t_refusals_keys),
    ("event mode: authenticate, authenticated, claims; early events ignored", t_event_mode),
    ("event mode: bad token -> unauthorized + disconnect", t_event_mode_bad_token),
    ("event mode: no token within 1 s -> unauthorized + disconnect", t_event_mode_timeout),
    ("expiry disconnects; --jwt-refresh keeps a refreshed client", t_expiry_and_refresh),
]


def close_all():
    while OPEN:
        sio = OPEN.pop()
        try:
            sio.disconnect()
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass


def run_one(fn):
    """Runs fn() in a thread with a deadline. Returns None or the failure text."""
    outcome = {}

    def body():
        try:
            fn()
        except BaseException:  # noqa: BLE001 - reported as the failure
            outcome["error"] = traceback.format_exc()

    th = threading.Thread(target=body, daemon=True)
    th.start()
    th.join(TEST_TIMEOUT)
    if th.is_alive():
        return f"timed out after {TEST_TIMEOUT} s"
    return outcome.get("error")


def main(argv):
    only = argv[argv.index("-k") + 1] if "-k" in argv and argv.index("-k") + 1 < len(argv) else None
    if not CONFIGURED:
        why = "AUTH_URL_* / AUTH_SECRET / AUTH_KEYS are not set: run through run.sh"
        if ENV.get("REQUIRE_ALL") == "1":
            print(f"FAIL: {why} (and REQUIRE_ALL=1)")
            print("0 passed, 1 failed")
            return 1
        print(f"SKIP: {why}")
        print("0 passed, 0 failed")
        return 0
    passed = failed = 0
    for name, fn in TESTS:
        if only and only not in name:
            continue
        start = time.monotonic()
        error = run_one(fn)
        close_all()
        ms = (time.monotonic() - start) * 1000
        if error is None:
            passed += 1
            print(f"ok   {name} ({ms:.0f} ms)", flush=True)
        else:
            failed += 1
            print(f"FAIL {name} ({ms:.0f} ms)\n{error}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
