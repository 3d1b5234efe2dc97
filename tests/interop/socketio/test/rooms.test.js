'use strict';
// Rooms and broadcasts with three clients: to-room reaches the room's members but the sender;
// to-all reaches everyone. A broadcast to all, sent after a room broadcast, arrives after it on
// every connection, so once every client has the to-all message the room messages are all in.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, connectOver, closeAll, call, normalize } = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`rooms and broadcasts over ${name}`, () => {
    afterEach(closeAll);

    const three = async (nsp = '/') => {
      const [a, b, c] = [await connectOver(name, nsp), await connectOver(name, nsp), await connectOver(name, nsp)];
      return { a, b, c };
    };
    /** A to-all from `from`, awaited on every client; returns the marker. */
    let markers = 0;
    const sync = async (from, clients) => {
      const marker = `sync ${++markers}`;
      assert.deepEqual(await call(from.socket, 'to-all', [marker]), [true]);
      for (const cl of clients) {
        const has = () => cl.inbox.all('all-msg').some((e) => e.args[0] === marker);
        await cl.inbox.waitUntil(has, `the to-all marker '${marker}'`);
      }
      for (const cl of clients) {
        const got = cl.inbox.all('all-msg').filter((e) => e.args[0] === marker);
        assert.equal(got.length, 1, `a client got the marker ${got.length} times`);
        assert.deepEqual(got[0].args, [marker, from.socket.id], 'to-all reached with the wrong sender');
      }
      return marker;
    };
    const roomMsgs = (cl) => cl.inbox.all('room-msg').map((e) => normalize(e.args));

    test('to-room reaches the members only, never the sender; to-all reaches everyone', { timeout: 15000 }, async () => {
      const { a, b, c } = await three();
      const all = [a, b, c];
      assert.deepEqual(await call(a.socket, 'join', ['r1']), ['r1']);
      assert.deepEqual(await call(b.socket, 'join', ['r1']), ['r1']);

      // From a non-member: both members get it.
      assert.deepEqual(await call(c.socket, 'to-room', ['r1', 'from c']), [true]);
      // From a member: the other member gets it, the sender does not.
      assert.deepEqual(await call(a.socket, 'to-room', ['r1', { from: 'a', bin: Buffer.from([1, 2]) }]), [true]);
      await sync(c, all);
      assert.deepEqual(roomMsgs(a), [['r1', 'from c', c.socket.id]]);
      assert.deepEqual(roomMsgs(b), [
        ['r1', 'from c', c.socket.id],
        ['r1', { from: 'a', bin: { bytes: [1, 2] } }, a.socket.id],
      ]);
      assert.deepEqual(roomMsgs(c), [], 'a non-member received a room message');

      // A room nobody is in reaches nobody.
      await call(b.socket, 'to-room', ['empty-room', 'nobody']);
      await sync(b, all);
      assert.equal(roomMsgs(a).length + roomMsgs(b).length + roomMsgs(c).length, 3);
    });

    test('leave: a socket that left no longer gets the room messages', { timeout: 15000 }, async () => {
      const { a, b, c } = await three();
      const all = [a, b, c];
      for (const cl of all) await call(cl.socket, 'join', ['r2']);
      assert.deepEqual(await call(b.socket, 'leave', ['r2']), ['r2']);
      await call(c.socket, 'to-room', ['r2', 'after leave']);
      await sync(a, all);
      assert.deepEqual(roomMsgs(a), [['r2', 'after leave', c.socket.id]]);
      assert.deepEqual(roomMsgs(b), []);
      assert.deepEqual(roomMsgs(c), []);
    });

    test('broadcasts stay in their namespace', { timeout: 15000 }, async () => {
      const { a, b } = await three();
      const admin = await connectOver(name, '/admin');
      await call(admin.socket, 'join', ['r3']);
      await call(a.socket, 'join', ['r3']);
      await call(b.socket, 'to-room', ['r3', 'main only']);
      assert.deepEqual(await call(admin.socket, 'to-all', ['admin all']), [true]);
      await admin.inbox.waitFor('all-msg');
      await sync(b, [a, b]);
      assert.deepEqual(roomMsgs(a), [['r3', 'main only', b.socket.id]]);
      assert.deepEqual(roomMsgs(admin), []);
      for (const cl of [a, b]) {
        assert.equal(cl.inbox.all('all-msg').filter((e) => e.args[0] === 'admin all').length, 0);
      }
    });
  });
}
