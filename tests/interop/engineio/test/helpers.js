'use strict';
// Shared helpers for the engine.io-client interop tests.
// The server under test comes from EIO_URL (e.g. http://127.0.0.1:3000, path /engine.io/ by
// default; a URL with a path such as http://127.0.0.1:3000/engine.io/ sets the path too).
const assert = require('node:assert/strict');
const { describe, test, after } = require('node:test');
const { Socket } = require('engine.io-client');

/** The server's settings the tests rely on (see run.sh / peer-echo.js). */
const PING_INTERVAL_MS = 300;
const MAX_PAYLOAD = 1000000;

/** Returns { url, path } from EIO_URL, or null when it is unset. */
function target() {
  const raw = process.env.EIO_URL;
  if (!raw) return null;
  const u = new URL(raw);
  const path = u.pathname && u.pathname !== '/' ? u.pathname : process.env.EIO_PATH || '/engine.io/';
  return { url: `${u.protocol}//${u.host}`, path };
}

/**
 * Like `describe`, but without EIO_URL it skips (saying why), or fails when REQUIRE_ALL=1.
 */
function describeInterop(name, fn) {
  if (target()) {
    describe(name, fn);
    return;
  }
  if (process.env.REQUIRE_ALL === '1') {
    test(name, () => {
      assert.fail('EIO_URL is not set (and REQUIRE_ALL=1): run through run.sh');
    });
  } else {
    describe(name, () => {
      test('needs EIO_URL', { skip: 'EIO_URL is not set: run through run.sh' }, () => {});
    });
  }
}

const open = new Set();
after(() => {
  for (const s of open) s.close();
});

/** Rejects after `ms` with a message saying what was awaited. */
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * A queue of received messages; records every `close` with its reason and description.
 */
class Inbox {
  constructor(socket) {
    this.items = [];
    this.waiters = [];
    this.closes = [];
    this.closeWaiters = [];
    socket.on('message', (data) => {
      this.items.push(data);
      this._wake();
    });
    socket.on('close', (reason, description) => {
      this.closes.push({ reason, description });
      for (const w of this.closeWaiters.splice(0)) w(this.closes[0]);
      this._wake();
    });
  }

  _wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `n` messages are queued, then removes and returns them. */
  async take(n, ms = 5000) {
    const ready = async () => {
      while (this.items.length < n) {
        if (this.closes.length) {
          const c = this.closes[0];
          throw new Error(
            `socket closed (${c.reason}${describeErr(c.description)}) after ${this.items.length}/${n} messages`,
          );
        }
        await new Promise((resolve) => this.waiters.push(resolve));
      }
      return this.items.splice(0, n);
    };
    return withTimeout(ready(), ms, `${n} message(s) (have ${this.items.length})`);
  }

  /** Waits for the first `close` event and returns { reason, description }. */
  closed(ms = 5000) {
    if (this.closes.length) return Promise.resolve(this.closes[0]);
    return withTimeout(new Promise((r) => this.closeWaiters.push(r)), ms, "the 'close' event");
  }
}

function describeErr(d) {
  if (!d) return '';
  if (d instanceof Error) return `: ${d.message}`;
  if (d.description !== undefined) return `: ${d.description?.message ?? d.description}`;
  return `: ${JSON.stringify(d)}`;
}

/**
 * Opens a client with the given options (transports, upgrade, ...) and waits for `open`.
 * Returns { socket, inbox }; the socket is closed after the run if the test leaves it open.
 */
async function connect(opts, ms = 5000) {
  const t = target();
  assert.ok(t, 'EIO_URL is not set');
  const socket = new Socket(t.url, { path: t.path, ...opts });
  open.add(socket);
  socket.on('close', () => open.delete(socket));
  const inbox = new Inbox(socket);
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', (err) => reject(new Error(`client error before open: ${err?.message ?? err}`)));
      socket.once('close', (reason, d) => reject(new Error(`closed before open: ${reason}${describeErr(d)}`)));
    }),
    ms,
    "the 'open' event",
  );
  return { socket, inbox };
}

/** The transport configurations exercised by the per-transport tests. */
const TRANSPORTS = {
  polling: { transports: ['polling'], upgrade: false },
  websocket: { transports: ['websocket'] },
  upgraded: { transports: ['polling', 'websocket'], upgrade: true },
};

/** Waits for the `upgrade` event (if the socket is not on websocket already). */
async function upgraded(socket, ms = 5000) {
  if (socket.transport.name === 'websocket') return;
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once('upgrade', resolve);
      socket.once('upgradeError', (err) => reject(new Error(`upgradeError: ${err?.message ?? err}`)));
    }),
    ms,
    "the 'upgrade' event",
  );
}

/** A received binary message as a Buffer; fails if it arrived as text. */
function asBytes(data) {
  assert.notEqual(typeof data, 'string', `expected a binary message, got text ${JSON.stringify(String(data).slice(0, 80))}`);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  assert.fail(`unexpected binary type ${Object.prototype.toString.call(data)}`);
}

/** Bytes 0..255. */
function allBytes() {
  return Buffer.from(Array.from({ length: 256 }, (_, i) => i));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  PING_INTERVAL_MS,
  MAX_PAYLOAD,
  TRANSPORTS,
  target,
  describeInterop,
  connect,
  upgraded,
  withTimeout,
  asBytes,
  allBytes,
  sleep,
};
