'use strict';
// The Node reference implementation (npm `socket.io`) of the interop test server, the same
// behaviour as socketio/examples/interop_server.rs (see the table at the top of that file):
// path /socket.io/, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms,
// maxPayload 1000000, CORS any; namespaces / and /admin; events whoami, echo, ack-echo,
// server-ack, join, leave, to-room, to-all, kick-me, binary-nested.
// Usage: node peer-server.js --port N [--parser json|msgpack]
const http = require('node:http');
const { Server } = require('socket.io');

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`peer-server: need --port <0..65535>, got ${raw}`);
    process.exit(2);
  }
  return port;
}

const port = parsePort(process.argv.slice(2));
const parserArg = process.argv.indexOf('--parser');
const parserName = parserArg >= 0 ? process.argv[parserArg + 1] : 'json';
if (parserName !== 'json' && parserName !== 'msgpack') {
  console.error(`peer-server: --parser json|msgpack, got ${parserName}`);
  process.exit(2);
}
const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  path: '/socket.io/',
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  maxHttpBufferSize: 1000000,
  cors: { origin: '*' },
  ...(parserName === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {}),
});

function onConnection(socket) {
  const nsp = socket.nsp;
  socket.on('whoami', (ack) => {
    if (typeof ack === 'function') ack({ id: socket.id, nsp: nsp.name, auth: socket.handshake.auth ?? {} });
  });
  socket.on('echo', (...args) => socket.emit('echo', ...args));
  socket.on('ack-echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
  socket.on('server-ack', (...args) => {
    socket.timeout(2000).emit('ping-me', ...args, (err, ...answer) => {
      if (err) socket.emit('server-ack-error', err.message);
      else socket.emit('server-ack-result', ...answer);
    });
  });
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.join(room);
    if (typeof ack === 'function') ack(room);
  });
  socket.on('leave', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.leave(room);
    if (typeof ack === 'function') ack(room);
  });
  socket.on('to-room', (room, msg, ack) => {
    if (typeof room !== 'string') return;
    socket.to(room).emit('room-msg', room, msg, socket.id);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('to-all', (msg, ack) => {
    nsp.emit('all-msg', msg ?? null, socket.id);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('kick-me', (opts) => {
    socket.disconnect(Boolean(opts && opts.close === true));
  });
  socket.on('binary-nested', (ack) => {
    if (typeof ack !== 'function') return;
    ack(Buffer.from([1, 2, 3]), {
      nested: { bin: Buffer.from([4, 5, 6]), list: [Buffer.from([7]), 'text', Buffer.alloc(0)] },
    });
  });
}

io.of('/').on('connection', onConnection);
io.of('/admin').on('connection', onConnection);

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`peer-server listening on 127.0.0.1:${httpServer.address().port}`);
});
const stop = () => {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
