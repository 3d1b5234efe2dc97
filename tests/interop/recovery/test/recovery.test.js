'use strict';
// Connection state recovery with the real socket.io-client 4.8: a client whose transport drops
// comes back with the same socket id, its rooms and data, and every event sent meanwhile exactly
// once and in order; after the window it is a fresh socket; with a JWT policy, a token that
// expired while it was away is refused. Servers: see run.sh and servers/src/recovery.rs.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { describe, test, after } = require('node:test');
const { io } = require('socket.io-client');

const URL_PLAIN = process.env.SIO_URL;
const URL_JWT = process.env.SIO_JWT_URL;
const SECRET = process.env.SIO_JWT_SECRET;
const WINDOW_MS = Number(process.env.SIO_WINDOW_MS || 2000);
// run.sh --parser msgpack: the servers speak socket.io-msgpack-parser, and so do the clients.
const PARSER = process.env.SIO_PARSER === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {};

const TRANSPORTS = {
  polling: { transports: ['polling'], upgrade: false },
  websocket: { transports: ['websocket'] },
  upgraded: { transports: ['polling', 'websocket'], upgrade: true },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sockets = [];
after(() => sockets.forEach((s) => s.disconnect()));

/** A client that does not reconnect by itself: each test says when it comes back. */
function client(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...PARSER, ...opts });
  sockets.push(socket);
  // Every `m` event, with its arguments (the server's offset is the last one).
  socket.received = [];
  socket.on('m', (...args) => socket.received.push(args));
  return socket;
}

function once(socket, event, what) {
  return withTimeout(new Promise((r) => socket.once(event, (...a) => r(a))), 5000, what);
}

async function connected(socket) {
  if (!socket.connected) await once(socket, 'connect', 'connect');
}

function call(socket, ...args) {
  return withTimeout(socket.emitWithAck(...args), 5000, `ack of ${args[0]}`);
}

/** Waits until `socket` received `m` events whose first arguments are `expected`, in order. */
async function receivedExactly(socket, expected) {
  const firsts = () => socket.received.map((args) => args[0]);
  const deadline = Date.now() + 5000;
  while (firsts().length < expected.length && Date.now() < deadline) await sleep(10);
  // Anything extra (a duplicate) would arrive right behind: give it a moment.
  await sleep(100);
  assert.deepEqual(firsts(), expected);
}

/**
 * Waits until the server let the socket `id` go (asked through `observer`, another client). A
 * dropped client's session is kept only once the server has seen its transport close; a client
 * that comes back before that gets a fresh socket (Node's server too). A server busy writing what
 * was sent to the dropped client meanwhile sees the close late (it reads a WebSocket once what it
 * wrote went out), so a test that sends to it waits for this before it reconnects.
 */
async function gone(observer, id) {
  const deadline = Date.now() + 5000;
  while (await call(observer, 'present', id)) {
    assert.ok(Date.now() < deadline, `the server still has ${id}`);
    await sleep(10);
  }
}

/** Drops the transport (the client sees `transport close`/`forced close`, not a disconnect). */
async function drop(socket) {
  const gone = once(socket, 'disconnect', 'disconnect');
  socket.io.engine.close();
  const [reason] = await gone;
  assert.notEqual(reason, 'io client disconnect');
  assert.notEqual(reason, 'io server disconnect');
}

async function reconnect(socket) {
  const back = once(socket, 'connect', 'reconnect');
  socket.connect();
  await back;
}

function jwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('connection state recovery', { skip: !URL_PLAIN && 'SIO_URL is not set: run through run.sh' }, () => {
  for (const [name, opts] of Object.entries(TRANSPORTS)) {
    test(`${name}: same id, rooms, data; every missed event once, in order, before new ones`, async () => {
      const a = client(URL_PLAIN, opts);
      const b = client(URL_PLAIN, { transports: ['websocket'] });
      await Promise.all([connected(a), connected(b)]);
      if (name === 'upgraded') {
        await withTimeout(
          new Promise((r) => (a.io.engine.transport.name === 'websocket' ? r() : a.io.engine.once('upgrade', r))),
          5000,
          'upgrade',
        );
      }
      assert.equal(a.recovered, false);
      const id = a.id;
      await call(a, 'join', 'red');
      await call(a, 'set-data', 'kept');
      // A direct emit and a broadcast before the drop: the client holds an offset.
      await call(a, 'direct', 'm', 'direct-before');
      await call(b, 'to', 'red', 'm', 'room-before');
      await receivedExactly(a, ['direct-before', 'room-before']);
      for (const args of a.received) {
        assert.equal(args.length, 2, 'the offset comes as the last argument');
        assert.equal(typeof args[1], 'string'); // its format is the server's (Node: yeast ids)
        assert.ok(args[1].length > 0);
      }

      await drop(a);
      await call(b, 'to', id, 'm', 'to-id-1');
      await call(b, 'to', 'red', 'm', 'to-room-2');
      await call(b, 'to', 'blue', 'm', 'not-for-a');
      await call(b, 'to', id, 'm', 'to-id-3');
      await gone(b, id);
      await reconnect(a);

      assert.equal(a.recovered, true);
      assert.equal(a.id, id);
      const who = await call(a, 'whoami');
      assert.equal(who.id, id);
      assert.equal(who.recovered, true);
      assert.equal(who.handlerSawRecovered, true);
      assert.deepEqual(who.rooms, [id, 'red'].sort());
      assert.equal(who.data, 'kept');
      await call(b, 'to', 'red', 'm', 'after');
      await receivedExactly(a, ['direct-before', 'room-before', 'to-id-1', 'to-room-2', 'to-id-3', 'after']);
      // A second drop recovers as well, from the latest offset.
      await drop(a);
      await call(b, 'to', id, 'm', 'second-drop');
      await gone(b, id);
      await reconnect(a);
      assert.equal(a.recovered, true);
      assert.equal(a.id, id);
      await receivedExactly(a, [
        'direct-before', 'room-before', 'to-id-1', 'to-room-2', 'to-id-3', 'after', 'second-drop',
      ]);
      a.disconnect();
      b.disconnect();
    });
  }

  test('after the window: a fresh socket (recovered false, new id, no rooms)', async () => {
    const a = client(URL_PLAIN, TRANSPORTS.websocket);
    await connected(a);
    const id = a.id;
    await call(a, 'join', 'red');
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    await drop(a);
    await sleep(WINDOW_MS + 500);
    await reconnect(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    const who = await call(a, 'whoami');
    assert.deepEqual(who.rooms, [a.id]);
    assert.equal(who.recovered, false);
    a.disconnect();
  });

  test('a client namespace disconnect keeps nothing', async () => {
    const a = client(URL_PLAIN, TRANSPORTS.websocket);
    await connected(a);
    const id = a.id;
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    a.disconnect();
    await reconnect(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    a.disconnect();
  });
});

// Our server only (the Node reference replays whatever it holds): a client that missed more than
// its connection's send buffer takes gets a fresh socket, never a recovered one with a hole.
describe('connection state recovery within the send budget', { skip: !URL_JWT && 'our server only (SIO_JWT_URL is set for ours): run through run.sh' }, () => {
  test('more missed than the send buffer takes: a fresh socket; a little less: recovered, all of it', async () => {
    for (const [count, recovers] of [[3000, false], [500, true]]) {
      const a = client(URL_PLAIN, TRANSPORTS.websocket);
      const b = client(URL_PLAIN, TRANSPORTS.websocket);
      await Promise.all([connected(a), connected(b)]);
      const id = a.id;
      await call(a, 'direct', 'm', 'before');
      await receivedExactly(a, ['before']);
      await drop(a);
      await call(b, 'flood', id, count);
      await gone(b, id);
      await reconnect(a);
      assert.equal(a.recovered, recovers, `${count} missed`);
      if (recovers) {
        assert.equal(a.id, id);
        await receivedExactly(a, ['before', ...Array.from({ length: count }, (_, i) => i)]);
      } else {
        assert.notEqual(a.id, id);
        await sleep(200);
        assert.deepEqual(a.received.map((args) => args[0]), ['before'], 'a fresh socket gets none of the missed events');
      }
      a.disconnect();
      b.disconnect();
    }
  });
});

describe('connection state recovery with a JWT policy', { skip: !URL_JWT && 'SIO_JWT_URL is not set: run through run.sh' }, () => {
  test('a valid token recovers with its claims; a fresh one of the same subject refreshes it', async () => {
    const a = client(URL_JWT, { ...TRANSPORTS.websocket, auth: { token: jwt({ sub: 'u1', exp: now() + 60 }) } });
    await connected(a);
    const id = a.id;
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    await drop(a);
    a.auth = { token: jwt({ sub: 'u1', exp: now() + 120 }) };
    await reconnect(a);
    assert.equal(a.recovered, true);
    assert.equal(a.id, id);
    assert.equal((await call(a, 'whoami')).sub, 'u1');
    a.disconnect();
  });

  // socket.io-client takes the last string of every event for its offset, the name of an event
  // without arguments too: the server's `authenticated` must not become the offset it sends back.
  test('a token refreshed in-band (`authenticate`), then a drop: recovered with the missed events', async () => {
    const a = client(URL_JWT, { ...TRANSPORTS.websocket, auth: { token: jwt({ sub: 'u4', exp: now() + 60 }) } });
    const b = client(URL_JWT, { ...TRANSPORTS.websocket, auth: { token: jwt({ sub: 'u5', exp: now() + 60 }) } });
    await Promise.all([connected(a), connected(b)]);
    const id = a.id;
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    const exp = now() + 120;
    const fresh = jwt({ sub: 'u4', exp });
    const answered = once(a, 'authenticated', 'authenticated');
    a.emit('authenticate', { token: fresh });
    const [info] = await answered;
    await drop(a);
    await call(b, 'to', id, 'm', 'while-away');
    await gone(b, id);
    a.auth = { token: fresh };
    await reconnect(a);
    assert.equal(a.recovered, true);
    assert.equal(a.id, id);
    await receivedExactly(a, ['before', 'while-away']);
    // The event carries the new token's exp (not a string).
    assert.deepEqual(info, { exp });
    a.disconnect();
    b.disconnect();
  });

  test('a token that expired while away: refused with `jwt expired`', async () => {
    const exp = now() + 2;
    const a = client(URL_JWT, { ...TRANSPORTS.websocket, auth: { token: jwt({ sub: 'u2', exp }) } });
    await connected(a);
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    await drop(a);
    while (Date.now() < exp * 1000 + 300) await sleep(50);
    const refused = once(a, 'connect_error', 'connect_error');
    a.connect();
    const [err] = await refused;
    assert.equal(err.message, 'jwt expired');
    assert.equal(a.connected, false);
    a.disconnect();
  });

  test('a token of another subject is a fresh connection, not a takeover', async () => {
    const a = client(URL_JWT, { ...TRANSPORTS.websocket, auth: { token: jwt({ sub: 'u3', exp: now() + 60 }) } });
    await connected(a);
    const id = a.id;
    await call(a, 'direct', 'm', 'before');
    await receivedExactly(a, ['before']);
    await drop(a);
    a.auth = { token: jwt({ sub: 'someone-else', exp: now() + 60 }) };
    await reconnect(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    assert.equal((await call(a, 'whoami')).sub, 'someone-else');
    a.disconnect();
  });
});
