"use strict";
// A mixed fleet on one Redis: rustA and rustB (our cluster_node example with socketio-redis) and
// node (socket.io + @socket.io/redis-adapter), one or more socket.io-client clients on each.
const { test, afterEach } = require("node:test");
const assert = require("node:assert/strict");
const { createClient } = require("redis");
const { Emitter } = require("@socket.io/redis-emitter");
const { URLS, connect, call, next, disconnected, closeAll, sleep } = require("./helpers");

afterEach(() => closeAll());

async function fleet(room) {
  const a = await connect(URLS.rustA, "a");
  const b = await connect(URLS.rustB, "b");
  const n = await connect(URLS.node, "n");
  if (room) for (const s of [a, b, n]) await call(s, "join", room);
  return { a, b, n };
}

function same(buf, bytes) {
  assert.ok(Buffer.isBuffer(buf), `a Buffer, got ${typeof buf}`);
  assert.deepEqual([...buf], bytes);
}

test("a broadcast from our node reaches the room on every node, binary included", async () => {
  const { a, b, n } = await fleet("r1");
  const outsider = await connect(URLS.node, "o");
  const got = [next(a, "m"), next(b, "m"), next(n, "m"), next(outsider, "m", 500)];
  await call(a, "bcast", { rooms: ["r1"], event: "m" }, "text", Buffer.from([1, 2, 3]), {
    nested: Buffer.from([255]),
    n: 1.5,
  });
  const [ga, gb, gn, go] = await Promise.all(got);
  for (const g of [ga, gb, gn]) {
    assert.ok(g, "received");
    assert.equal(g[0], "text");
    same(g[1], [1, 2, 3]);
    same(g[2].nested, [255]);
    assert.equal(g[2].n, 1.5);
  }
  assert.equal(go, null, "a socket outside the room got nothing");
});

test("a broadcast from the Node node reaches our nodes' clients, binary included", async () => {
  const { a, b, n } = await fleet("r2");
  const got = [next(a, "m2"), next(b, "m2"), next(n, "m2")];
  await call(n, "bcast", { rooms: ["r2"], event: "m2" }, Buffer.from([9, 8]), ["x", Buffer.from([7])]);
  for (const g of await Promise.all(got)) {
    assert.ok(g, "received");
    same(g[0], [9, 8]);
    assert.equal(g[1][0], "x");
    same(g[1][1], [7]);
  }
});

test("except is honoured across the fleet, both ways", async () => {
  const { a, b, n } = await fleet("r3");
  await call(b, "join", "muted");
  let got = [next(a, "e1"), next(b, "e1", 500), next(n, "e1")];
  await call(n, "bcast", { rooms: ["r3"], except: ["muted"], event: "e1" }, 1);
  let [ga, gb, gn] = await Promise.all(got);
  assert.deepEqual(ga, [1]);
  assert.equal(gb, null);
  assert.deepEqual(gn, [1]);

  got = [next(a, "e2", 500), next(b, "e2"), next(n, "e2")];
  await call(b, "bcast", { rooms: ["r3"], except: [a.id], event: "e2" }, 2);
  [ga, gb, gn] = await Promise.all(got);
  assert.equal(ga, null, "excluded by its socket id");
  assert.deepEqual(gb, [2]);
  assert.deepEqual(gn, [2]);
});

test("@socket.io/redis-emitter reaches our clients", async () => {
  const { a, b, n } = await fleet("r4");
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  try {
    const emitter = new Emitter(redis);
    let got = [next(a, "from-emitter"), next(b, "from-emitter"), next(n, "from-emitter")];
    emitter.to("r4").emit("from-emitter", "hi", Buffer.from([4, 2]));
    for (const g of await Promise.all(got)) {
      assert.ok(g, "received");
      assert.equal(g[0], "hi");
      same(g[1], [4, 2]);
    }
    // except, and the namespace-wide channel
    got = [next(a, "all", 500), next(b, "all")];
    emitter.except(a.id).emit("all", { k: "v" });
    const [ga, gb] = await Promise.all(got);
    assert.equal(ga, null);
    assert.deepEqual(gb, [{ k: "v" }]);
    // socketsJoin, then a broadcast to the joined room
    emitter.in(b.id).socketsJoin("joined-by-emitter");
    await sleep(200);
    got = next(b, "j");
    emitter.to("joined-by-emitter").emit("j", 1);
    assert.deepEqual(await got, [1]);
    // disconnectSockets
    const gone = disconnected(a);
    emitter.in(a.id).disconnectSockets();
    assert.equal(await gone, "io server disconnect");
  } finally {
    await redis.quit();
  }
});

test("fetchSockets spans the fleet, asked from either kind of node", async () => {
  const { a, b, n } = await fleet("r5");
  const want = [a.id, b.id, n.id].sort();
  assert.deepEqual(await call(a, "fetch", { rooms: ["r5"], timeout: 2000 }), want);
  assert.deepEqual(await call(n, "fetch", { rooms: ["r5"] }), want);
  assert.deepEqual(await call(b, "fetch", { rooms: ["r5"], except: [n.id], timeout: 2000 }), [a.id, b.id].sort());
});

test("socketsJoin and disconnectSockets from the Node node act on our sockets", async () => {
  const { a, b, n } = await fleet("r6");
  await call(n, "sockets-join", { rooms: [a.id, b.id], room: "picked" });
  await sleep(200);
  const got = [next(a, "p"), next(b, "p")];
  await call(n, "bcast", { rooms: ["picked"], event: "p" }, "ok");
  for (const g of await Promise.all(got)) assert.deepEqual(g, ["ok"]);

  const gone = disconnected(b);
  await call(n, "disconnect-sockets", { rooms: [b.id] });
  assert.equal(await gone, "io server disconnect");
  assert.ok(a.connected);

  const gone2 = disconnected(n);
  await call(a, "disconnect-sockets", { rooms: [n.id] });
  assert.equal(await gone2, "io server disconnect", "our node disconnects a Node client");
});

test("acks from many sockets across nodes", async () => {
  const { a, b, n } = await fleet("r7");
  const fromOurs = await call(a, "ack-all", { rooms: ["r7"], event: "ask", timeout: 1500 }, "q");
  assert.deepEqual(fromOurs.answers.slice().sort(), ["a:q", "b:q", "n:q"]);
  assert.equal(fromOurs.missing, 0);
  const fromNode = await call(n, "ack-all", { rooms: ["r7"], event: "ask", timeout: 1500 }, "q2");
  assert.equal(fromNode.error, null);
  assert.deepEqual(fromNode.answers.slice().sort(), ["a:q2", "b:q2", "n:q2"]);
});

test("server-side emits with answers between the kinds of node", async () => {
  const { a, n } = await fleet();
  assert.deepEqual(await call(a, "sse", "hello", 1), ["node got 1", "rust-b got 1"]);
  assert.deepEqual(await call(n, "sse", "hello", 2), ["rust-a got 2", "rust-b got 2"]);
});
