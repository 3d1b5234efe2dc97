// The axum example: an app's login and middleware, Socket.IO mounted as one of its routes.
const { test } = require('node:test');
const assert = require('node:assert');
const { io } = require('socket.io-client');

const URL = process.env.APP_URL;

async function login(user) {
  const res = await fetch(`${URL}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  assert.equal(res.status, 200, `login ${user}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const { token } = await res.json();
  return { token, cookie };
}

function once(socket, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in ${ms} ms`)), ms);
    socket.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

const open = [];
function connect(nsp, transport, opts) {
  const socket = io(`${URL}${nsp}`, { transports: [transport], reconnection: false, forceNew: true, ...opts });
  open.push(socket);
  return socket;
}

for (const transport of ['polling', 'websocket']) {
  test(`[${transport}] JWT from the auth payload; the middleware found no user`, async () => {
    const { token } = await login('ann');
    const socket = connect('/', transport, { auth: { token } });
    const [hello] = await once(socket, 'hello');
    assert.deepEqual(hello, { sub: 'ann', via: null });
  });

  test(`[${transport}] JWT from the Authorization header; the middleware's user on the socket`, async () => {
    const { token, cookie } = await login('ann');
    const socket = connect('/', transport, {
      extraHeaders: { authorization: `Bearer ${token}`, cookie },
    });
    const [hello] = await once(socket, 'hello');
    assert.deepEqual(hello, { sub: 'ann', via: 'ann' });
  });

  test(`[${transport}] no token: refused`, async () => {
    const socket = connect('/', transport, {});
    const [err] = await once(socket, 'connect_error');
    assert.equal(err.message, 'no token provided');
  });

  test(`[${transport}] user rooms: a dm reaches every socket of its user`, async () => {
    const ann = await login('ann');
    const bob = await login('bob');
    const a = connect('/', transport, { auth: { token: ann.token } });
    const b1 = connect('/', transport, { auth: { token: bob.token } });
    const b2 = connect('/', transport, { auth: { token: bob.token } });
    await Promise.all([once(a, 'hello'), once(b1, 'hello'), once(b2, 'hello')]);
    const got = Promise.all([once(b1, 'dm'), once(b2, 'dm')]);
    const ack = await a.timeout(3000).emitWithAck('dm', 'bob', 'hi');
    assert.equal(ack, true);
    for (const [message] of await got) assert.deepEqual(message, { from: 'ann', text: 'hi' });
  });

  test(`[${transport}] /session: the app's login middleware decides`, async () => {
    const { cookie } = await login('cid');
    const socket = connect('/session', transport, { extraHeaders: { cookie } });
    const [hello] = await once(socket, 'hello');
    assert.deepEqual(hello, { sub: 'cid', via: 'cid' });
    const stranger = connect('/session', transport, {});
    const [err] = await once(stranger, 'connect_error');
    assert.equal(err.message, 'not logged in');
  });
}

test.afterEach(() => {
  while (open.length) open.pop().close();
});
