'use strict';
// The Node reference Socket.IO conformance server (npm `socket.io`, pinned in package-lock.json):
// the server the public Socket.IO protocol test suite expects, configured like ours
// (test_servers::conformance) so the Socket.IO conformance checks can be proven against the reference:
// path /socket.io/, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms,
// maxPayload 1000000, CORS any origin; namespaces / and /custom (any other gets
// `44/<nsp>,{"message":"Invalid namespace"}`); on connect each emits `auth` with the CONNECT
// payload; on /, `message` is answered with `message-back` and the same arguments,
// `message-with-ack` is acknowledged with the same arguments, and `emit-with-ack` is emitted back
// with the same arguments and an ack request, then once more with the arguments of the client's ack
// (the handler of socketioxide's port of the test suite).
//
// Usage: node sio-server.js --port N [--ping-timeout MS] [--parser json|msgpack] [--allow-eio3]
//   (port 0 picks a free port; the chosen one is printed on stdout; `--parser msgpack` speaks npm
//   socket.io-msgpack-parser, for the runner's `--parser msgpack` checks; `--allow-eio3` takes
//   socket.io-client 2.x too, for `conformance --eio 3`)
const http = require('node:http');
const { Server } = require('socket.io');

const { parsePort, pingTimeoutArg } = require('./args');

const port = parsePort(process.argv.slice(2));
const parserAt = process.argv.indexOf('--parser');
const parserName = parserAt >= 0 ? process.argv[parserAt + 1] : 'json';
if (parserName !== 'json' && parserName !== 'msgpack') {
  console.error(`need --parser json|msgpack, got ${parserName}`);
  process.exit(2);
}
const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});

const io = new Server(httpServer, {
  path: '/socket.io/',
  pingInterval: 300,
  pingTimeout: pingTimeoutArg(process.argv.slice(2)),
  connectTimeout: 1000,
  maxHttpBufferSize: 1000000,
  cors: { origin: '*' },
  allowEIO3: process.argv.includes('--allow-eio3'),
  ...(parserName === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {}),
});

io.on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
  socket.on('message', (...args) => {
    socket.emit('message-back', ...args);
  });
  socket.on('message-with-ack', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
  socket.on('emit-with-ack', (...args) => {
    // An ack the client asked for is not part of the arguments sent back.
    if (typeof args[args.length - 1] === 'function') args.pop();
    socket.emit('emit-with-ack', ...args, (...reply) => {
      socket.emit('emit-with-ack', ...reply);
    });
  });
});

io.of('/custom').on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});

const stop = () => {
  io.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
