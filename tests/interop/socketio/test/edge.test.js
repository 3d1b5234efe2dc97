'use strict';
// Edge cases: events in flight during the upgrade keep their order, large binary, and a server ack
// the client never answers.
const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const { TRANSPORTS, describeInterop, connect, connectOver, upgraded, closeAll, call, asBytes } = require('./helpers');

describeInterop('events in flight across the upgrade', () => {
  afterEach(closeAll);

  test('100 events sent while polling upgrades to WebSocket come back once each, in order', { timeout: 15000 }, async () => {
    // Right after `connect`: the upgrade probe is running while these go out and come back.
    const { socket, inbox } = await connect('/', TRANSPORTS.upgraded);
    const n = 100;
    for (let i = 0; i < n; i++) socket.emit('echo', i, i % 10 === 9 ? Buffer.from([i]) : `m${i}`);
    await upgraded(socket);
    const got = await inbox.waitFor('echo', n, 10000);
    got.forEach((args, i) => {
      if (i % 10 === 9) {
        assert.equal(args[0], i);
        assert.deepEqual(asBytes(args[1], `event ${i}`), Buffer.from([i]));
      } else {
        assert.deepEqual(args, [i, `m${i}`], `event ${i}`);
      }
    });
    assert.equal(socket.io.engine.transport.name, 'websocket');
    assert.equal(inbox.all('echo').length, n, 'duplicates arrived');
  });
});

for (const name of Object.keys(TRANSPORTS)) {
  describeInterop(`large binary over ${name}`, () => {
    afterEach(closeAll);

    test('a 400 KB Buffer nested in an object echoes intact (as event and as ack)', { timeout: 15000 }, async () => {
      const { socket, inbox } = await connectOver(name);
      const big = Buffer.alloc(400000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      socket.emit('echo', { big, tail: 'after' });
      const [[got]] = await inbox.waitFor('echo', 1, 10000);
      assert.equal(got.tail, 'after');
      assert.ok(asBytes(got.big).equals(big), 'echoed bytes differ');
      const [acked] = await call(socket, 'ack-echo', [big], 10000);
      assert.ok(asBytes(acked).equals(big), 'acked bytes differ');
    });
  });
}

describeInterop('a server ack the client never answers', () => {
  afterEach(closeAll);

  test("the server's emit-with-ack times out (2 s) and reports it; the socket stays usable", { timeout: 10000 }, async () => {
    const { socket, inbox } = await connectOver('websocket');
    socket.on('ping-me', () => {}); // never calls the ack
    socket.emit('server-ack', 'unanswered');
    const [[message]] = await inbox.waitFor('server-ack-error', 1, 5000);
    assert.equal(message, 'operation has timed out');
    assert.equal(inbox.all('server-ack-result').length, 0);
    assert.deepEqual(await call(socket, 'ack-echo', ['ok']), ['ok']);
  });
});
