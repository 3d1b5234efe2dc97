'use strict';
// The Node reference Engine.IO echo server (npm `engine.io`), configured like ours:
// path /engine.io/, pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000,
// echoes text as text and binary as binary. Usage: node peer-echo.js --port N
const http = require('node:http');
const { Server } = require('engine.io');

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`peer-echo: need --port <0..65535>, got ${raw}`);
    process.exit(2);
  }
  return port;
}

const port = parsePort(process.argv.slice(2));
const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});
const engine = new Server({
  path: '/engine.io/',
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1000000,
});
engine.attach(httpServer);
engine.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(data));
});
httpServer.listen(port, '127.0.0.1', () => {
  console.log(`peer-echo listening on 127.0.0.1:${httpServer.address().port}`);
});
const stop = () => {
  engine.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
