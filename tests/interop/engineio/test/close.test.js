'use strict';
// 5: closing and payload limits as the client sees them.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { MAX_PAYLOAD, TRANSPORTS, describeInterop, connect, upgraded } = require('./helpers');

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`close and payload size over ${name}`, () => {
    const open = async () => {
      const c = await connect(TRANSPORTS[name]);
      if (name === 'upgraded') await upgraded(c.socket);
      return c;
    };

    test("socket.close() closes with reason 'forced close'", { timeout: 10000 }, async () => {
      const { socket, inbox } = await open();
      socket.send('bye');
      await inbox.take(1);
      socket.close();
      const { reason } = await inbox.closed();
      assert.equal(reason, 'forced close');
      assert.equal(socket.readyState, 'closed');
    });

    test('a 500 KB text message echoes intact', { timeout: 15000 }, async () => {
      const { socket, inbox } = await open();
      // Multi-byte characters included: 500 000 bytes of UTF-8 in total.
      const unit = 'abcdefghij0123456789é✓'; // 20 + 2 + 3 = 25 bytes
      const big = unit.repeat(20000);
      assert.equal(Buffer.byteLength(big), 500000);
      socket.send(big);
      socket.send('after big');
      const [got, after] = await inbox.take(2, 10000);
      assert.equal(typeof got, 'string');
      assert.equal(got.length, big.length);
      assert.ok(got === big, 'echoed text differs from what was sent');
      assert.equal(after, 'after big');
      socket.close();
    });

    test('a 500 KB binary message echoes intact', { timeout: 15000 }, async () => {
      const { socket, inbox } = await open();
      const big = Buffer.alloc(500000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      socket.send(big);
      const [got] = await inbox.take(1, 10000);
      assert.notEqual(typeof got, 'string');
      assert.ok(Buffer.from(got).equals(big), 'echoed bytes differ');
      socket.close();
    });

    test('a message above maxPayload closes the connection (no hang)', { timeout: 15000 }, async (t) => {
      const { socket, inbox } = await open();
      assert.equal(MAX_PAYLOAD, 1000000);
      socket.send('x'.repeat(MAX_PAYLOAD + 100000));
      const { reason, description } = await inbox.closed(10000);
      t.diagnostic(`client saw close: ${reason} (${description?.description ?? description?.message ?? description})`);
      assert.notEqual(reason, 'forced close', 'the client did not close it; the server should have');
      assert.ok(
        ['transport error', 'transport close'].includes(reason),
        `unexpected close reason ${reason} (${description})`,
      );
      assert.equal(inbox.items.length, 0, 'the oversized message was echoed');
    });
  });
}
