'use strict';
// Shared helpers for the socket.io-client interop tests.
// The server under test comes from SIO_URL (e.g. http://127.0.0.1:3000; path /socket.io/). It
// behaves as described at the top of socketio/examples/interop_server.rs (peer-server.js is the
// same server on the Node reference implementation).
const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const { io, Manager } = require('socket.io-client');

/** The server's settings the tests rely on (see run.sh / peer-server.js). */
const PING_INTERVAL_MS = 300;
const PATH = '/socket.io/';

/** The server's base URL (no path), or null when SIO_URL is unset. */
function target() {
  const raw = process.env.SIO_URL;
  if (!raw) return null;
  const u = new URL(raw);
  return `${u.protocol}//${u.host}`;
}

/** Like `describe`, but without SIO_URL it skips (saying why), or fails when REQUIRE_ALL=1. */
function describeInterop(name, fn) {
  if (target()) {
    describe(name, fn);
    return;
  }
  if (process.env.REQUIRE_ALL === '1') {
    test(name, () => {
      assert.fail('SIO_URL is not set (and REQUIRE_ALL=1): run through run.sh');
    });
  } else {
    describe(name, () => {
      test('needs SIO_URL', { skip: 'SIO_URL is not set: run through run.sh' }, () => {});
    });
  }
}

/** The transport configurations exercised by the per-transport tests. */
const TRANSPORTS = {
  polling: { transports: ['polling'], upgrade: false },
  websocket: { transports: ['websocket'] },
  upgraded: { transports: ['polling', 'websocket'], upgrade: true },
};

/** Rejects after `ms` with a message saying what was awaited. */
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Records every event a socket receives (with onAny), every `connect`, `disconnect` (with its
 * reason) and `connect_error`, in order.
 */
class Inbox {
  constructor(socket) {
    this.socket = socket;
    this.log = []; // { name, args } in arrival order, lifecycle events included
    this.waiters = [];
    socket.onAny((name, ...args) => this._push(name, args));
    socket.on('connect', () => this._push('connect', []));
    socket.on('disconnect', (reason, details) => this._push('disconnect', [reason, details]));
    socket.on('connect_error', (err) => this._push('connect_error', [err]));
  }

  _push(name, args) {
    this.log.push({ name, args });
    for (const w of this.waiters.splice(0)) w();
  }

  /** The received events called `name` so far. */
  all(name) {
    return this.log.filter((e) => e.name === name);
  }

  /** Waits until `n` events called `name` have arrived in total; returns their argument lists. */
  async waitFor(name, n = 1, ms = 5000) {
    await this.waitUntil(() => this.all(name).length >= n, `${n} '${name}' event(s)`, ms);
    return this.all(name).slice(0, n).map((e) => e.args);
  }

  /** Waits until `pred()` holds (checked on each arrival). */
  async waitUntil(pred, what, ms = 5000) {
    const ready = async () => {
      while (!pred()) {
        await new Promise((resolve) => this.waiters.push(resolve));
      }
    };
    const seen = () => this.log.map((e) => e.name).join(', ') || 'nothing';
    return withTimeout(ready(), ms, what).catch((e) => {
      throw new Error(`${e.message}; received so far: ${seen()}`);
    });
  }

  /** Removes everything recorded so far. */
  clear() {
    this.log.length = 0;
  }
}

const sockets = new Set();

/** Disconnects every socket the helpers opened (use in afterEach). */
function closeAll() {
  for (const s of sockets) {
    s.io.reconnection(false);
    s.disconnect();
    if (s.io.engine) s.io.engine.close();
  }
  sockets.clear();
}

/**
 * A socket (not yet connected) on namespace `nsp` with its own Manager (forceNew) unless `manager`
 * is given. Returns { socket, inbox }.
 */
function socketFor(nsp = '/', opts = {}, manager = undefined) {
  const base = target();
  assert.ok(base, 'SIO_URL is not set');
  const socket = manager
    ? manager.socket(nsp, opts)
    : io(`${base}${nsp}`, { path: PATH, forceNew: true, autoConnect: false, ...opts });
  sockets.add(socket);
  return { socket, inbox: new Inbox(socket) };
}

/** Opens a socket and waits for `connect`. Returns { socket, inbox }. */
async function connect(nsp = '/', opts = {}, manager = undefined, ms = 5000) {
  const { socket, inbox } = socketFor(nsp, opts, manager);
  socket.connect();
  await withTimeout(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once('connect', resolve);
      socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err?.message ?? err}`)));
    }),
    ms,
    `'connect' on ${nsp}`,
  );
  return { socket, inbox };
}

/** A Manager on the server with the given options (tracked sockets close it in closeAll). */
function manager(opts = {}) {
  return new Manager(target(), { path: PATH, autoConnect: false, ...opts });
}

/** Waits for the engine to finish its upgrade to WebSocket (if not there already). */
async function upgraded(socket, ms = 5000) {
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return;
  await withTimeout(
    new Promise((resolve, reject) => {
      engine.once('upgrade', resolve);
      engine.once('upgradeError', (err) => reject(new Error(`upgradeError: ${err?.message ?? err}`)));
    }),
    ms,
    "the engine's 'upgrade' event",
  );
}

/** Connects with a transport configuration name (polling | websocket | upgraded). */
async function connectOver(name, nsp = '/', extra = {}) {
  const c = await connect(nsp, { ...TRANSPORTS[name], ...extra });
  if (name === 'upgraded') await upgraded(c.socket);
  assert.equal(c.socket.io.engine.transport.name, name === 'polling' ? 'polling' : 'websocket');
  return c;
}

/** A received binary value as a Buffer; fails if it is anything else. */
function asBytes(data, what = 'value') {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  assert.fail(`${what}: expected binary, got ${typeof data} ${JSON.stringify(data)?.slice(0, 80)}`);
}

/** Replaces every binary leaf by { bytes: [..] } so deepEqual compares structure and bytes. */
function normalize(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    return { bytes: [...asBytes(v)] };
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalize(x);
    return out;
  }
  return v;
}

/** Bytes 0..255. */
function allBytes() {
  return Buffer.from(Array.from({ length: 256 }, (_, i) => i));
}

/** Emits with an ack and resolves with every argument of the answer (fails after `ms`). */
function call(socket, name, args, ms = 3000) {
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(name, ...args, (err, ...answer) => {
      if (err) reject(new Error(`no ack for '${name}' within ${ms} ms: ${err.message}`));
      else resolve(answer);
    });
  });
}

module.exports = {
  PING_INTERVAL_MS,
  TRANSPORTS,
  target,
  describeInterop,
  withTimeout,
  sleep,
  Inbox,
  socketFor,
  connect,
  connectOver,
  manager,
  upgraded,
  closeAll,
  asBytes,
  normalize,
  allBytes,
  call,
};
