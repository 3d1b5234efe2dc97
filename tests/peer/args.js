// The command-line flags the Node peer servers share.
'use strict';

// `--port N` (default 3000; 0 picks a free port).
function parsePort(argv) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : '3000';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`need --port <0..65535>, got ${raw}`);
    process.exit(2);
  }
  return port;
}

// `--ping-timeout MS` (default 200): the Rust tests give Node more, because after a pause (a busy
// machine) Node runs its timers before it reads the pong that arrived meanwhile.
function pingTimeoutArg(argv) {
  const i = argv.indexOf('--ping-timeout');
  const ms = i >= 0 ? Number(argv[i + 1]) : 200;
  if (!Number.isInteger(ms) || ms <= 0) {
    console.error(`need --ping-timeout <ms>, got ${argv[i + 1]}`);
    process.exit(2);
  }
  return ms;
}

module.exports = { parsePort, pingTimeoutArg };
