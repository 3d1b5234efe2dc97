'use strict';
// Event mode (socketio-jwt's two-round-trip flow): the CONNECT is answered, the client emits
// `authenticate` with { token }; success emits `authenticated` (then the conformance server's
// `claims` and `auth`), failure emits `unauthorized` { message, code, type } and disconnects the
// namespace; no token within --auth-timeout-ms (1000 here) does the same. Until authenticated
// the socket's events reach no handler and it receives nothing.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const {
  URLS, describeInterop, mint, nowS, jwt, client, connect, assertUnauthorizedEvent, closeAll,
} = require('./helpers');

const TIMEOUT_MS = 1000; // run.sh: --auth-timeout-ms 1000
const BAD_SIG = 'another-secret-of-at-least-32-bytes!!';

/** Connects to the event-mode server (the CONNECT needs no token there). */
function connectEvent(opts = {}, nsp = '/') {
  return connect(URLS.event, opts, nsp);
}

describeInterop('event mode: authenticate / authenticated / unauthorized', () => {
  afterEach(closeAll);

  test('connect, emit authenticate {token}: `authenticated`, then `claims` equal to what was signed', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent();
    assert.equal(socket.connected, true);
    const token = mint({ sub: 'event-user', room: 'r1' });
    socket.emit('authenticate', { token });
    await inbox.waitFor('authenticated');
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
    const names = inbox.names();
    assert.ok(names.indexOf('authenticated') < names.indexOf('claims'), `order: ${names.join(', ')}`);
    // Now a normal socket: message -> message-back, and an ack.
    socket.emit('message', 'after');
    const [back] = await inbox.waitFor('message-back');
    assert.deepEqual(back.args, ['after']);
    assert.equal(await socket.timeout(3000).emitWithAck('message-with-ack', 'acked'), 'acked');
  });

  test('authenticate {token: "Bearer <jwt>"} works too', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent();
    socket.emit('authenticate', { token: `Bearer ${mint({ sub: 'bearer-event' })}` });
    await inbox.waitFor('authenticated');
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'bearer-event');
  });

  test('the /custom namespace authenticates by event too', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent({}, '/custom');
    socket.emit('authenticate', { token: mint({ sub: 'custom-event' }) });
    await inbox.waitFor('authenticated');
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'custom-event');
  });

  test('events sent before authenticating reach no handler (no message-back, no ack); after it they do', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent();
    let earlyAck = false;
    socket.emit('message', 'too-early');
    socket.emit('message-with-ack', 'too-early', () => {
      earlyAck = true;
    });
    socket.emit('authenticate', { token: mint() });
    await inbox.waitFor('authenticated');
    socket.emit('message', 'in-time');
    const [back] = await inbox.waitFor('message-back');
    // An ack round trip after it: the server has handled everything sent before.
    assert.equal(await socket.timeout(3000).emitWithAck('message-with-ack', 'sync'), 'sync');
    assert.deepEqual(back.args, ['in-time']);
    assert.equal(inbox.all('message-back').length, 1, `the early message was answered: ${JSON.stringify(inbox.all('message-back'))}`);
    assert.equal(earlyAck, false, 'the early message-with-ack was acknowledged');
  });

  test('a bad token: `unauthorized` {message, code, type}, then disconnect (io server disconnect)', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent();
    socket.emit('authenticate', { token: mint({}, { key: BAD_SIG }) });
    const [unauthorized] = await inbox.waitFor('unauthorized');
    assertUnauthorizedEvent(unauthorized.args[0], 'invalid signature', 'invalid_token');
    const [disconnect] = await inbox.waitFor('disconnect');
    assert.equal(disconnect.args[0], 'io server disconnect');
    assert.ok(unauthorized.at <= disconnect.at);
    assert.equal(inbox.all('authenticated').length, 0);
    assert.equal(inbox.all('claims').length, 0);
  });

  const refusals = [
    ['expired', () => ({ token: mint({ exp: nowS() - 3600 }) }), 'jwt expired', 'invalid_token'],
    ['malformed', () => ({ token: 'not-a-jwt' }), 'jwt malformed', 'invalid_token'],
    ['wrong audience', () => ({ token: mint({ aud: 'other' }) }), 'jwt audience invalid. expected: chat', 'invalid_token'],
    ['alg none', () => ({ token: jwt.sign({ sub: 'x', exp: nowS() + 60 }, null, { algorithm: 'none' }) }), 'jwt signature is required', 'invalid_token'],
    ['no token member', () => ({}), 'no token provided', 'credentials_required'],
    ['token "Basic x"', () => ({ token: 'Basic x' }), 'Format is Authorization: Bearer [token]', 'credentials_bad_format'],
  ];
  for (const [name, arg, message, code] of refusals) {
    test(`authenticate with ${name}: unauthorized "${message}" (${code}) + disconnect`, { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectEvent();
      socket.emit('authenticate', arg());
      const [unauthorized] = await inbox.waitFor('unauthorized');
      assertUnauthorizedEvent(unauthorized.args[0], message, code);
      const [disconnect] = await inbox.waitFor('disconnect');
      assert.equal(disconnect.args[0], 'io server disconnect');
    });
  }

  test(`no authenticate within the timeout (${TIMEOUT_MS} ms): unauthorized (authentication_timeout) + disconnect`, { timeout: 10000 }, async () => {
    const { inbox } = await connectEvent();
    const connectedAt = inbox.all('connect')[0].at;
    const [unauthorized] = await inbox.waitFor('unauthorized', 1, TIMEOUT_MS * 2 + 3000);
    assertUnauthorizedEvent(unauthorized.args[0], 'authentication timeout', 'authentication_timeout');
    const [disconnect] = await inbox.waitFor('disconnect');
    assert.equal(disconnect.args[0], 'io server disconnect');
    const after = unauthorized.at - connectedAt;
    assert.ok(after >= TIMEOUT_MS - 250, `unauthorized after only ${after} ms`);
    assert.ok(after <= TIMEOUT_MS * 2 + 1000, `unauthorized after ${after} ms`);
  });

  test('a token in the CONNECT auth payload does not authenticate in event mode (the timeout still applies)', { timeout: 10000 }, async () => {
    const { inbox } = await connectEvent({ auth: { token: mint() } });
    const [unauthorized] = await inbox.waitFor('unauthorized', 1, TIMEOUT_MS * 2 + 3000);
    assertUnauthorizedEvent(unauthorized.args[0], 'authentication timeout', 'authentication_timeout');
    assert.equal(inbox.all('claims').length, 0);
  });

  test('after `unauthorized` the client can connect the namespace again and authenticate', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectEvent();
    socket.emit('authenticate', { token: 'not-a-jwt' });
    await inbox.waitFor('disconnect');
    socket.connect();
    await inbox.waitFor('connect', 2);
    socket.emit('authenticate', { token: mint({ sub: 'second-try' }) });
    await inbox.waitFor('authenticated');
    const [claims] = await inbox.waitFor('claims');
    assert.equal(claims.args[0].sub, 'second-try');
  });
});

