'use strict';
// 3: polling upgraded to websocket; a numbered stream sent before, during and after the upgrade
// echoes back exactly once and in order.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { TRANSPORTS, describeInterop, connect, upgraded, asBytes, allBytes, sleep } = require('./helpers');

describeInterop('polling upgraded to websocket', () => {
  test('upgrades: the upgrade event fires and the transport becomes websocket', { timeout: 10000 }, async () => {
    const { socket, inbox } = await connect(TRANSPORTS.upgraded);
    assert.equal(socket.transport.name, 'polling', 'should start on polling');
    await upgraded(socket);
    assert.equal(socket.transport.name, 'websocket');
    socket.send('after upgrade');
    socket.send(allBytes());
    const [text, bin] = await inbox.take(2);
    assert.equal(text, 'after upgrade');
    assert.deepEqual(asBytes(bin), allBytes());
    socket.close();
  });

  test('a numbered stream across the upgrade echoes once each, in order', { timeout: 15000 }, async () => {
    const { socket, inbox } = await connect(TRANSPORTS.upgraded);
    let next = 0;
    const phase = { before: 0, during: 0, after: 0 };
    let state = 'before';
    const send = (count) => {
      for (let k = 0; k < count; k++) {
        // Every 7th message is binary, to mix both kinds across the switch.
        if (next % 7 === 6) socket.send(Buffer.from(`#${next}`));
        else socket.send(`#${next}`);
        phase[state]++;
        next++;
      }
    };
    socket.on('upgrading', () => {
      state = 'during';
      send(10);
    });
    socket.on('upgrade', () => {
      send(5); // still counted as during: sent in the upgrade handler
      state = 'after';
    });
    // Before: a burst right after open, then a trickle until the upgrade is done.
    send(20);
    const trickle = setInterval(() => send(2), 3);
    try {
      await upgraded(socket);
    } finally {
      clearInterval(trickle);
    }
    assert.equal(socket.transport.name, 'websocket');
    send(20);
    await sleep(20);
    send(20);
    const total = next;
    assert.ok(phase.before > 0 && phase.during > 0 && phase.after > 0, `phases: ${JSON.stringify(phase)}`);
    const got = await inbox.take(total, 10000);
    const seen = got.map((m) => (typeof m === 'string' ? m : `bin:${asBytes(m).toString()}`));
    const want = Array.from({ length: total }, (_, i) => (i % 7 === 6 ? `bin:#${i}` : `#${i}`));
    assert.deepEqual(seen, want, `phases ${JSON.stringify(phase)}`);
    await sleep(200);
    assert.equal(inbox.items.length, 0, `duplicates/extras after the stream: ${inbox.items.length}`);
    assert.equal(inbox.closes.length, 0, `closed: ${JSON.stringify(inbox.closes[0]?.reason)}`);
    socket.close();
  });
});
