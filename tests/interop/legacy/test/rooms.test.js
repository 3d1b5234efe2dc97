'use strict';
// A socket.io-client 2.x and a socket.io-client 4.x on one server at the same time: a broadcast
// to a room they both joined reaches both, each in its own protocol.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, connectV2, connectV4, call, next, closeAll } = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`rooms with socket.io-client 2.x over ${name} and 4.x side by side`, () => {
    afterEach(closeAll);

    test('to-room reaches the v2 and the v4 member, to-all reaches everyone', { timeout: 15000 }, async () => {
      const old = await connectV2(name);
      const current = await connectV4();
      const sender = await connectV4();
      assert.deepEqual(await call(old, 'join', ['r1']), ['r1']);
      assert.deepEqual(await call(current, 'join', ['r1']), ['r1']);
      const gotOld = next(old, 'room-msg');
      const gotCurrent = next(current, 'room-msg');
      assert.deepEqual(await call(sender, 'to-room', ['r1', { hi: Buffer.from([1, 2]) }]), [true]);
      for (const got of [await gotOld, await gotCurrent]) {
        assert.equal(got[0], 'r1');
        assert.deepEqual([...got[1].hi], [1, 2]);
        assert.equal(got[2], sender.id);
      }
      // The other way round: the v2 client sends, the v4 member gets it.
      const fromOld = next(current, 'room-msg');
      assert.deepEqual(await call(old, 'to-room', ['r1', 'from v2']), [true]);
      assert.deepEqual(await fromOld, ['r1', 'from v2', old.id]);
      const all = [old, current, sender].map((s) => next(s, 'all-msg'));
      assert.deepEqual(await call(old, 'to-all', ['everyone']), [true]);
      for (const got of all) assert.deepEqual(await got, ['everyone', old.id]);
    });
  });
}
