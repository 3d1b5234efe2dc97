'use strict';
// Token sources beyond the auth payload: the `token` query parameter and the `token` cookie of the
// Engine.IO handshake (each only when the server enables it), and the fixed precedence between
// sources: auth payload > Authorization header > query > cookie. The first source that carries a
// token decides: a bad token there is refused even when a lower source holds a good one.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const {
  URLS, describeInterop, mint, jwt, connect, refused, assertUnauthorized, closeAll,
} = require('./helpers');

const BAD_SIG = 'another-secret-of-at-least-32-bytes!!';

describeInterop('token sources: query and cookie', () => {
  afterEach(closeAll);

  test('query: { token } connects when the server enables the query source', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'query-user' });
    const { socket, inbox } = await connect(URLS.all, { query: { token } });
    assert.equal(socket.connected, true);
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
    const [auth] = await inbox.waitFor('auth');
    assert.deepEqual(auth.args, [{}]);
  });

  test('query: { token } over websocket only connects too (the upgrade request carries the query)', { timeout: 10000 }, async () => {
    const { inbox } = await connect(URLS.all, { transports: ['websocket'], query: { token: mint({ sub: 'query-ws' }) } });
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'query-ws');
  });

  test('query: { token } is refused (credentials_required) by the default sources (auth,header)', { timeout: 10000 }, async () => {
    const err = await refused(URLS.hs, { query: { token: mint() } });
    assertUnauthorized(err, 'no token provided', 'credentials_required');
  });

  test('query: a bad token is refused with its verifier message', { timeout: 10000 }, async () => {
    const err = await refused(URLS.all, { query: { token: mint({}, { key: BAD_SIG }) } });
    assertUnauthorized(err, 'invalid signature', 'invalid_token');
  });

  test('cookie token=<jwt> (extraHeaders, polling) connects when the server enables the cookie source', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'cookie-user' });
    const { inbox } = await connect(URLS.all, {
      transports: ['polling'],
      extraHeaders: { cookie: `theme=dark; token=${token}; other=1` },
    });
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
  });

  test('cookie token=<jwt> on the WebSocket upgrade request (websocket only) connects', { timeout: 10000 }, async () => {
    const { inbox } = await connect(URLS.all, { transports: ['websocket'], extraHeaders: { cookie: `token=${mint({ sub: 'cookie-ws' })}` } });
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'cookie-ws');
  });

  test('cookie token=<jwt> is refused (credentials_required) by the default sources', { timeout: 10000 }, async () => {
    const err = await refused(URLS.hs, { transports: ['polling'], extraHeaders: { cookie: `token=${mint()}` } });
    assertUnauthorized(err, 'no token provided', 'credentials_required');
  });

  test('a cookie with another name is not read', { timeout: 10000 }, async () => {
    const err = await refused(URLS.all, { transports: ['polling'], extraHeaders: { cookie: `jwt=${mint()}; tokenx=${mint()}` } });
    assertUnauthorized(err, 'no token provided', 'credentials_required');
  });
});

describeInterop('token sources: precedence auth > header > query > cookie', () => {
  afterEach(closeAll);

  // Every source carries a good token with its own `sub`; `claims.sub` names the one used.
  const sources = {
    auth: (sub) => ({ auth: { token: mint({ sub }) } }),
    header: (sub) => ({ extraHeaders: { Authorization: `Bearer ${mint({ sub })}` } }),
    query: (sub) => ({ query: { token: mint({ sub }) } }),
    cookie: (sub) => ({ extraHeaders: { cookie: `token=${mint({ sub })}` } }),
  };
  const bad = {
    auth: () => ({ auth: { token: mint({}, { key: BAD_SIG }) } }),
    header: () => ({ extraHeaders: { Authorization: `Bearer ${mint({}, { key: BAD_SIG })}` } }),
    query: () => ({ query: { token: mint({}, { key: BAD_SIG }) } }),
    cookie: () => ({ extraHeaders: { cookie: `token=${mint({}, { key: BAD_SIG })}` } }),
  };
  const order = ['auth', 'header', 'query', 'cookie'];

  // Merges option fragments (extraHeaders are merged key by key); polling, so headers apply.
  function options(fragments) {
    const out = { transports: ['polling'], extraHeaders: {} };
    for (const f of fragments) {
      for (const [k, v] of Object.entries(f)) {
        if (k === 'extraHeaders') Object.assign(out.extraHeaders, v);
        else out[k] = v;
      }
    }
    return out;
  }

  for (let i = 0; i < order.length; i++) {
    const winner = order[i];
    const lower = order.slice(i + 1);
    test(`${winner} wins over ${lower.join(', ') || 'nothing'} (all good tokens)`, { timeout: 10000 }, async () => {
      const opts = options([winner, ...lower].map((s) => sources[s](`from-${s}`)));
      const { inbox } = await connect(URLS.all, opts);
      const [claims] = await inbox.waitFor('claims');
      assert.equal(claims.args[0].sub, `from-${winner}`);
    });
  }

  for (let i = 0; i < order.length - 1; i++) {
    const first = order[i];
    const lower = order.slice(i + 1);
    test(`a bad ${first} token is refused even with good ${lower.join(', ')} tokens (no fallthrough)`, { timeout: 10000 }, async () => {
      const opts = options([bad[first](), ...lower.map((s) => sources[s](`from-${s}`))]);
      const err = await refused(URLS.all, opts);
      assertUnauthorized(err, 'invalid signature', 'invalid_token');
    });
  }

  test('the auth payload token wins over a malformed Authorization header (Bearer a b)', { timeout: 10000 }, async () => {
    const opts = options([sources.auth('from-auth'), { extraHeaders: { Authorization: 'Bearer a b' } }]);
    const { inbox } = await connect(URLS.hs, opts);
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'from-auth');
  });

  test('an Authorization header of another scheme (Basic ...) carries no token: the next source decides', { timeout: 10000 }, async () => {
    const opts = options([{ extraHeaders: { Authorization: 'Basic Zm9vOmJhcg==' } }, sources.query('from-query')]);
    const { inbox } = await connect(URLS.all, opts);
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'from-query');
  });

  test('the auth payload token wins over a bad header token on the default server', { timeout: 10000 }, async () => {
    const opts = options([sources.auth('from-auth'), bad.header()]);
    const { inbox } = await connect(URLS.hs, opts);
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'from-auth');
  });

  test('auth: {} (no token) falls through to the header', { timeout: 10000 }, async () => {
    const opts = options([{ auth: { other: 1 } }, sources.header('from-header')]);
    const { inbox } = await connect(URLS.all, opts);
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'from-header');
  });
});
