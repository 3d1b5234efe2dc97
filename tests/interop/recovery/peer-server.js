'use strict';
// The recovery test server (servers/src/recovery.rs) on the Node reference socket.io, so that
// every plain test of this suite is first proven against the reference: `run.sh --peer node`.
// (The JWT tests need our server's JWT policy; they are skipped against this one.)
const { Server } = require('socket.io');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(flag('--port', 3000));
const windowMs = Number(flag('--recovery-ms', 120000));
const parser = flag('--parser', 'json');

const io = new Server(port, {
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  cors: { origin: '*' },
  connectionStateRecovery: { maxDisconnectionDuration: windowMs, skipMiddlewares: true },
  ...(parser === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {}),
});

io.on('connection', (socket) => {
  const handlerSawRecovered = socket.recovered;
  socket.on('whoami', (ack) => {
    ack({
      id: socket.id,
      recovered: socket.recovered,
      handlerSawRecovered,
      rooms: [...socket.rooms].sort(),
      data: socket.data.stored ?? null,
      sub: null,
    });
  });
  socket.on('join', (room, ack) => {
    socket.join(room);
    ack(true);
  });
  socket.on('set-data', (value, ack) => {
    socket.data.stored = value;
    ack(true);
  });
  socket.on('to', (target, event, ...rest) => {
    const ack = rest.pop();
    io.to(target).emit(event, ...rest);
    ack(true);
  });
  socket.on('present', (id, ack) => {
    ack(io.of('/').sockets.has(id));
  });
  socket.on('direct', (event, ...rest) => {
    const ack = rest.pop();
    socket.emit(event, ...rest);
    ack(true);
  });
});
console.log(`node socket.io recovery server on port ${port} (window ${windowMs} ms)`);
