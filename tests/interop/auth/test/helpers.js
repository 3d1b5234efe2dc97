'use strict';
// Shared helpers for the socket.io-client auth interop tests.
// The servers under test come from env vars that run.sh sets (see there for each one's flags):
//   AUTH_URL_HS       handshake mode, default sources (auth, header)
//   AUTH_URL_ALL      handshake mode, sources auth, header, query, cookie
//   AUTH_URL_EVENT    event mode (`authenticate` event), --auth-timeout-ms 1000
//   AUTH_URL_REFRESH  handshake mode, --jwt-refresh
//   AUTH_URL_RSA      --jwt-public-key (RS256)
//   AUTH_URL_JWKS     --jwks (ES256 kids ec-a / ec-b, EdDSA kid ed-1)
//   AUTH_URL_LEEWAY   handshake mode, --jwt-leeway-s 3 (the others run with leeway 0)
// and AUTH_SECRET, AUTH_ISSUER, AUTH_AUDIENCE (every server checks iss and aud), AUTH_KEYS (the
// folder keys.js wrote).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test, after } = require('node:test');
const { io } = require('socket.io-client');
const jwt = require('jsonwebtoken');

const env = process.env;
const SECRET = env.AUTH_SECRET;
const ISSUER = env.AUTH_ISSUER;
const AUDIENCE = env.AUTH_AUDIENCE;
const URLS = {
  hs: env.AUTH_URL_HS,
  all: env.AUTH_URL_ALL,
  event: env.AUTH_URL_EVENT,
  refresh: env.AUTH_URL_REFRESH,
  rsa: env.AUTH_URL_RSA,
  jwks: env.AUTH_URL_JWKS,
  leeway: env.AUTH_URL_LEEWAY,
};
const CONFIGURED = Boolean(SECRET && ISSUER && AUDIENCE && env.AUTH_KEYS && Object.values(URLS).every(Boolean));

/** Like `describe`, but without run.sh's env it skips (saying why), or fails when REQUIRE_ALL=1. */
function describeInterop(name, fn, options = {}) {
  if (CONFIGURED) {
    describe(name, options, fn);
    return;
  }
  const why = 'AUTH_URL_* / AUTH_SECRET / AUTH_KEYS are not set: run through run.sh';
  if (env.REQUIRE_ALL === '1') {
    test(name, () => assert.fail(`${why} (and REQUIRE_ALL=1)`));
  } else {
    describe(name, () => test('needs the servers', { skip: why }, () => {}));
  }
}

/** A PEM file that keys.js wrote. */
function key(name) {
  return fs.readFileSync(path.join(env.AUTH_KEYS, name), 'utf8');
}

const nowS = () => Math.floor(Date.now() / 1000);

/**
 * A token signed by npm `jsonwebtoken`: the right issuer and audience and a 60 s expiry unless
 * `claims` overrides them (a claim set to `undefined` is left out). `opts` go to jwt.sign
 * (default HS256 with AUTH_SECRET; pass `{ key, algorithm, keyid }` for others).
 */
function mint(claims = {}, opts = {}) {
  const body = { sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: nowS(), exp: nowS() + 60, ...claims };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  const { key: signKey = SECRET, ...signOpts } = opts;
  return jwt.sign(body, signKey, { algorithm: 'HS256', ...signOpts });
}

/** Rejects after `ms` with a message saying what was awaited. */
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Everything a socket receives, in order, with the time it arrived (ms since creation). */
class Inbox {
  constructor(socket) {
    this.t0 = Date.now();
    this.items = []; // { event, args, at }
    this.waiters = [];
    socket.onAny((event, ...args) => this.push(event, args));
    socket.on('connect', () => this.push('connect', []));
    socket.on('disconnect', (reason, description) => this.push('disconnect', [reason, description]));
    socket.on('connect_error', (err) => this.push('connect_error', [err]));
  }

  push(event, args) {
    this.items.push({ event, args, at: Date.now() });
    for (const w of this.waiters.slice()) w();
  }

  all(event) {
    return this.items.filter((i) => i.event === event);
  }

  names() {
    return this.items.map((i) => i.event);
  }

  /** Resolves with the first `n` items named `event` (each { event, args, at }). */
  waitFor(event, n = 1, ms = 5000) {
    const done = () => this.all(event).length >= n;
    if (done()) return Promise.resolve(this.all(event).slice(0, n));
    let waiter;
    const p = new Promise((resolve) => {
      waiter = () => {
        if (done()) resolve(this.all(event).slice(0, n));
      };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `${n} '${event}' (received so far: ${this.names().join(', ') || 'nothing'})`).finally(() => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }
}

const open = new Set();

/** A new socket (no reconnection, a fresh Manager) with its inbox; not yet awaited. */
function client(url, opts = {}, nsp = '/') {
  const socket = io(`${url}${nsp}`, { reconnection: false, forceNew: true, timeout: 5000, ...opts });
  open.add(socket);
  return { socket, inbox: new Inbox(socket) };
}

/** Connects; resolves { socket, inbox } on `connect`, rejects (with err.data shown) on connect_error. */
async function connect(url, opts = {}, nsp = '/') {
  const c = client(url, opts, nsp);
  await withTimeout(
    new Promise((resolve, reject) => {
      c.socket.once('connect', resolve);
      c.socket.once('connect_error', (err) => {
        reject(new Error(`refused: ${err.message} ${JSON.stringify(err.data)}`));
      });
    }),
    5000,
    `connect to ${url}${nsp}`,
  );
  return c;
}

/** Expects a refusal; resolves with the connect_error's Error (fails when it connects). */
async function refused(url, opts = {}, nsp = '/') {
  const c = client(url, opts, nsp);
  return withTimeout(
    new Promise((resolve, reject) => {
      c.socket.once('connect', () => reject(new Error('connected, but a refusal was expected')));
      c.socket.once('connect_error', resolve);
    }),
    5000,
    `connect_error from ${url}${nsp}`,
  );
}

/** Asserts a refusal's message and its `UnauthorizedError` data. */
function assertUnauthorized(err, message, code) {
  assert.equal(err.message, message, `err.message (err.data: ${JSON.stringify(err.data)})`);
  assert.ok(err.data && typeof err.data === 'object', `err.data is not an object: ${JSON.stringify(err.data)}`);
  assert.equal(err.data.message, message);
  assert.equal(err.data.code, code);
  assert.equal(err.data.type, 'UnauthorizedError');
}

/** Asserts the payload of an `unauthorized` event: { message, code, type } (a `data` copy is allowed). */
function assertUnauthorizedEvent(arg, message, code) {
  assert.ok(arg && typeof arg === 'object', `unauthorized payload is not an object: ${JSON.stringify(arg)}`);
  assert.equal(arg.message, message, `unauthorized payload: ${JSON.stringify(arg)}`);
  assert.equal(arg.code, code);
  assert.equal(arg.type, 'UnauthorizedError');
}

function closeAll() {
  for (const s of open) s.close();
  open.clear();
}
after(closeAll);

module.exports = {
  SECRET, ISSUER, AUDIENCE, URLS, describeInterop, key, nowS, mint, withTimeout, sleep, Inbox, client, connect,
  refused, assertUnauthorized, assertUnauthorizedEvent, closeAll, jwt,
};
