'use strict';
// Handshake mode: the token in the CONNECT auth payload or the Authorization header of the
// Engine.IO handshake; refusals as `connect_error` with socketio-jwt's UnauthorizedError data.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const {
  URLS, SECRET, ISSUER, AUDIENCE, describeInterop, mint, nowS, jwt, connect, refused, assertUnauthorized, closeAll,
} = require('./helpers');

describeInterop('handshake mode: tokens that connect', () => {
  afterEach(closeAll);

  test('auth: { token } connects; `claims` is exactly what was signed; `auth` echoes the payload', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'alice', role: 'admin', n: 42, tags: ['a', 'b'], nested: { k: 'ü ✓' } });
    const { socket, inbox } = await connect(URLS.hs, { auth: { token } });
    assert.equal(socket.connected, true);
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
    const [auth] = await inbox.waitFor('auth');
    assert.deepEqual(auth.args, [{ token }]);
    // `claims` comes before `auth` (the server emits it first, on connection).
    assert.ok(inbox.names().indexOf('claims') < inbox.names().indexOf('auth'), inbox.names().join(','));
    // After authenticating, the socket behaves as before: message -> message-back, acks.
    socket.emit('message', 'hi', { x: 1 });
    const [back] = await inbox.waitFor('message-back');
    assert.deepEqual(back.args, ['hi', { x: 1 }]);
    assert.deepEqual(await socket.timeout(3000).emitWithAck('message-with-ack', 7), 7);
  });

  test('auth: { token: "Bearer <jwt>" } connects too', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'bearer-in-payload' });
    const { inbox } = await connect(URLS.hs, { auth: { token: `Bearer ${token}` } });
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'bearer-in-payload');
  });

  test('the /custom namespace requires a token as well', { timeout: 10000 }, async () => {
    const err = await refused(URLS.hs, {}, '/custom');
    assertUnauthorized(err, 'no token provided', 'credentials_required');
    const token = mint({ sub: 'custom-user' });
    const { inbox } = await connect(URLS.hs, { auth: { token } }, '/custom');
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
  });

  test('extraHeaders Authorization: Bearer over polling connects; `auth` is {}', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'header-user' });
    const { socket, inbox } = await connect(URLS.hs, {
      transports: ['polling'],
      extraHeaders: { Authorization: `Bearer ${token}` },
    });
    assert.equal(socket.io.engine.transport.name, 'polling');
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
    const [auth] = await inbox.waitFor('auth');
    assert.deepEqual(auth.args, [{}]);
  });

  test('extraHeaders Authorization on the WebSocket upgrade request (websocket only) connects', { timeout: 10000 }, async () => {
    // In Node the `ws` transport sends extraHeaders on the upgrade request.
    const token = mint({ sub: 'ws-header-user' });
    const { socket, inbox } = await connect(URLS.hs, {
      transports: ['websocket'],
      extraHeaders: { Authorization: `Bearer ${token}` },
    });
    assert.equal(socket.io.engine.transport.name, 'websocket');
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'ws-header-user');
  });

  test('extraHeaders Authorization: "bearer <jwt>" (scheme in any case, as socketio-jwt) connects', { timeout: 10000 }, async () => {
    const { inbox } = await connect(URLS.hs, {
      transports: ['polling'],
      extraHeaders: { Authorization: `bearer ${mint({ sub: 'lower-bearer' })}` },
    });
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'lower-bearer');
  });

  test('a token with several audiences (one of them ours) connects', { timeout: 10000 }, async () => {
    const { inbox } = await connect(URLS.hs, { auth: { token: mint({ aud: ['other', AUDIENCE] }) } });
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args[0].aud, ['other', AUDIENCE]);
  });
});

