#!/usr/bin/env python3
"""Interop tests: the real `python-socketio` client against a Socket.IO interop server.

The server comes from SIO_URL (e.g. http://127.0.0.1:3000, path /socket.io/) and behaves as the
table at the top of socketio/examples/interop_server.rs says (tests/interop/socketio/peer-server.js
is the same server on the Node reference implementation). Run through run.sh.

No pytest: each test runs in its own thread with a deadline; the output ends with
`N passed, N failed` and the exit status is 1 when a test failed. Without SIO_URL the tests are
skipped (status 0), or fail when REQUIRE_ALL=1. `-k WORD` runs only the tests whose name has WORD.
SIO_SERIALIZER=msgpack makes every client use python-socketio's MessagePack serializer (the wire of
npm socket.io-msgpack-parser: each packet one binary message, binary inline), against a server
speaking it (run.sh --parser msgpack).
"""

import os
import sys
import threading
import time
import traceback

import socketio

URL = os.environ.get("SIO_URL", "").rstrip("/")
PING_INTERVAL = 0.3
TEST_TIMEOUT = 15.0
SERIALIZER = os.environ.get("SIO_SERIALIZER", "default")

# name -> the `transports` argument of Client.connect (None: polling, then the upgrade).
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgraded": None}


class Recorder:
    """Everything a client receives, in order: (namespace, event, args). Thread-safe."""

    def __init__(self):
        self.log = []
        self.cond = threading.Condition()

    def push(self, nsp, name, args):
        with self.cond:
            self.log.append((nsp, name, tuple(args)))
            self.cond.notify_all()

    def all(self, name, nsp="/"):
        with self.cond:
            return [args for (n, e, args) in self.log if e == name and n == nsp]

    def wait_until(self, pred, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(f"{n}:{e}" for (n, e, _) in self.log) or "nothing"
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}; received: {seen}")
                self.cond.wait(left)

    def wait_for(self, name, n=1, nsp="/", timeout=5.0):
        """Waits until `n` events `name` arrived on `nsp`; returns their argument tuples."""
        self.wait_until(lambda: len(self.all(name, nsp)) >= n, f"{n} '{name}' on {nsp}", timeout)
        return self.all(name, nsp)[:n]


OPEN = []  # clients to disconnect after each test


def make_client(reconnection=False, **kwargs):
    """A client whose every event (and connect/disconnect/connect_error) is recorded, on any
    namespace. `ping-me` (the server asking for an ack) is answered with
    ("pong", *args, b"\\x09\\x08\\x07")."""
    sio = socketio.Client(reconnection=reconnection, handle_sigint=False, serializer=SERIALIZER, **kwargs)
    rec = Recorder()
    sio.on("connect", lambda nsp: rec.push(nsp, "connect", []), namespace="*")
    sio.on("disconnect", lambda nsp, reason=None: rec.push(nsp, "disconnect", [reason]), namespace="*")
    sio.on("connect_error", lambda nsp, data=None: rec.push(nsp, "connect_error", [data]), namespace="*")

    def ping_me(nsp, *args):
        rec.push(nsp, "ping-me", args)
        return ("pong", *args, b"\x09\x08\x07")

    sio.on("ping-me", ping_me, namespace="*")
    sio.on("*", lambda event, nsp, *args: rec.push(nsp, event, args), namespace="*")
    OPEN.append(sio)
    return sio, rec


def connect(transport, namespaces=("/",), auth=None, reconnection=False, **kwargs):
    sio, rec = make_client(reconnection=reconnection, **kwargs)
    do_connect(sio, transport, namespaces, auth)
    return sio, rec


def do_connect(sio, transport, namespaces=("/",), auth=None):
    assert URL, "SIO_URL is not set"
    sio.connect(
        URL,
        transports=TRANSPORTS[transport],
        namespaces=list(namespaces),
        auth=auth,
        socketio_path="socket.io",
        wait_timeout=5,
    )
    if transport == "upgraded":
        deadline = time.monotonic() + 5
        while sio.transport() != "websocket":
            assert time.monotonic() < deadline, "the client did not upgrade to websocket within 5 s"
            time.sleep(0.02)
    expected = "polling" if transport == "polling" else "websocket"
    assert sio.transport() == expected, f"transport is {sio.transport()}, expected {expected}"


def close_all():
    while OPEN:
        sio = OPEN.pop()
        sio.reconnection = False
        try:
            sio.disconnect()
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass


def eq(got, expected, what=""):
    assert got == expected, f"{what}: got {got!r}, expected {expected!r}"


# --- the tests; each takes the transport name ----------------------------------------------


def t_connect_auth_whoami(transport):
    auth = {"token": "abc.def.ghi", "n": 42, "nested": {"list": [1, "two", None, True]}, "ünï": "cödé ✓"}
    sio, _ = connect(transport, auth=auth)
    sid = sio.get_sid("/")
    assert isinstance(sid, str) and sid, f"no sid: {sid!r}"
    assert sid != sio.eio.sid, "the Socket.IO id must not be the Engine.IO sid"
    me = sio.call("whoami", timeout=3)
    eq(me, {"id": sid, "nsp": "/", "auth": auth}, "whoami")
    # Without auth the server sees {}.
    sio2, _ = connect(transport)
    eq(sio2.call("whoami", timeout=3)["auth"], {}, "auth without auth")


