'use strict';
// The Node reference Engine.IO echo server (npm `engine.io`, pinned in package-lock.json), configured
// like ours so the conformance checks can be developed against the reference implementation:
// path /engine.io/, pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, CORS any origin,
// header read timeout 5 s; echoes text as text and binary as binary.
// A handshake carrying the query `forbidden=1` is refused (error code 4), so the Forbidden check
// can run (`--forbidden-query forbidden=1`).
//
// Usage: node echo.js --port N   (0 picks a free port; the chosen one is printed on stdout)
const http = require('node:http');
const { Server } = require('engine.io');

const { parsePort, pingTimeoutArg } = require('./args');

const port = parsePort(process.argv.slice(2));
const httpServer = http.createServer({
  headersTimeout: 5000,
  requestTimeout: 30000,
  // Node checks the two timeouts above only this often (30 s by default).
  connectionsCheckingInterval: 500,
}, (req, res) => {
  res.writeHead(404).end();
});

const engine = new Server({
  pingInterval: 300,
  pingTimeout: pingTimeoutArg(process.argv.slice(2)),
  maxHttpBufferSize: 1000000,
  cors: { origin: '*' },
  allowRequest: (req, callback) => {
    const forbidden = new URL(req.url, 'http://x').searchParams.get('forbidden') === '1';
    callback(null, !forbidden);
  },
});
engine.attach(httpServer, { path: '/engine.io/' });
engine.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(data));
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});

const stop = () => {
  engine.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
