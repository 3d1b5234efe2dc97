'use strict';
// JWT with the MessagePack parser: servers started with --parser msgpack (run.sh: AUTH_URL_HS_MSGPACK
// in handshake mode, AUTH_URL_EVENT_MSGPACK in event mode) against socket.io-client with npm
// socket.io-msgpack-parser, over polling and WebSocket. The CONNECT auth payload `{token}` is a
// MessagePack map; refusals, `unauthorized` and expiry have the same shapes as with the default
// parser.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const msgpackParser = require('socket.io-msgpack-parser');
const {
  describeInterop, mint, nowS, jwt, connect, refused, assertUnauthorized, assertUnauthorizedEvent, closeAll,
} = require('./helpers');

const HS = process.env.AUTH_URL_HS_MSGPACK;
const EVENT = process.env.AUTH_URL_EVENT_MSGPACK;
const BAD_SIG = 'another-secret-of-at-least-32-bytes!!';

for (const transport of ['polling', 'websocket']) {
  const opts = (extra = {}) => ({ parser: msgpackParser, transports: [transport], ...extra });

  describeInterop(`msgpack parser over ${transport}: JWT`, () => {
    afterEach(closeAll);

    test('handshake mode: auth {token} connects; `claims` is what was signed; events and acks work', { timeout: 10000 }, async () => {
      assert.ok(HS && EVENT, 'AUTH_URL_HS_MSGPACK / AUTH_URL_EVENT_MSGPACK not set (run.sh)');
      const token = mint({ sub: 'mp-user', n: 3.5, tags: ['a'], nested: { k: 'ü ✓' } });
      const { socket, inbox } = await connect(HS, opts({ auth: { token } }));
      const [claims] = await inbox.waitFor('claims');
      assert.deepEqual(claims.args, [jwt.decode(token)]);
      const [auth] = await inbox.waitFor('auth');
      assert.deepEqual(auth.args, [{ token }]);
      socket.emit('message', 'hi', { bin: Buffer.from([1, 2, 3]) }, 70000);
      const [back] = await inbox.waitFor('message-back');
      assert.equal(back.args[0], 'hi');
      assert.deepEqual([...new Uint8Array(back.args[1].bin)], [1, 2, 3]);
      assert.equal(back.args[2], 70000);
      assert.equal(await socket.timeout(3000).emitWithAck('message-with-ack', 7), 7);
    });

    test('handshake mode: no token, a bad signature and an expired token are refused with UnauthorizedError data', { timeout: 10000 }, async () => {
      assertUnauthorized(await refused(HS, opts()), 'no token provided', 'credentials_required');
      const forged = jwt.sign({ sub: 'x', iss: process.env.AUTH_ISSUER, aud: process.env.AUTH_AUDIENCE, exp: nowS() + 60 }, BAD_SIG);
      assertUnauthorized(await refused(HS, opts({ auth: { token: forged } })), 'invalid signature', 'invalid_token');
      const expired = mint({ exp: nowS() - 3600 });
      assertUnauthorized(await refused(HS, opts({ auth: { token: expired } })), 'jwt expired', 'invalid_token');
      assertUnauthorized(await refused(HS, opts({ auth: { token: 'not.a.jwt' } }), '/custom'), 'jwt malformed', 'invalid_token');
    });

    test('handshake mode: the token expiry is a deadline: unauthorized (jwt expired), then disconnect', { timeout: 10000 }, async () => {
      const exp = Math.ceil(Date.now() / 1000) + 2;
      const { inbox } = await connect(HS, opts({ auth: { token: mint({ exp }) } }));
      const [unauthorized] = await inbox.waitFor('unauthorized', 1, exp * 1000 - Date.now() + 3000);
      assertUnauthorizedEvent(unauthorized.args[0], 'jwt expired', 'invalid_token');
      const [disconnect] = await inbox.waitFor('disconnect', 1, 2000);
      assert.equal(disconnect.args[0], 'io server disconnect');
      assert.ok(disconnect.at >= exp * 1000 - 150, 'disconnected before exp');
    });

    test('event mode: authenticate {token} -> authenticated, then claims; a bad token -> unauthorized and disconnect', { timeout: 10000 }, async () => {
      const good = await connect(EVENT, opts());
      const token = mint({ sub: 'mp-event' });
      good.socket.emit('authenticate', { token });
      await good.inbox.waitFor('authenticated');
      const [claims] = await good.inbox.waitFor('claims');
      assert.deepEqual(claims.args, [jwt.decode(token)]);

      const bad = await connect(EVENT, opts());
      bad.socket.emit('authenticate', { token: jwt.sign({ sub: 'x', exp: nowS() + 60 }, BAD_SIG) });
      const [unauthorized] = await bad.inbox.waitFor('unauthorized');
      assertUnauthorizedEvent(unauthorized.args[0], 'invalid signature', 'invalid_token');
      const [disconnect] = await bad.inbox.waitFor('disconnect');
      assert.equal(disconnect.args[0], 'io server disconnect');
      assert.equal(bad.inbox.all('claims').length, 0);
    });
  });
}
