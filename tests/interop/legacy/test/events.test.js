'use strict';
// socket.io-client 2.x over polling, WebSocket and the upgrade between them: events with text,
// numbers, maps and binary both ways, acknowledgements both ways, socket ids, namespaces.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, connectV2, v2, first, call, next, closeAll } = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`socket.io-client 2.x over ${name}`, () => {
    afterEach(closeAll);

    test('connects to / without sending a CONNECT; its id is the engine id', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      const [who] = await call(socket, 'whoami');
      assert.equal(who.nsp, '/');
      assert.equal(who.id, socket.io.engine.id);
      assert.equal(socket.id, who.id);
    });

    test('events with text, numbers, maps and arrays come back as sent', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      const sent = ['héllo 😀', 42, -1.5, { a: 1, b: { c: [true, null, 'x'] } }, [1, 'two']];
      const back = next(socket, 'echo');
      socket.emit('echo', ...sent);
      assert.deepEqual(await back, sent);
    });

    test('binary events both ways, nested', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      const back = next(socket, 'echo');
      socket.emit('echo', Buffer.from([1, 2, 3]), { nested: Buffer.from([255, 0]) }, 'text');
      const [bin, obj, text] = await back;
      assert.deepEqual([...bin], [1, 2, 3]);
      assert.deepEqual([...obj.nested], [255, 0]);
      assert.equal(text, 'text');
      const [first, second] = await call(socket, 'binary-nested');
      assert.deepEqual([...first], [1, 2, 3]);
      assert.deepEqual([...second.nested.bin], [4, 5, 6]);
      assert.deepEqual([...second.nested.list[0]], [7]);
      assert.equal(second.nested.list[1], 'text');
    });

    test('acks from the server, with binary', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      assert.deepEqual(await call(socket, 'ack-echo', [1, 'two', { three: 3 }]), [1, 'two', { three: 3 }]);
      const [bin] = await call(socket, 'ack-echo', [Buffer.from([9, 8])]);
      assert.deepEqual([...bin], [9, 8]);
    });

    test('acks to the server', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      socket.on('ping-me', (...args) => {
        const ack = args.pop();
        ack('pong', ...args);
      });
      const result = next(socket, 'server-ack-result');
      socket.emit('server-ack', 'x', 2);
      assert.deepEqual(await result, ['pong', 'x', 2]);
    });

    test('namespaces: /admin with a query, its id is /admin#<engine id>', { timeout: 10000 }, async () => {
      const root = await connectV2(name);
      const admin = await connectV2(name, '/admin', { query: 'role=boss&n=1' });
      const [who] = await call(admin, 'whoami');
      assert.equal(who.nsp, '/admin');
      assert.equal(who.id, `/admin#${admin.io.engine.id}`);
      assert.deepEqual(who.auth, { role: 'boss', n: '1' });
      assert.deepEqual(await call(root, 'ack-echo', ['root']), ['root']);
      assert.deepEqual(await call(admin, 'ack-echo', ['admin']), ['admin']);
    });

    test('an unknown namespace is refused with an error', { timeout: 10000 }, async () => {
      const socket = v2(process.env.LEGACY_URL, '/nope', name);
      const [e, data] = await first(socket, ['error', 'connect']);
      assert.equal(e, 'error');
      const message = typeof data === 'string' ? data : data.message;
      assert.equal(message, 'Invalid namespace');
    });

    test('the client pings and stays connected past pingInterval + pingTimeout', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      let pongs = 0;
      socket.io.engine.on('pong', () => { pongs += 1; });
      let dropped = null;
      socket.on('disconnect', (reason) => { dropped = reason; });
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(dropped, null);
      assert.ok(pongs >= 3, `${pongs} pongs in 1.5 s with pingInterval 300 ms`);
      assert.deepEqual(await call(socket, 'ack-echo', ['still here']), ['still here']);
    });

    test('a server-side disconnect reaches the client', { timeout: 10000 }, async () => {
      const socket = await connectV2(name);
      const gone = next(socket, 'disconnect');
      socket.emit('kick-me', { close: false });
      assert.deepEqual(await gone, ['io server disconnect']);
    });
  });
}
