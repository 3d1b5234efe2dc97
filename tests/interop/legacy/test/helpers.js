'use strict';
// Shared helpers of the legacy interop tests: socket.io-client 2.5 (Engine.IO v3, Socket.IO
// protocol 4), with socket.io-client 4.8 beside it on the same server.
// The servers come from the environment (see run.sh):
//   LEGACY_URL            the interop server (tests/interop/socketio's behaviour) with EIO3 allowed
//   LEGACY_JWT_URL        JWT in handshake mode: token in the handshake query (`/`) or in the
//                         namespace query (`/custom?token=..`); namespaces `/` and `/custom`
//   LEGACY_JWT_EVENT_URL  JWT in event mode (socketio-jwt's `authenticate` / `authenticated` /
//                         `unauthorized`), auth timeout 1 s
//   LEGACY_SECRET         the HS256 secret of both JWT servers (issuer `legacy-interop`)
const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const io2 = require('sio2');
const { io: io4 } = require('socket.io-client');
const jwt = require('jsonwebtoken');

/** Like `describe`, but without LEGACY_URL it skips (saying why), or fails when REQUIRE_ALL=1. */
function describeInterop(name, fn) {
  if (process.env.LEGACY_URL) {
    describe(name, fn);
    return;
  }
  if (process.env.REQUIRE_ALL === '1') {
    test(name, () => assert.fail('LEGACY_URL is not set (and REQUIRE_ALL=1): run through run.sh'));
  } else {
    describe(name, () => {
      test('needs LEGACY_URL', { skip: 'LEGACY_URL is not set: run through run.sh' }, () => {});
    });
  }
}

/** The transport configurations of socket.io-client 2.x the per-transport tests run over. */
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

const open = [];

/** A socket.io-client 2.x socket on `nsp` of `base` over the transports `name`, not yet awaited. */
function v2(base, nsp, name, extra = {}) {
  const socket = io2(base + nsp, {
    ...TRANSPORTS[name],
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...extra,
  });
  open.push(socket);
  return socket;
}

/** Resolves with the first of `events` the socket emits: `[event, ...args]`. */
function first(socket, events, ms = 5000) {
  return withTimeout(
    new Promise((resolve) => {
      for (const e of events) socket.once(e, (...args) => resolve([e, ...args]));
    }),
    ms,
    events.join(' or '),
  );
}

/** Resolves once the socket is connected; fails on `error` / `connect_error`. */
async function connected(socket) {
  const [e, arg] = await first(socket, ['connect', 'error', 'connect_error']);
  if (e !== 'connect') throw new Error(`${e}: ${JSON.stringify(arg)}`);
  return socket;
}

/** A connected socket.io-client 2.x socket; over `upgraded`, once the WebSocket took over. */
async function connectV2(name, nsp = '/', extra = {}) {
  const socket = await connected(v2(process.env.LEGACY_URL, nsp, name, extra));
  if (name === 'upgraded') {
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') {
      await withTimeout(new Promise((r) => engine.once('upgrade', r)), 5000, 'the upgrade');
    }
    assert.equal(engine.transport.name, 'websocket');
  }
  return socket;
}

/** A connected socket.io-client 4.x socket on the same server. */
async function connectV4(nsp = '/') {
  const socket = io4(process.env.LEGACY_URL + nsp, { forceNew: true, reconnection: false });
  open.push(socket);
  await withTimeout(new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }), 5000, 'a socket.io-client 4 connect');
  return socket;
}

/** Emits `event` with `args` and resolves with the acknowledgement's arguments. */
function call(socket, event, args = []) {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(answer))),
    5000,
    `the ack of ${event}`,
  );
}

/** Resolves with the arguments of the next `event`. */
function next(socket, event, ms = 5000) {
  return withTimeout(new Promise((resolve) => socket.once(event, (...args) => resolve(args))), ms, event);
}

/** Closes every socket opened by this file's helpers. */
function closeAll() {
  for (const socket of open.splice(0)) socket.close();
}

/** A token of the JWT servers, signed with LEGACY_SECRET (npm jsonwebtoken). */
function token(sub, options = {}) {
  return jwt.sign({ sub }, process.env.LEGACY_SECRET, {
    algorithm: 'HS256',
    issuer: 'legacy-interop',
    expiresIn: 60,
    ...options,
  });
}

module.exports = {
  TRANSPORTS, describeInterop, withTimeout, v2, first, connected, connectV2, connectV4, call, next,
  closeAll, token,
};