describeInterop('event mode: a socket still authenticating gets nothing (checked with a second client)', () => {
  afterEach(closeAll);

  test('while A is authenticated and active, B (not authenticated) gets no message-back, no claims, no auth', { timeout: 10000 }, async () => {
    // The conformance server has no broadcast event; what exists: `message` (answered to the
    // sender) and `claims`/`auth` (emitted on authentication). B must get none of them, neither
    // for its own events nor for A's.
    const a = await connectEvent();
    const b = await connectEvent();
    a.socket.emit('authenticate', { token: mint({ sub: 'user-a' }) });
    await a.inbox.waitFor('authenticated');
    b.socket.emit('message', 'from-b');
    a.socket.emit('message', 'from-a');
    const [back] = await a.inbox.waitFor('message-back');
    assert.deepEqual(back.args, ['from-a']);
    // Sync with the server on both: A by an ack; B by authenticating, after which its queue is
    // known to be flushed (the server answers in order).
    assert.equal(await a.socket.timeout(3000).emitWithAck('message-with-ack', 'sync'), 'sync');
    const beforeAuth = b.inbox.names();
    assert.deepEqual(beforeAuth, ['connect'], `B received before authenticating: ${beforeAuth.join(', ')}`);
    b.socket.emit('authenticate', { token: mint({ sub: 'user-b' }) });
    await b.inbox.waitFor('authenticated');
    const [claimsB] = await b.inbox.waitFor('claims');
    assert.equal(claimsB.args[0].sub, 'user-b');
    assert.equal(await b.socket.timeout(3000).emitWithAck('message-with-ack', 'sync-b'), 'sync-b');
    assert.equal(b.inbox.all('message-back').length, 0, 'B\'s pre-auth message was answered after it authenticated');
    assert.equal(a.inbox.all('claims').length, 1, 'A received B\'s claims');
  });
});

describeInterop('event mode: no broadcast reaches a socket still authenticating', () => {
  afterEach(closeAll);

  // The conformance server's `broadcast` event: on `/`, it emits `broadcast` with the same
  // arguments to every socket of `/`, the sender included.
  test('A (authenticated) triggers a broadcast: A gets it, B (awaiting its token) does not; after B authenticates both do', {
    timeout: 10000,
  }, async () => {
    const a = await connectEvent();
    const b = await connectEvent();
    a.socket.emit('authenticate', { token: mint({ sub: 'user-a' }) });
    await a.inbox.waitFor('authenticated');
    a.socket.emit('broadcast', 'first');
    const [first] = await a.inbox.waitFor('broadcast', 1, 2000);
    assert.deepEqual(first.args, ['first']);
    b.socket.emit('authenticate', { token: mint({ sub: 'user-b' }) });
    await b.inbox.waitFor('authenticated');
    a.socket.emit('broadcast', 'second');
    const [second] = await b.inbox.waitFor('broadcast', 1, 2000);
    assert.deepEqual(second.args, ['second'], 'B got the broadcast sent before it authenticated');
    await a.inbox.waitFor('broadcast', 2, 2000);
  });
});
