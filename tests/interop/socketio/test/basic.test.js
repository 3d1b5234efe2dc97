'use strict';
// Connect, events both ways, acks both ways, binary (top-level and nested), heartbeats: over
// polling only, WebSocket only, and polling upgraded to WebSocket.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const {
  PING_INTERVAL_MS, TRANSPORTS, describeInterop, connectOver, closeAll, normalize, asBytes, allBytes, call, sleep,
} = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`basics over ${name}`, () => {
    afterEach(closeAll);

    test('connects: socket.id is set and is the id the server gave the socket', { timeout: 10000 }, async () => {
      const { socket } = await connectOver(name);
      assert.equal(socket.connected, true);
      assert.equal(typeof socket.id, 'string');
      assert.ok(socket.id.length > 0, 'socket.id is empty');
      const [me] = await call(socket, 'whoami', []);
      assert.equal(me.id, socket.id, 'the server knows the socket by another id');
      assert.equal(me.nsp, '/');
      assert.deepEqual(me.auth, {}, 'no auth sent: the server should see {}');
      assert.notEqual(socket.id, socket.io.engine.id, 'the Socket.IO id must not be the Engine.IO sid');
    });

    test('the CONNECT auth payload reaches the server as sent', { timeout: 10000 }, async () => {
      const auth = { token: 'abc.def.ghi', n: 42, nested: { list: [1, 'two', null, true] }, 'ünï': 'cödé ✓' };
      const { socket } = await connectOver(name, '/', { auth });
      const [me] = await call(socket, 'whoami', []);
      assert.deepEqual(me.auth, auth);
    });

    test('events both ways: echo returns the same arguments, in order', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      const sent = [
        ['hello'],
        ['héllo ✓ 😀 — ünïcödé', 42, -1.5, true, false, null],
        [{ a: [1, 'x', null], b: { c: 'd' }, z: 0, y: 1 }],
        [[1, [2, [3, [4]]]], '', 'quote " backslash \\ newline \n'],
        [],
      ];
      for (const args of sent) socket.emit('echo', ...args);
      const got = await inbox.waitFor('echo', sent.length);
      assert.deepEqual(got, sent);
      // Key order survives (what a byte-exact echo keeps).
      assert.deepEqual(Object.keys(got[2][0]), ['a', 'b', 'z', 'y']);
    });

    test('50 events sent back-to-back arrive once each and in order', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      for (let i = 0; i < 50; i++) socket.emit('echo', i, `msg ${i}`);
      const got = await inbox.waitFor('echo', 50);
      got.forEach((args, i) => assert.deepEqual(args, [i, `msg ${i}`]));
      await sleep(200);
      assert.equal(inbox.all('echo').length, 50, 'duplicates arrived');
    });

    test('client->server ack: the server acknowledges with the same arguments', { timeout: 10000 }, async () => {
      const { socket } = await connectOver(name);
      assert.deepEqual(await call(socket, 'ack-echo', [1, 'two', { three: [3] }]), [1, 'two', { three: [3] }]);
      assert.deepEqual(await call(socket, 'ack-echo', []), []);
      // emitWithAck (the promise API) resolves with the first argument.
      assert.equal(await socket.timeout(3000).emitWithAck('ack-echo', 'only'), 'only');
      // Several acks in flight at once each get their own answer.
      const answers = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => call(socket, 'ack-echo', [i])));
      assert.deepEqual(answers, [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]]);
    });

    test('server->client ack: the server asks, the client answers (binary included), the server reports the answer', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      const asked = [];
      socket.on('ping-me', (...args) => {
        const ack = args.pop();
        assert.equal(typeof ack, 'function', 'the server did not ask for an ack');
        asked.push(args);
        ack('pong', ...args, Buffer.from([9, 8, 7]));
      });
      socket.emit('server-ack', 'x', 1, { k: 'v' });
      const [result] = await inbox.waitFor('server-ack-result');
      assert.deepEqual(asked, [['x', 1, { k: 'v' }]]);
      assert.deepEqual(normalize(result), ['pong', 'x', 1, { k: 'v' }, { bytes: [9, 8, 7] }]);
      assert.equal(inbox.all('server-ack-error').length, 0);
    });

    test('binary top-level: Buffers echo as the same bytes, as events and as acks', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      const bytes = allBytes();
      socket.emit('echo', bytes, 'between', Buffer.from([0x1e, 0x62, 0x34]));
      const [[a, between, b]] = await inbox.waitFor('echo');
      assert.deepEqual(asBytes(a, 'first argument'), bytes);
      assert.equal(between, 'between');
      assert.deepEqual(asBytes(b, 'third argument'), Buffer.from([0x1e, 0x62, 0x34]));
      const [c] = await call(socket, 'ack-echo', [new Uint8Array([1, 2, 3])]);
      assert.deepEqual(asBytes(c, 'ack argument'), Buffer.from([1, 2, 3]));
    });

    test('binary nested in objects and arrays keeps its place, as events and as acks', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      const value = {
        file: Buffer.from('hello'),
        meta: { parts: [Buffer.from([1]), 'x', { deep: Buffer.from([2, 3]) }], n: 5 },
        list: [[Buffer.from([4])], []],
      };
      socket.emit('echo', value, [Buffer.from([5]), { b: Buffer.from([6]) }]);
      const [echoed] = await inbox.waitFor('echo');
      assert.deepEqual(normalize(echoed), normalize([value, [Buffer.from([5]), { b: Buffer.from([6]) }]]));
      const acked = await call(socket, 'ack-echo', [value]);
      assert.deepEqual(normalize(acked), normalize([value]));
      // Binary the server builds itself, nested.
      const built = await call(socket, 'binary-nested', []);
      assert.deepEqual(normalize(built), [
        { bytes: [1, 2, 3] },
        { nested: { bin: { bytes: [4, 5, 6] }, list: [{ bytes: [7] }, 'text', { bytes: [] }] } },
      ]);
    });

    test('stays connected across several heartbeats', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      let pings = 0;
      socket.io.on('ping', () => pings++);
      await sleep(PING_INTERVAL_MS * 6);
      assert.ok(pings >= 3, `only ${pings} pings in ${PING_INTERVAL_MS * 6} ms`);
      assert.equal(inbox.all('disconnect').length, 0, `disconnected: ${JSON.stringify(inbox.all('disconnect'))}`);
      assert.deepEqual(await call(socket, 'ack-echo', ['still here']), ['still here']);
    });
  });
}
