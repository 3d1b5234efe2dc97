// The Node member of the mixed fleet: socket.io 4.8 with @socket.io/redis-adapter on the `redis`
// npm client. It answers the same events as our cluster_node example
// (socketio-redis/examples/cluster_node.rs), so the tests drive both kinds alike.
//   node node-server.js --port 3000 --redis redis://127.0.0.1:6379/ --name node
"use strict";
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const port = Number(arg("--port", "3000"));
const url = arg("--redis", "redis://127.0.0.1:6379/");
const name = arg("--name", "node");

function select(io, opts) {
  opts = opts || {};
  let op = io.to(opts.rooms || []).except(opts.except || []);
  if (opts.timeout) op = op.timeout(opts.timeout);
  if (opts.local) op = op.local;
  return op;
}

async function main() {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  pub.on("error", (e) => console.error("redis pub:", e.message));
  sub.on("error", (e) => console.error("redis sub:", e.message));
  await Promise.all([pub.connect(), sub.connect()]);
  const io = new Server({ adapter: createAdapter(pub, sub) });

  io.on("hello", (first, cb) => {
    if (typeof cb === "function") cb(`${name} got ${JSON.stringify(first)}`);
  });

  io.on("connection", (socket) => {
    socket.on("whoami", (cb) => cb({ node: name, id: socket.id }));
    socket.on("join", (room, cb) => {
      socket.join(room);
      cb(room);
    });
    socket.on("bcast", (opts, ...rest) => {
      const cb = rest.pop();
      select(io, opts).emit(opts.event || "bcast", ...rest);
      cb(true);
    });
    socket.on("fetch", async (opts, cb) => {
      try {
        const sockets = await select(io, opts).fetchSockets();
        cb(sockets.map((s) => s.id).sort());
      } catch (e) {
        cb({ error: e.message });
      }
    });
    socket.on("sockets-join", (opts, cb) => {
      select(io, opts).socketsJoin(opts.room);
      cb(true);
    });
    socket.on("disconnect-sockets", (opts, cb) => {
      cb(true);
      select(io, opts).disconnectSockets(!!opts.close);
    });
    socket.on("ack-all", (opts, ...rest) => {
      const cb = rest.pop();
      const op = select(io, { ...opts, timeout: opts.timeout || 1000 });
      op.emit(opts.event || "ask", ...rest, (err, answers) => {
        cb({ answers: answers || [], error: err ? err.message : null });
      });
    });
    socket.on("sse", (event, ...rest) => {
      const cb = rest.pop();
      io.serverSideEmit(event, ...rest, (err, answers) => {
        if (err) cb({ error: err.message, answers });
        else cb(answers.slice().sort());
      });
    });
    socket.on("metrics", (cb) => cb({}));
  });

  io.listen(port);
  console.log(`listening on ${port}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
