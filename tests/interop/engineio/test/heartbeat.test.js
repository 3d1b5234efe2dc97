'use strict';
// 4: the connection stays open across several heartbeats on each transport.
const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const { PING_INTERVAL_MS, TRANSPORTS, describeInterop, connect, upgraded, sleep } = require('./helpers');

describeInterop('heartbeats', () => {
  // The three transports run side by side: each waits ~2 s.
  describe('each transport', { concurrency: true }, () => {
    for (const name of Object.keys(TRANSPORTS)) {
      test(`${name}: stays open for ~2 s (>= 5 ping intervals) and answers pings`, { timeout: 10000 }, async (t) => {
        const { socket, inbox } = await connect(TRANSPORTS[name]);
        let pings = 0;
        socket.on('ping', () => pings++);
        if (name === 'upgraded') await upgraded(socket);
        await sleep(Math.max(2000, 6 * PING_INTERVAL_MS));
        assert.equal(inbox.closes.length, 0, `closed during the wait: ${JSON.stringify(inbox.closes[0]?.reason)}`);
        t.diagnostic(`${pings} server pings seen by the client`);
        assert.ok(pings >= 3, `expected >= 3 server pings in 2 s, got ${pings}`);
        assert.equal(socket.readyState, 'open');
        assert.equal(socket.transport.name, name === 'polling' ? 'polling' : 'websocket');
        socket.send('still here');
        const [got] = await inbox.take(1);
        assert.equal(got, 'still here');
        socket.close();
      });
    }
  });
});