def t_events(transport):
    sio, rec = connect(transport)
    sent = [
        ("hello",),
        ("héllo ✓ 😀 — ünïcödé", 42, -1.5, True, False, None),
        ({"a": [1, "x", None], "b": {"c": "d"}},),
        ([1, [2, [3, [4]]]], "", 'quote " backslash \\ newline \n'),
        (),
    ]
    for args in sent:
        sio.emit("echo", args)
    eq(rec.wait_for("echo", len(sent)), sent, "echoed events")
    # Ten, not more: python-engineio refuses a polling response of more than 16 packets
    # (Payload.max_decode_packets) and drops the connection, with the Node server as well.
    for i in range(10):
        sio.emit("echo", (i, f"msg {i}"))
    got = rec.wait_for("echo", len(sent) + 10)[len(sent):]
    eq(got, [(i, f"msg {i}") for i in range(10)], "10 back-to-back events")


def t_acks(transport):
    sio, rec = connect(transport)
    eq(sio.call("ack-echo", (1, "two", {"three": [3]}), timeout=3), (1, "two", {"three": [3]}), "multi-arg ack")
    eq(sio.call("ack-echo", "only", timeout=3), "only", "one-arg ack")
    eq(sio.call("ack-echo", timeout=3), None, "no-arg ack")
    # Callback form, several in flight.
    answers = {}
    done = threading.Event()

    def cb(i):
        def f(*args):
            answers[i] = args
            if len(answers) == 10:
                done.set()
        return f

    for i in range(10):
        sio.emit("ack-echo", (i, str(i)), callback=cb(i))
    assert done.wait(5), f"only {len(answers)} of 10 acks came back"
    eq(answers, {i: (i, str(i)) for i in range(10)}, "acks in flight")
    # Server -> client ack: the client's answer (binary included) goes back to the server.
    sio.emit("server-ack", ("x", 1, {"k": "v"}))
    (result,) = rec.wait_for("server-ack-result")
    eq(rec.all("ping-me"), [("x", 1, {"k": "v"})], "what the server asked")
    eq(result, ("pong", "x", 1, {"k": "v"}, b"\x09\x08\x07"), "the server's report of the ack")
    eq(rec.all("server-ack-error"), [], "server-ack-error")


def t_binary(transport):
    sio, rec = connect(transport)
    everything = bytes(range(256))
    sio.emit("echo", (everything, "between", b"\x1e\x62\x34"))
    eq(rec.wait_for("echo")[0], (everything, "between", b"\x1e\x62\x34"), "top-level binary")
    nested = {
        "file": b"hello",
        "meta": {"parts": [b"\x01", "x", {"deep": b"\x02\x03"}], "n": 5},
        "list": [[b"\x04"], []],
    }
    sio.emit("echo", (nested, [b"\x05", {"b": b"\x06"}]))
    eq(rec.wait_for("echo", 2)[1], (nested, [b"\x05", {"b": b"\x06"}]), "nested binary")
    eq(sio.call("ack-echo", (nested,), timeout=3), nested, "nested binary ack")
    eq(
        sio.call("binary-nested", timeout=3),
        (b"\x01\x02\x03", {"nested": {"bin": b"\x04\x05\x06", "list": [b"\x07", "text", b""]}}),
        "binary built by the server",
    )


def t_namespaces(transport):
    sio, rec = connect(transport, namespaces=("/", "/admin"), auth={"who": "both"})
    main, admin = sio.get_sid("/"), sio.get_sid("/admin")
    assert main and admin and main != admin, f"sids {main!r} {admin!r}"
    eq(sio.call("whoami", namespace="/", timeout=3), {"id": main, "nsp": "/", "auth": {"who": "both"}}, "/")
    eq(sio.call("whoami", namespace="/admin", timeout=3), {"id": admin, "nsp": "/admin", "auth": {"who": "both"}}, "/admin")
    sio.emit("echo", ("to main", b"\x01"), namespace="/")
    sio.emit("echo", ("to admin", {"b": b"\x02"}), namespace="/admin")
    eq(rec.wait_for("echo", nsp="/"), [("to main", b"\x01")], "echo on /")
    eq(rec.wait_for("echo", nsp="/admin"), [("to admin", {"b": b"\x02"})], "echo on /admin")
    time.sleep(0.1)
    eq(len(rec.all("echo", "/")) + len(rec.all("echo", "/admin")), 2, "echo count")


def t_unknown_namespace(transport):
    sio, rec = make_client()
    try:
        do_connect(sio, transport, namespaces=("/nope",))
    except socketio.exceptions.ConnectionError as e:
        assert "/nope" in str(e), f"unexpected error {e}"
    else:
        raise AssertionError("connecting to /nope succeeded")
    errors = rec.all("connect_error", "/nope")
    eq(len(errors), 1, "connect_error count")
    eq(errors[0][0], {"message": "Invalid namespace"}, "connect_error data")


