'use strict';
// JWT with socket.io-client 2.x, as socketio-jwt's README has its clients do it:
// - one round trip: the token in the handshake query, `io.connect(url, {query: 'token=' + jwt})`;
//   a refused token is the `error` event with `{message, code, type: "UnauthorizedError"}`;
// - two round trips: on `connect`, `socket.emit('authenticate', {token: jwt})`, then
//   `authenticated`, or `unauthorized` with the error and a disconnect.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, v2, first, connected, next, closeAll, token } = require('./helpers');

const handshakeUrl = () => process.env.LEGACY_JWT_URL;
const eventUrl = () => process.env.LEGACY_JWT_EVENT_URL;

function assertUnauthorized(err, code) {
  assert.equal(typeof err, 'object', `an object, not ${JSON.stringify(err)}`);
  assert.equal(err.type, 'UnauthorizedError');
  assert.equal(err.code, code);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
}

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`socketio-jwt flows with socket.io-client 2.x over ${name}`, () => {
    afterEach(closeAll);

    test('query token: accepted, the claims are the token\'s', { timeout: 10000 }, async () => {
      const jwt = token('alice');
      const socket = v2(handshakeUrl(), '/', name, { query: 'token=' + jwt });
      const claims = next(socket, 'claims');
      await connected(socket);
      assert.equal((await claims)[0].sub, 'alice');
    });

    test('query token: refused with an error event carrying the UnauthorizedError', { timeout: 10000 }, async () => {
      const socket = v2(handshakeUrl(), '/', name, { query: 'token=' + token('alice', { issuer: 'someone-else' }) });
      const [e, err] = await first(socket, ['error', 'connect']);
      assert.equal(e, 'error');
      assertUnauthorized(err, 'invalid_token');
      const malformed = v2(handshakeUrl(), '/', name, { query: 'token=nope' });
      const [e2, err2] = await first(malformed, ['error', 'connect']);
      assert.equal(e2, 'error');
      assertUnauthorized(err2, 'invalid_token');
      assert.equal(err2.message, 'jwt malformed');
    });

    test('no token: refused with credentials_required', { timeout: 10000 }, async () => {
      const socket = v2(handshakeUrl(), '/', name);
      const [e, err] = await first(socket, ['error', 'connect']);
      assert.equal(e, 'error');
      assertUnauthorized(err, 'credentials_required');
    });

    test('a namespace with the token in its query', { timeout: 10000 }, async () => {
      const jwt = token('bob');
      const socket = v2(handshakeUrl(), '/custom', name, { query: 'token=' + jwt });
      await connected(socket);
      const bad = v2(handshakeUrl(), '/custom', name, { query: 'token=nope' });
      const [e, err] = await first(bad, ['error', 'connect']);
      assert.equal(e, 'error');
      assertUnauthorized(err, 'invalid_token');
    });

    test('authenticate event: authenticated, then the claims', { timeout: 10000 }, async () => {
      const jwt = token('carol');
      const socket = v2(eventUrl(), '/', name);
      const authenticated = new Promise((resolve, reject) => {
        socket.on('connect', () => {
          socket
            .emit('authenticate', { token: jwt })
            .on('authenticated', () => resolve())
            .on('unauthorized', (msg) => reject(new Error(`unauthorized: ${JSON.stringify(msg)}`)));
        });
      });
      const claims = next(socket, 'claims');
      await authenticated;
      assert.equal((await claims)[0].sub, 'carol');
    });

    test('authenticate event: a bad token gets unauthorized, then a disconnect', { timeout: 10000 }, async () => {
      const socket = v2(eventUrl(), '/', name);
      const unauthorized = new Promise((resolve) => {
        socket.on('connect', () => {
          socket
            .emit('authenticate', { token: 'nope' })
            .on('authenticated', () => resolve(['authenticated']))
            .on('unauthorized', (msg) => resolve(['unauthorized', msg]));
        });
      });
      const gone = next(socket, 'disconnect');
      const [what, msg] = await unauthorized;
      assert.equal(what, 'unauthorized');
      assertUnauthorized(msg, 'invalid_token');
      assert.equal(msg.message, 'jwt malformed');
      assertUnauthorized(msg.data, 'invalid_token');
      assert.deepEqual(await gone, ['io server disconnect']);
    });
  });
}
