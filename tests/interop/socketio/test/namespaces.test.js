'use strict';
// Several namespaces on one connection (multiplexed by one Manager), and an unknown namespace.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const {
  TRANSPORTS, describeInterop, connect, socketFor, manager, upgraded, closeAll, call, normalize, withTimeout, sleep,
} = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`namespaces over ${name}`, () => {
    afterEach(closeAll);

    const shared = async () => {
      const m = manager(TRANSPORTS[name]);
      const main = await connect('/', { auth: { who: 'main' } }, m);
      const admin = await connect('/admin', { auth: { who: 'admin' } }, m);
      if (name === 'upgraded') await upgraded(main.socket);
      return { m, main, admin };
    };

    test('/ and /admin share one Engine.IO connection and are separate sockets', { timeout: 10000 }, async () => {
      const { m, main, admin } = await shared();
      assert.equal(main.socket.io, m);
      assert.equal(admin.socket.io, m);
      assert.ok(m.engine.id, 'no engine id');
      assert.equal(main.socket.io.engine.id, admin.socket.io.engine.id, 'not multiplexed on one engine');
      assert.notEqual(main.socket.id, admin.socket.id);
      const [meMain] = await call(main.socket, 'whoami', []);
      const [meAdmin] = await call(admin.socket, 'whoami', []);
      assert.deepEqual(meMain, { id: main.socket.id, nsp: '/', auth: { who: 'main' } });
      assert.deepEqual(meAdmin, { id: admin.socket.id, nsp: '/admin', auth: { who: 'admin' } });
    });

    test('events, acks and binary stay in their namespace', { timeout: 10000 }, async () => {
      const { main, admin } = await shared();
      main.socket.emit('echo', 'to main', Buffer.from([1]));
      admin.socket.emit('echo', 'to admin', { b: Buffer.from([2]) });
      const [[m1]] = [await main.inbox.waitFor('echo')];
      const [[a1]] = [await admin.inbox.waitFor('echo')];
      assert.deepEqual(normalize(m1), ['to main', { bytes: [1] }]);
      assert.deepEqual(normalize(a1), ['to admin', { b: { bytes: [2] } }]);
      const [acks] = [await Promise.all([call(main.socket, 'ack-echo', ['m']), call(admin.socket, 'ack-echo', ['a'])])];
      assert.deepEqual(acks, [['m'], ['a']]);
      await sleep(100);
      assert.equal(main.inbox.all('echo').length, 1);
      assert.equal(admin.inbox.all('echo').length, 1);
    });

    test('leaving /admin keeps / connected on the same engine', { timeout: 10000 }, async () => {
      const { m, main, admin } = await shared();
      const engineId = m.engine.id;
      admin.socket.disconnect();
      assert.equal(admin.socket.connected, false);
      await sleep(300);
      assert.equal(main.socket.connected, true);
      assert.equal(main.inbox.all('disconnect').length, 0);
      assert.deepEqual(await call(main.socket, 'ack-echo', ['still']), ['still']);
      assert.equal(m.engine.id, engineId, 'the engine was replaced');
      // And /admin can join again on the same engine.
      admin.socket.connect();
      await admin.inbox.waitFor('connect', 2);
      assert.equal(m.engine.id, engineId);
      const [me] = await call(admin.socket, 'whoami', []);
      assert.equal(me.nsp, '/admin');
    });

    test("kick-me on /admin: 'io server disconnect' there, / stays connected on the same engine", { timeout: 10000 }, async () => {
      const { m, main, admin } = await shared();
      const engineId = m.engine.id;
      admin.socket.emit('kick-me');
      const [[reason]] = await admin.inbox.waitFor('disconnect');
      assert.equal(reason, 'io server disconnect');
      await sleep(300);
      assert.equal(main.inbox.all('disconnect').length, 0, 'the main namespace was disconnected too');
      assert.equal(main.socket.connected, true);
      assert.equal(m.engine.id, engineId, 'the engine was replaced');
      assert.equal(admin.inbox.all('connect').length, 1, '/admin reconnected by itself');
      assert.deepEqual(await call(main.socket, 'ack-echo', ['main']), ['main']);
    });

    test("an unknown namespace gets connect_error 'Invalid namespace'; / on the same engine is unaffected", { timeout: 10000 }, async () => {
      const { m, main } = await shared();
      const { socket: nope, inbox } = socketFor('/nope', {}, m);
      nope.connect();
      const [[err]] = await inbox.waitFor('connect_error');
      assert.ok(err instanceof Error, `connect_error gave ${err}`);
      assert.equal(err.message, 'Invalid namespace');
      assert.equal(nope.connected, false);
      assert.deepEqual(await call(main.socket, 'ack-echo', [1]), [1]);
      assert.equal(main.inbox.all('disconnect').length, 0);
    });

    test("an unknown namespace alone (its own connection) gets 'Invalid namespace'", { timeout: 10000 }, async () => {
      const { socket, inbox } = socketFor('/nope', TRANSPORTS[name]);
      socket.connect();
      const [[err]] = await inbox.waitFor('connect_error');
      assert.equal(err.message, 'Invalid namespace');
      await withTimeout(sleep(200), 1000, 'a pause');
      assert.equal(inbox.all('connect').length, 0);
    });
  });
}
