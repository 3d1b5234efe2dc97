'use strict';
// The Node reference servers of the legacy suite (npm socket.io 4 with allowEIO3: true), the same
// behaviour as ours in run.sh:
//   --port N        the interop server's behaviour (tests/interop/socketio/peer-server.js, the
//                   events this suite uses): namespaces / and /admin
//   --jwt-port N    JWT in handshake mode as socketio-jwt does it: the token of the CONNECT (a
//                   v2 client's namespace query) or of the handshake query; namespaces / and /custom
//   --jwt-event-port N  JWT in event mode (`authenticate`, `authenticated`, `unauthorized`), 1 s
// --secret S: the HS256 secret (issuer legacy-interop). Every server: path /socket.io/,
// pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms.
const http = require('node:http');
const { Server } = require('socket.io');
const jwt = require('jsonwebtoken');

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const secret = arg('--secret');

function server(port) {
  const httpServer = http.createServer((req, res) => res.writeHead(404).end());
  const io = new Server(httpServer, {
    path: '/socket.io/',
    allowEIO3: true,
    pingInterval: 300,
    pingTimeout: 200,
    connectTimeout: 1000,
    maxHttpBufferSize: 1000000,
    cors: { origin: '*' },
  });
  httpServer.listen(Number(port), '127.0.0.1');
  return io;
}

function interop(socket) {
  const nsp = socket.nsp;
  socket.on('whoami', (ack) => ack({ id: socket.id, nsp: nsp.name, auth: socket.handshake.auth ?? {} }));
  socket.on('echo', (...args) => socket.emit('echo', ...args));
  socket.on('ack-echo', (...args) => args.pop()(...args));
  socket.on('server-ack', (...args) => {
    socket.timeout(2000).emit('ping-me', ...args, (err, ...answer) => {
      if (err) socket.emit('server-ack-error', err.message);
      else socket.emit('server-ack-result', ...answer);
    });
  });
  socket.on('join', (room, ack) => { socket.join(room); ack(room); });
  socket.on('to-room', (room, msg, ack) => { socket.to(room).emit('room-msg', room, msg, socket.id); ack(true); });
  socket.on('to-all', (msg, ack) => { nsp.emit('all-msg', msg, socket.id); ack(true); });
  socket.on('kick-me', (opts) => socket.disconnect(Boolean(opts && opts.close)));
  socket.on('binary-nested', (ack) => ack(Buffer.from([1, 2, 3]), {
    nested: { bin: Buffer.from([4, 5, 6]), list: [Buffer.from([7]), 'text', Buffer.alloc(0)] },
  }));
}

/** socketio-jwt's UnauthorizedError data for a refused token. */
function unauthorized(token, e) {
  if (!token) return { message: 'no token provided', code: 'credentials_required', type: 'UnauthorizedError' };
  return { message: e.message, code: 'invalid_token', type: 'UnauthorizedError' };
}

function verify(token) {
  return jwt.verify(token, secret, { algorithms: ['HS256'], issuer: 'legacy-interop' });
}

const port = arg('--port');
if (port) {
  const io = server(port);
  io.of('/').on('connection', interop);
  io.of('/admin').on('connection', interop);
}

const jwtPort = arg('--jwt-port');
if (jwtPort) {
  const io = server(jwtPort);
  const handshake = (socket, next) => {
    const token = socket.handshake.auth?.token ?? socket.handshake.query?.token;
    try {
      socket.decoded_token = verify(token);
      next();
    } catch (e) {
      const data = unauthorized(token, e);
      const err = new Error(data.message);
      err.data = data;
      next(err);
    }
  };
  for (const name of ['/', '/custom']) {
    io.of(name).use(handshake);
    io.of(name).on('connection', (socket) => socket.emit('claims', socket.decoded_token));
  }
}

const eventPort = arg('--jwt-event-port');
if (eventPort) {
  const io = server(eventPort);
  io.of('/').on('connection', (socket) => {
    const timer = setTimeout(() => socket.disconnect(), 1000);
    socket.once('authenticate', (data) => {
      clearTimeout(timer);
      const token = data && data.token;
      try {
        const decoded = verify(token);
        socket.emit('authenticated');
        socket.emit('claims', decoded);
      } catch (e) {
        const error = unauthorized(token, e);
        socket.emit('unauthorized', { ...error, data: error });
        socket.disconnect();
      }
    });
  });
}
console.log(`legacy peer servers on ${[port, jwtPort, eventPort].filter(Boolean).join(', ')}`);
