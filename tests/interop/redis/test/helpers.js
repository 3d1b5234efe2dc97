"use strict";
const { io } = require("socket.io-client");

const URLS = {
  rustA: process.env.RUST_A_URL,
  rustB: process.env.RUST_B_URL,
  node: process.env.NODE_URL,
};
for (const [k, v] of Object.entries(URLS)) {
  if (!v) throw new Error(`env for ${k} is missing: run the tests through run.sh`);
}

const open = new Set();

/** A connected client on one node; it answers `ask` with `<label>:<arg>`. */
async function connect(url, label) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  open.add(socket);
  socket.on("ask", (arg, cb) => cb(`${label}:${arg}`));
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/** Emits and waits for the ack. */
function call(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** The next `event` on `socket` within `ms`, as its argument list; null if none. */
function next(socket, event, ms = 2000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      resolve(null);
    }, ms);
    function on(...args) {
      clearTimeout(timer);
      socket.off(event, on);
      resolve(args);
    }
    socket.on(event, on);
  });
}

/** Resolves when the socket is disconnected (or null after `ms`). */
function disconnected(socket, ms = 2000) {
  return new Promise((resolve) => {
    if (!socket.connected) return resolve("already");
    const timer = setTimeout(() => resolve(null), ms);
    socket.once("disconnect", (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

function closeAll() {
  for (const s of open) s.disconnect();
  open.clear();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { URLS, connect, call, next, disconnected, closeAll, sleep };
