'use strict';
// A server-side disconnect: the client gets 'io server disconnect' and does not reconnect by
// itself, but a manual connect() works. A dropped transport: the client reconnects by itself.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, connect, connectOver, closeAll, call, sleep, upgraded } = require('./helpers');

// Quick reconnection, so a reconnection that should not happen would happen within the wait.
const QUICK = { reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0 };

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`disconnect and reconnection over ${name}`, () => {
    afterEach(closeAll);

    for (const close of [false, true]) {
      const what = close ? 'kick-me {close:true} (socket.disconnect(true): the whole connection)' : 'kick-me (socket.disconnect())';
      test(`${what}: 'io server disconnect', no automatic reconnection, manual connect() works`, { timeout: 10000 }, async () => {
        const { socket, inbox } = await connectOver(name, '/', QUICK);
        const firstId = socket.id;
        let reconnectAttempts = 0;
        socket.io.on('reconnect_attempt', () => reconnectAttempts++);
        socket.emit('kick-me', { close });
        const [[reason]] = await inbox.waitFor('disconnect');
        assert.equal(reason, 'io server disconnect');
        assert.equal(socket.connected, false);
        assert.equal(socket.active, false, 'the socket still wants to reconnect');
        await sleep(800);
        assert.equal(inbox.all('connect').length, 1, 'the client reconnected by itself');
        assert.equal(reconnectAttempts, 0, 'the manager tried to reconnect');
        assert.equal(inbox.all('disconnect').length, 1);

        socket.connect();
        await inbox.waitFor('connect', 2);
        assert.equal(socket.connected, true);
        assert.notEqual(socket.id, firstId, 'a new connection should get a new socket id');
        if (name === 'upgraded') await upgraded(socket);
        const [me] = await call(socket, 'whoami', []);
        assert.equal(me.id, socket.id);
        assert.deepEqual(await call(socket, 'ack-echo', ['back']), ['back']);
      });
    }

    test('kick-me {close:true} sent right on connect (mid-upgrade for upgraded), 15 times: always io server disconnect', { timeout: 20000 }, async () => {
      // The DISCONNECT must reach the client before the Engine.IO close: delivered in the same
      // polling response as the close packet, socket.io-client handles the close first (it
      // delivers decoded packets on the next tick) and reports 'transport close'; dropped during
      // an upgrade, the client sees only the transport close.
      const reasons = [];
      for (let i = 0; i < 15; i++) {
        const { socket, inbox } = await connect('/', { ...TRANSPORTS[name], reconnection: false });
        socket.emit('kick-me', { close: true });
        const [[reason]] = await inbox.waitFor('disconnect');
        reasons.push(reason);
        closeAll();
      }
      const wrong = reasons.filter((r) => r !== 'io server disconnect');
      assert.deepEqual(wrong, [], `${wrong.length} of 15 kicks ended with another reason: ${reasons.join(', ')}`);
    });

    test('a dropped transport (engine closed under the client) reconnects by itself', { timeout: 10000 }, async (t) => {
      const { socket, inbox } = await connectOver(name, '/', QUICK);
      const firstId = socket.id;
      const firstEngine = socket.io.engine.id;
      let reconnected = 0;
      socket.io.on('reconnect', () => reconnected++);
      socket.io.engine.close();
      const [[reason]] = await inbox.waitFor('disconnect');
      t.diagnostic(`disconnect reason: ${reason}`);
      assert.notEqual(reason, 'io server disconnect');
      assert.notEqual(reason, 'io client disconnect');
      await inbox.waitFor('connect', 2);
      assert.equal(reconnected, 1);
      assert.equal(socket.connected, true);
      assert.notEqual(socket.io.engine.id, firstEngine, 'the same engine session came back');
      assert.notEqual(socket.id, firstId);
      const [me] = await call(socket, 'whoami', []);
      assert.equal(me.id, socket.id);
      socket.emit('echo', 'after reconnect');
      assert.deepEqual(await inbox.waitFor('echo'), [['after reconnect']]);
    });
  });
}