describeInterop('handshake mode: connect_error with UnauthorizedError data', () => {
  afterEach(closeAll);

  const cases = [
    ['no token at all', () => ({}), 'no token provided', 'credentials_required'],
    ['auth: {} (no token member)', () => ({ auth: {} }), 'no token provided', 'credentials_required'],
    ['expired (exp an hour ago)', () => ({ auth: { token: mint({ exp: nowS() - 3600 }) } }), 'jwt expired', 'invalid_token'],
    ['bad signature (another secret)', () => ({ auth: { token: mint({}, { key: 'another-secret-of-at-least-32-bytes!!' }) } }), 'invalid signature', 'invalid_token'],
    ['wrong audience', () => ({ auth: { token: mint({ aud: 'someone-else' }) } }), `jwt audience invalid. expected: ${AUDIENCE}`, 'invalid_token'],
    // jsonwebtoken says the same for a missing `aud` as for a wrong one.
    ['no audience', () => ({ auth: { token: mint({ aud: undefined }) } }), `jwt audience invalid. expected: ${AUDIENCE}`, 'invalid_token'],
    ['wrong issuer', () => ({ auth: { token: mint({ iss: 'mallory' }) } }), `jwt issuer invalid. expected: ${ISSUER}`, 'invalid_token'],
    // The conformance server keeps jwt-auth's default of requiring `exp` (jsonwebtoken does not).
    ['no exp', () => ({ auth: { token: mint({ exp: undefined }) } }), 'jwt exp required', 'invalid_token'],
    ['not active yet (nbf in an hour)', () => ({ auth: { token: mint({ nbf: nowS() + 3600 }) } }), 'jwt not active', 'invalid_token'],
    ['alg: none (unsigned)', () => ({ auth: { token: jwt.sign({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 }, null, { algorithm: 'none' }) } }), 'jwt signature is required', 'invalid_token'],
    ['malformed: one segment', () => ({ auth: { token: 'not-a-jwt' } }), 'jwt malformed', 'invalid_token'],
    // (jsonwebtoken says `invalid token` here, where the segments do not decode; ours says
    // `jwt malformed` for every undecodable token: see the cross-check below.)
    ['malformed: three segments of junk', () => ({ auth: { token: 'a.b.c' } }), 'jwt malformed', 'invalid_token'],
    ['malformed: two segments', () => ({ auth: { token: 'x.y' } }), 'jwt malformed', 'invalid_token'],
    ['auth token not a string', () => ({ auth: { token: 42 } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['auth token "Basic <jwt>"', () => ({ auth: { token: `Basic ${mint()}` } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    // The header as socketio-jwt reads it: `value.split(' ')` must give two parts, else
    // credentials_bad_format; another scheme is not a bearer token and is ignored.
    ['header "Basic <jwt>" (ignored: no token)', () => ({ transports: ['polling'], extraHeaders: { Authorization: `Basic ${mint()}` } }), 'no token provided', 'credentials_required'],
    ['header "Bearer" without a token', () => ({ transports: ['polling'], extraHeaders: { Authorization: 'Bearer' } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header with the bare token (no scheme)', () => ({ transports: ['polling'], extraHeaders: { Authorization: mint() } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header "Bearer a b"', () => ({ transports: ['polling'], extraHeaders: { Authorization: 'Bearer a b' } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header "Bearer <jwt> <jwt>"', () => ({ transports: ['polling'], extraHeaders: { Authorization: `Bearer ${mint()} ${mint()}` } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header "Bearer  <jwt>" (two spaces)', () => ({ transports: ['polling'], extraHeaders: { Authorization: `Bearer  ${mint()}` } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header "Basic a b" (three parts)', () => ({ transports: ['polling'], extraHeaders: { Authorization: 'Basic a b' } }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
    ['header "Bearer <expired>"', () => ({ transports: ['polling'], extraHeaders: { Authorization: `Bearer ${mint({ exp: nowS() - 3600 })}` } }), 'jwt expired', 'invalid_token'],
    ['header Bearer over websocket, bad signature', () => ({ transports: ['websocket'], extraHeaders: { Authorization: `Bearer ${mint({}, { key: 'another-secret-of-at-least-32-bytes!!' })}` } }), 'invalid signature', 'invalid_token'],
  ];
  for (const [name, opts, message, code] of cases) {
    test(`${name}: "${message}" (${code})`, { timeout: 10000 }, async () => {
      const err = await refused(URLS.hs, opts());
      assertUnauthorized(err, message, code);
    });
  }

  test('for the same tokens, the message is the one npm jsonwebtoken.verify gives', { timeout: 15000 }, async () => {
    const other = 'another-secret-of-at-least-32-bytes!!';
    const tokens = {
      expired: mint({ exp: nowS() - 3600 }),
      'bad signature': mint({}, { key: other }),
      'wrong audience': mint({ aud: 'someone-else' }),
      'no audience': mint({ aud: undefined }),
      'wrong issuer': mint({ iss: 'mallory' }),
      'not active': mint({ nbf: nowS() + 3600 }),
      'alg none': jwt.sign({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 }, null, { algorithm: 'none' }),
      'one segment': 'not-a-jwt',
      'two segments': 'x.y',
    };
    for (const [name, token] of Object.entries(tokens)) {
      let expected;
      try {
        jwt.verify(token, SECRET, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
        assert.fail(`${name}: jsonwebtoken accepted it`);
      } catch (e) {
        expected = e.message;
      }
      const err = await refused(URLS.hs, { auth: { token } });
      assert.equal(err.message, expected, `${name}: ours vs jsonwebtoken`);
      assert.equal(err.data.message, expected, name);
    }
  });

  test('the verifier reason travels in err.data.reason (expired -> token_expired)', { timeout: 10000 }, async () => {
    const err = await refused(URLS.hs, { auth: { token: mint({ exp: nowS() - 3600 }) } });
    assert.equal(err.data.reason, 'token_expired');
  });

  test('a refused client gets no event and the Engine.IO connection stays usable for a retry', { timeout: 10000 }, async () => {
    // The socket stays disconnected; nothing but connect_error arrived on it.
    const err = await refused(URLS.hs, { auth: { token: 'not-a-jwt' } });
    assertUnauthorized(err, 'jwt malformed', 'invalid_token');
    const { socket } = await connect(URLS.hs, { auth: { token: mint() } });
    assert.equal(socket.connected, true);
  });
});
