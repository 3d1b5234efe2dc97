'use strict';
// 1 and 2: polling-only and websocket-only clients exchange text and binary with the echo server.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { TRANSPORTS, describeInterop, connect, asBytes, allBytes } = require('./helpers');

for (const name of ['polling', 'websocket']) {
  describeInterop(`echo over ${name} only`, () => {
    test('connects on the requested transport with the server handshake', { timeout: 10000 }, async () => {
      const { socket } = await connect(TRANSPORTS[name]);
      assert.equal(socket.transport.name, name);
      assert.equal(typeof socket.id, 'string');
      assert.ok(socket.id.length > 0, 'sid is empty');
      socket.close();
    });

    test('text echoes as text', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connect(TRANSPORTS[name]);
      const texts = ['hello', 'héllo ✓ 😀 — ünïcödé', '', '{"json":[1,2,3]}', 'b not base64', '4 looks like a packet'];
      for (const t of texts) {
        socket.send(t);
        const [got] = await inbox.take(1);
        if (t === '') {
          // engine.io-parser decodes the bare packet "4" as a message without data, so an empty
          // message comes back as `undefined` (with the reference server too): it must still come back.
          assert.ok(got === undefined || got === '', `expected an empty message, got ${JSON.stringify(got)}`);
          continue;
        }
        assert.equal(typeof got, 'string', `expected text back for ${JSON.stringify(t)}`);
        assert.equal(got, t);
      }
      assert.equal(socket.transport.name, name, 'transport changed during the test');
      socket.close();
    });

    test('binary (Buffer, ArrayBuffer, Uint8Array, bytes 0..255) echoes as the same bytes', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connect(TRANSPORTS[name]);
      const bytes = allBytes();
      const forms = {
        Buffer: Buffer.from(bytes),
        ArrayBuffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        Uint8Array: new Uint8Array(bytes),
        'Uint8Array view with offset': (() => {
          const backing = new Uint8Array(256 + 6).fill(9);
          backing.set(bytes, 3);
          return backing.subarray(3, 259);
        })(),
      };
      for (const [form, data] of Object.entries(forms)) {
        socket.send(data);
        const [got] = await inbox.take(1);
        assert.deepEqual(asBytes(got), bytes, `${form}: bytes differ`);
      }
      socket.close();
    });

    test('messages sent back-to-back arrive once each and in order', { timeout: 10000 }, async () => {
      const { socket, inbox } = await connect(TRANSPORTS[name]);
      const n = 50;
      for (let i = 0; i < n; i++) {
        socket.send(i % 5 === 4 ? Buffer.from([i, 255 - i, 0x1e, 0x62]) : `msg ${i}\u2713`);
      }
      const got = await inbox.take(n);
      for (let i = 0; i < n; i++) {
        if (i % 5 === 4) {
          assert.deepEqual(asBytes(got[i]), Buffer.from([i, 255 - i, 0x1e, 0x62]), `message ${i}`);
        } else {
          assert.equal(got[i], `msg ${i}\u2713`, `message ${i}`);
        }
      }
      // Nothing extra arrives (no duplicates).
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(inbox.items.length, 0, `unexpected extra messages: ${JSON.stringify(inbox.items)}`);
      socket.close();
    });
  });
}
