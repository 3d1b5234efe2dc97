'use strict';
// The server started with `--parser msgpack` (run.sh --parser msgpack) against socket.io-client
// built with npm socket.io-msgpack-parser: every packet is one binary Engine.IO message (a binary
// WebSocket frame, `b<base64>` in a polling payload). Run only in that mode: the other files
// expect the default parser.
const assert = require('node:assert/strict');
const { test, describe, afterEach } = require('node:test');
const msgpackParser = require('socket.io-msgpack-parser');
const { describeInterop, connect, connectOver, closeAll, call, normalize } = require('./helpers');

const TRANSPORTS = ['polling', 'websocket'];
const withParser = { parser: msgpackParser };

/** Text, integers and floats of every width, a map (nested), and binary at several depths. */
const MIXED = [
  'héllo ✓',
  0,
  -7,
  300,
  70000,
  2 ** 40,
  3.25,
  -0.5,
  true,
  null,
  { a: 1, b: ['x', { c: false }], n: null },
  Buffer.from([0, 1, 2, 255]),
  { nested: { bin: Buffer.from([9, 8, 7]), list: [Buffer.alloc(0), 'text'] } },
];

if (process.env.SIO_PARSER !== 'msgpack') {
  describe('msgpack parser', () => {
    test('needs a server with --parser msgpack', { skip: 'run through run.sh --parser msgpack' }, () => {});
  });
} else {
  for (const name of TRANSPORTS) {
    describeInterop(`msgpack parser over ${name}`, () => {
      afterEach(closeAll);

      test('connects; the CONNECT reply gives the socket an id', async () => {
        const { socket } = await connectOver(name, '/', withParser);
        assert.ok(socket.id, 'no socket id');
        const [who] = await call(socket, 'whoami', []);
        assert.deepEqual(who, { id: socket.id, nsp: '/', auth: {} });
      });

      test('an event both ways: text, numbers, a map and binary', async () => {
        const { socket, inbox } = await connectOver(name, '/', withParser);
        socket.emit('echo', ...MIXED);
        const [args] = await inbox.waitFor('echo');
        assert.deepEqual(normalize(args), normalize(MIXED));
        assert.ok(Buffer.isBuffer(args[11]) || args[11] instanceof ArrayBuffer, 'binary came back as something else');
      });

      test('acks both ways', async () => {
        const { socket, inbox } = await connectOver(name, '/admin', withParser);
        // The client asks, the server acks with the same arguments.
        assert.deepEqual(normalize(await call(socket, 'ack-echo', MIXED)), normalize(MIXED));
        // The server asks (`ping-me`), the client acks; the server reports what it got.
        socket.on('ping-me', (...args) => {
          const ack = args.pop();
          ack('pong', ...args);
        });
        socket.emit('server-ack', 1, { k: Buffer.from([5]) });
        const [result] = await inbox.waitFor('server-ack-result');
        assert.deepEqual(normalize(result), ['pong', 1, { k: { bytes: [5] } }]);
        // Binary at depth in an ack from the server.
        const nested = await call(socket, 'binary-nested', []);
        assert.deepEqual(normalize(nested), [
          { bytes: [1, 2, 3] },
          { nested: { bin: { bytes: [4, 5, 6] }, list: [{ bytes: [7] }, 'text', { bytes: [] }] } },
        ]);
      });

      test('a room broadcast reaches the members but the sender', { timeout: 15000 }, async () => {
        const [a, b, c] = [
          await connectOver(name, '/', withParser),
          await connectOver(name, '/', withParser),
          await connectOver(name, '/', withParser),
        ];
        assert.deepEqual(await call(a.socket, 'join', ['r1']), ['r1']);
        assert.deepEqual(await call(b.socket, 'join', ['r1']), ['r1']);
        const msg = { from: 'a', bin: Buffer.from([1, 2]), n: 1.5 };
        assert.deepEqual(await call(a.socket, 'to-room', ['r1', msg]), [true]);
        const [got] = await b.inbox.waitFor('room-msg');
        assert.deepEqual(normalize(got), ['r1', { from: 'a', bin: { bytes: [1, 2] }, n: 1.5 }, a.socket.id]);
        // A to-all after it arrives after it: once c and a have it, nothing else came.
        assert.deepEqual(await call(c.socket, 'to-all', ['sync']), [true]);
        for (const cl of [a, b, c]) await cl.inbox.waitFor('all-msg');
        assert.equal(a.inbox.all('room-msg').length, 0, 'the sender got its own room message');
        assert.equal(c.inbox.all('room-msg').length, 0, 'a non-member got a room message');
        assert.equal(b.inbox.all('room-msg').length, 1);
      });
    });
  }

  describeInterop('msgpack parser: a client with the default parser', () => {
    afterEach(closeAll);

    test('cannot connect (its text CONNECT is a protocol error)', async () => {
      await assert.rejects(
        connect('/', { transports: ['websocket'], reconnection: false }, undefined, 1500),
      );
    });
  });
}