def t_rooms(transport):
    a, ra = connect(transport)
    b, rb = connect(transport)
    eq(a.call("join", "r1", timeout=3), "r1", "join ack")
    # From the non-member: the member gets it.
    eq(b.call("to-room", ("r1", {"from": "b", "bin": b"\x01\x02"}), timeout=3), True, "to-room ack")
    # From the member: nobody (the sender is excluded, b is not in the room).
    eq(a.call("to-room", ("r1", "from a"), timeout=3), True, "to-room ack")
    # A to-all after them arrives after them on each connection.
    eq(b.call("to-all", "sync 1", timeout=3), True, "to-all ack")
    for rec in (ra, rb):
        rec.wait_until(lambda rec=rec: ("sync 1", b.get_sid("/")) in rec.all("all-msg"), "the to-all marker")
    eq(ra.all("room-msg"), [("r1", {"from": "b", "bin": b"\x01\x02"}, b.get_sid("/"))], "room-msg at a")
    eq(rb.all("room-msg"), [], "room-msg at b (non-member)")
    # After leaving, no more room messages.
    eq(a.call("leave", "r1", timeout=3), "r1", "leave ack")
    b.call("to-room", ("r1", "after leave"), timeout=3)
    a.call("to-all", "sync 2", timeout=3)
    for rec in (ra, rb):
        rec.wait_until(lambda rec=rec: ("sync 2", a.get_sid("/")) in rec.all("all-msg"), "the second to-all marker")
    eq(len(ra.all("room-msg")), 1, "room-msg at a after leaving")


def t_kick_me(transport):
    sio, rec = connect(transport, reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.2,
                       randomization_factor=0)
    first = sio.get_sid("/")
    sio.emit("kick-me")
    (args,) = rec.wait_for("disconnect")
    eq(args, (socketio.Client.reason.SERVER_DISCONNECT,), "disconnect reason (python-socketio says 'server disconnect')")
    time.sleep(0.8)
    eq(len(rec.all("connect")), 1, "connects (the client must not reconnect by itself)")
    assert not sio.connected, "still connected"
    # A manual connect works.
    do_connect(sio, transport)
    rec.wait_for("connect", 2)
    assert sio.get_sid("/") != first, "a new connection should get a new socket id"
    eq(sio.call("whoami", timeout=3)["id"], sio.get_sid("/"), "whoami after reconnecting")


def t_kick_one_namespace(transport):
    sio, rec = connect(transport, namespaces=("/", "/admin"))
    engine_sid = sio.eio.sid
    sio.emit("kick-me", namespace="/admin")
    (args,) = rec.wait_for("disconnect", nsp="/admin")
    eq(args, (socketio.Client.reason.SERVER_DISCONNECT,), "disconnect reason on /admin")
    time.sleep(0.3)
    eq(rec.all("disconnect", "/"), [], "disconnects on /")
    assert sio.connected, "the client is no longer connected"
    eq(sio.eio.sid, engine_sid, "engine sid")
    eq(sio.call("ack-echo", "main", namespace="/", timeout=3), "main", "/ after /admin was kicked")


def t_heartbeat(transport):
    sio, rec = connect(transport)
    time.sleep(PING_INTERVAL * 6)
    eq(rec.all("disconnect"), [], "disconnects during the heartbeats")
    eq(sio.call("ack-echo", "still here", timeout=3), "still here", "after the heartbeats")


TESTS = [
    ("connect with auth, whoami", t_connect_auth_whoami),
    ("events both ways", t_events),
    ("acks both ways", t_acks),
    ("binary top-level and nested", t_binary),
    ("namespaces / and /admin on one connection", t_namespaces),
    ("unknown namespace: Invalid namespace", t_unknown_namespace),
    ("rooms and broadcasts across two clients", t_rooms),
    ("kick-me: io server disconnect, no auto-reconnect, manual connect", t_kick_me),
    ("kick-me on /admin leaves / connected on the same engine", t_kick_one_namespace),
    ("stays connected across heartbeats", t_heartbeat),
]


def run_one(fn, transport):
    """Runs fn(transport) in a thread with a deadline. Returns None or the failure text."""
    outcome = {}

    def body():
        try:
            fn(transport)
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
    if not URL:
        if os.environ.get("REQUIRE_ALL") == "1":
            print("FAIL: SIO_URL is not set (and REQUIRE_ALL=1): run through run.sh")
            print("0 passed, 1 failed")
            return 1
        print("SKIP: SIO_URL is not set: run through run.sh")
        print("0 passed, 0 failed")
        return 0
    passed = failed = 0
    for transport in TRANSPORTS:
        for title, fn in TESTS:
            name = f"[{transport}] {title}"
            if only and only not in name:
                continue
            start = time.monotonic()
            error = run_one(fn, transport)
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
