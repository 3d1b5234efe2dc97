// The chat demo page in headless Chromium (Debian's chromium driven by playwright-core) against the
// demo server (socketio/examples/chat.rs). run.sh starts the server and sets:
//   CHAT_URL       e.g. http://127.0.0.1:PORT
//   CHAT_SECRET    the server's JWT secret (to mint an expired token with the right key)
//   CHAT_TTL_S     the server's --token-ttl-s (short, e.g. 4)
//   SCREENSHOT_DIR where the final screenshots go (not committed)
// Prints one line per scenario and `N passed, N failed`; exits 1 on a failure.
import { chromium } from "playwright-core";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE = process.env.CHAT_URL || "http://127.0.0.1:3000";
const SECRET = process.env.CHAT_SECRET || "";
const TTL_S = Number(process.env.CHAT_TTL_S || 4);
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "chat-demo-shots-"));
const EXECUTABLE = process.env.CHROMIUM || "/usr/bin/chromium";
const WAIT = { timeout: (TTL_S + 8) * 1000 };

// ----- helpers -----

function sign(claims, secret) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function claimsFor(user, expOffsetS) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: user, name: user, iss: "chat-demo", aud: "chat", iat: now, exp: now + expOffsetS };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const pageErrors = [];

async function newPage(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Uncaught/.test(m.text())) {
      pageErrors.push(`${label}: ${m.text()}`);
    }
  });
  page.label = label;
  return page;
}

async function login(page, user, { keep }) {
  await page.goto(BASE + "/");
  await page.locator("#login").waitFor();
  if (keep) await page.locator("#keep").check();
  await page.locator("#user").fill(user);
  await page.locator("#login-button").click();
  await page.locator("#status", { hasText: "connected" }).waitFor(WAIT);
  await page.locator("#chat").waitFor({ state: "visible", ...WAIT });
  await page.locator("#online li", { hasText: user }).waitFor(WAIT);
}

async function send(page, text) {
  await page.locator("#text").fill(text);
  await page.locator("#send").click();
  // The server acks {ok: true}; the page then clears the field.
  await page.waitForFunction(() => document.getElementById("text").value === "", null, WAIT);
}

async function seesMessage(page, from, text) {
  await page.locator("#messages li", { hasText: text }).filter({ hasText: from }).waitFor(WAIT);
}

async function seesOnline(page, user) {
  await page.locator(`#online li[data-user="${user}"]`).waitFor(WAIT);
}

async function joinRoom(page, room) {
  await page.locator("#room-name").fill(room);
  await page.locator("#join-button").click();
  await page.locator("#room-title", { hasText: `#${room}` }).waitFor(WAIT);
  await page.locator(`#rooms button[data-room="${room}"]`).waitFor(WAIT);
}

const connected = (page) => page.evaluate(() => window.chatDemo.connected);

// ----- scenarios -----

const results = [];

async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push([name, null]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, e]);
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e}`);
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  console.log(`chromium ${browser.version()} against ${BASE} (token TTL ${TTL_S} s)`);
  const pages = {};

  try {
    await scenario("http: only the page's files are served; /login checks the user name", async () => {
      for (const path of ["/package.json", "/../Cargo.toml", "/%2e%2e/Cargo.toml", "/node_modules/socket.io-client/package.json", "/app.js/"]) {
        const r = await fetch(BASE + path);
        check(r.status === 404, `${path} answered ${r.status}, expected 404`);
      }
      for (const path of ["/", "/app.js", "/style.css", "/socket.io.min.js"]) {
        const r = await fetch(BASE + path);
        check(r.status === 200, `${path} answered ${r.status}`);
      }
      const bad = await fetch(BASE + "/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: "Robert'); DROP" }),
      });
      check(bad.status === 400, `/login with a bad name answered ${bad.status}`);
      const good = await fetch(BASE + "/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: "probe" }),
      });
      const body = await good.json();
      check(good.status === 200 && body.expires_in === TTL_S, `/login answered ${good.status} ${JSON.stringify(body)}`);
      const claims = JSON.parse(Buffer.from(body.token.split(".")[1], "base64url").toString());
      check(claims.sub === "probe" && claims.iss === "chat-demo" && claims.aud === "chat", `claims ${JSON.stringify(claims)}`);
      check(claims.exp - claims.iat === TTL_S, `exp - iat = ${claims.exp - claims.iat}`);
      const refreshed = await fetch(BASE + "/refresh", { method: "POST", headers: { Authorization: `Bearer ${body.token}` } });
      check(refreshed.status === 200, `/refresh with a valid token answered ${refreshed.status}`);
      const forged = await fetch(BASE + "/refresh", {
        method: "POST",
        headers: { Authorization: `Bearer ${sign(claimsFor("probe", 60), randomBytes(32))}` },
      });
      check(forged.status === 401, `/refresh with a forged token answered ${forged.status}`);
    });

    await scenario("two pages sign in and chat in the lobby; each sees the other online", async () => {
      pages.alice = await newPage(browser, "alice");
      pages.bob = await newPage(browser, "bob");
      await login(pages.alice, "alice", { keep: true });
      await login(pages.bob, "bob", { keep: true });
      await seesOnline(pages.alice, "bob");
      await seesOnline(pages.bob, "alice");
      await send(pages.alice, "hello from alice");
      await seesMessage(pages.bob, "alice", "hello from alice");
      await seesMessage(pages.alice, "alice", "hello from alice");
      await send(pages.bob, "hi alice, bob here");
      await seesMessage(pages.alice, "bob", "hi alice, bob here");
    });

    await scenario("a message in a room reaches only the room's members", async () => {
      pages.carol = await newPage(browser, "carol");
      await login(pages.carol, "carol", { keep: true });
      await seesOnline(pages.bob, "carol");
      await joinRoom(pages.alice, "team-x");
      await joinRoom(pages.carol, "team-x");
      await send(pages.alice, "for team-x only");
      await seesMessage(pages.carol, "alice", "for team-x only");
      await seesMessage(pages.alice, "alice", "for team-x only");
      // bob is not in team-x: a lobby message sent after the room message reaches him, the room
      // message never does.
      await pages.alice.locator('#rooms button[data-room="lobby"]').click();
      await send(pages.alice, "back in the lobby");
      await seesMessage(pages.bob, "alice", "back in the lobby");
      const bobGot = await pages.bob.evaluate(() => window.chatDemo.received);
      check(!bobGot.some((m) => m.includes("for team-x only")), `bob received a team-x message: ${JSON.stringify(bobGot)}`);
      check(bobGot.includes("lobby/alice: back in the lobby"), `bob's messages: ${JSON.stringify(bobGot)}`);
      const carolGot = await pages.carol.evaluate(() => window.chatDemo.received);
      check(carolGot.includes("team-x/alice: for team-x only"), `carol's messages: ${JSON.stringify(carolGot)}`);
    });

    await scenario("a network blip: the page recovers its socket and every message it missed, once, in order", async () => {
      const bob = pages.bob;
      const idBefore = await bob.evaluate(() => window.chatDemo.socketId);
      // The blip must end before bob's token does: a token cannot be refreshed offline, and the
      // server does not restore a session whose token lapsed while it was away. With a TTL of a
      // few seconds that takes starting right after a refresh.
      const fresh = TTL_S * 1000 - 1500;
      await bob.waitForFunction((ms) => window.chatDemo.deadline - Date.now() > ms, fresh, WAIT);
      // The DevTools protocol takes bob's network away: Chromium closes his WebSocket.
      const cdp = await bob.context().newCDPSession(bob);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", {
        offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      await bob.waitForFunction(() => !window.chatDemo.connected, null, WAIT);
      const missed = ["while bob was away 1", "while bob was away 2", "while bob was away 3"];
      for (const text of missed) await send(pages.alice, text);
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      // The page reconnects on the browser's `online` event, not at the end of its backoff.
      await bob.waitForFunction(() => window.chatDemo.connected, null, { timeout: 20000 });
      for (const text of missed) await seesMessage(bob, "alice", text);
      const state = await bob.evaluate(() => ({
        id: window.chatDemo.socketId,
        recovered: window.chatDemo.recovered,
        received: window.chatDemo.received,
      }));
      check(state.recovered === true, "bob's socket did not recover its session");
      check(state.id === idBefore, `bob's socket id changed: ${idBefore} -> ${state.id}`);
      const got = state.received.filter((m) => m.includes("while bob was away"));
      const want = missed.map((t) => `lobby/alice: ${t}`);
      check(JSON.stringify(got) === JSON.stringify(want), `bob's missed messages: ${JSON.stringify(got)}`);
      await send(pages.alice, "after the blip");
      await seesMessage(bob, "alice", "after the blip");
    });

    await scenario("server rules: 1000 characters at most, only rooms one is in, a user online once", async () => {
      // A second connection from alice's page with the page's own `io`: bob in another tab.
      const answers = await pages.alice.evaluate(async () => {
        const login = await fetch("/login", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ user: "bob" }),
        });
        const { token } = await login.json();
        const s = io({ auth: { token }, forceNew: true, transports: ["websocket"] });
        await new Promise((resolve, reject) => {
          s.once("connect", resolve);
          s.once("connect_error", reject);
        });
        const ask = (event, arg) => s.timeout(2000).emitWithAck(event, arg);
        const out = {
          tooLong: await ask("message", { room: "lobby", text: "x".repeat(1001) }),
          notMember: await ask("message", { room: "team-x", text: "let me in" }),
          badRoom: await ask("join", "user:alice"),
          join: await ask("join", "probe-room"),
          maxLength: await ask("message", { room: "probe-room", text: "y".repeat(1000) }),
          leaveLobby: await ask("leave", "lobby"),
        };
        out.onlineWithTwoBobs = [...document.querySelectorAll("#online li")].map((li) => li.dataset.user);
        s.disconnect();
        return out;
      });
      check(answers.tooLong.ok === false && /1000/.test(answers.tooLong.error), `1001 characters: ${JSON.stringify(answers.tooLong)}`);
      check(answers.notMember.ok === false, `a room bob is not in: ${JSON.stringify(answers.notMember)}`);
      check(answers.badRoom.ok === false, `joining user:alice: ${JSON.stringify(answers.badRoom)}`);
      check(answers.join.ok === true && answers.join.rooms.includes("probe-room"), `join: ${JSON.stringify(answers.join)}`);
      check(answers.maxLength.ok === true, `1000 characters: ${JSON.stringify(answers.maxLength)}`);
      check(answers.leaveLobby.ok === false, `leaving the lobby: ${JSON.stringify(answers.leaveLobby)}`);
      check(answers.onlineWithTwoBobs.filter((u) => u === "bob").length === 1, `online: ${answers.onlineWithTwoBobs}`);
      const carolGot = await pages.carol.evaluate(() => window.chatDemo.received);
      check(!carolGot.some((m) => m.includes("let me in")), "a message to a room the sender is not in was delivered");
      // bob's second tab closed; his first is still there, so he is still online.
      await sleep(300);
      await seesOnline(pages.alice, "bob");
      check(await connected(pages.bob), "bob's first tab was disconnected");
    });

    await scenario("WebSocket closes are clean on either side (CloseEvent.wasClean, the server's codes)", async () => {
      const closes = await pages.alice.evaluate(async () => {
        const login = await fetch("/login", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ user: "wsclose" }),
        });
        const { token } = await login.json();
        const closed = (ws) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve({ timeout: true }), 5000);
            ws.addEventListener("close", (e) => {
              clearTimeout(timer);
              resolve({ code: e.code, wasClean: e.wasClean, reason: e.reason });
            });
          });
        const out = {};
        // The client ends it: socket.io-client's disconnect() closes its WebSocket; the server
        // answers the close frame before closing TCP.
        const s = io({ auth: { token }, forceNew: true, transports: ["websocket"] });
        await new Promise((resolve, reject) => {
          s.once("connect", resolve);
          s.once("connect_error", reject);
        });
        const clientWs = s.io.engine.transport.ws;
        const clientClosed = closed(clientWs);
        s.disconnect();
        out.client = await clientClosed;
        // The server ends it: a raw WebSocket sends the Engine.IO close packet (the server closes
        // with 1000) or a packet that does not parse (1002); the server sends the close frame.
        const raw = async (first) => {
          const url = location.origin.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
          const ws = new WebSocket(url);
          const done = closed(ws);
          ws.addEventListener("message", (e) => {
            if (String(e.data).startsWith("0")) ws.send(first);
          });
          return done;
        };
        out.serverClose = await raw("1");
        out.protocolError = await raw("x");
        return out;
      });
      check(closes.client.wasClean === true, `client disconnect: ${JSON.stringify(closes.client)}`);
      check(
        closes.serverClose.wasClean === true && closes.serverClose.code === 1000,
        `server close: ${JSON.stringify(closes.serverClose)}`
      );
      check(
        closes.protocolError.wasClean === true && closes.protocolError.code === 1002,
        `protocol error: ${JSON.stringify(closes.protocolError)}`
      );
    });

    // The next two run side by side: both wait out the token's lifetime.
    pages.dave = await newPage(browser, "dave");
    pages.erin = await newPage(browser, "erin");
    let erinSince = 0;
    await scenario("an expired token ends the session with a notice (no keep-me-signed-in)", async () => {
      await login(pages.dave, "dave", { keep: false });
      erinSince = Date.now();
      await login(pages.erin, "erin", { keep: true });
      await seesOnline(pages.alice, "dave");
      await pages.dave.locator("#notice", { hasText: "token expired" }).waitFor(WAIT);
      const notice = await pages.dave.locator("#notice").innerText();
      check(/session ended/i.test(notice) && /jwt expired/.test(notice), `notice: ${notice}`);
      check((await pages.dave.locator("#status").innerText()) === "session ended", "status is not 'session ended'");
      check(!(await connected(pages.dave)), "dave's socket is still connected");
      check(await pages.dave.locator("#text").isDisabled(), "the message field is still enabled");
      // Presence follows: dave left alice's online list.
      await pages.alice.locator('#online li[data-user="dave"]').waitFor({ state: "detached", ...WAIT });
      await pages.dave.screenshot({ path: join(SHOTS, "expired.png") });
    });

    await scenario("keep-me-signed-in refreshes the token and stays connected past the TTL", async () => {
      const until = erinSince + 2.5 * TTL_S * 1000;
      while (Date.now() < until) {
        check(await connected(pages.erin), `erin disconnected after ${Date.now() - erinSince} ms`);
        await sleep(250);
      }
      const refreshes = await pages.erin.evaluate(() => window.chatDemo.refreshes);
      check(refreshes >= 2, `erin's token was refreshed ${refreshes} times in ${2.5 * TTL_S} s`);
      check(await pages.erin.locator("#notice").isHidden(), "erin sees a notice");
      await send(pages.erin, "still here after the TTL");
      await seesMessage(pages.alice, "erin", "still here after the TTL");
      await seesOnline(pages.alice, "erin");
      // alice and bob ticked the box too and have been connected the whole time.
      check(await connected(pages.alice) && await connected(pages.bob), "alice or bob was disconnected");
    });

    await scenario("a forged token and an expired token are refused (connect_error shown)", async () => {
      const cases = [
        ["forged", sign(claimsFor("mallory", 60), randomBytes(32)), "invalid signature"],
        ["expired", SECRET ? sign(claimsFor("mallory", -3600), SECRET) : null, "jwt expired"],
        ["wrong audience", SECRET ? sign({ ...claimsFor("mallory", 60), aud: "other" }, SECRET) : null, "jwt audience invalid"],
      ];
      for (const [label, token, expected] of cases) {
        check(token, `CHAT_SECRET is not set: cannot mint the ${label} token`);
        const page = await newPage(browser, `mallory-${label}`);
        // The page asks /login as usual; the test answers with the bad token instead.
        await page.route("**/login", (route) =>
          route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ token, expires_in: 60 }) }),
        );
        await page.goto(BASE + "/");
        await page.locator("#user").fill("mallory");
        await page.locator("#login-button").click();
        await page.locator("#notice", { hasText: "refused" }).waitFor(WAIT);
        const notice = await page.locator("#notice").innerText();
        check(notice.includes(expected) && notice.includes("invalid_token"), `${label}: notice "${notice}"`);
        check(await page.locator("#login").isVisible(), `${label}: the login form is not shown`);
        check(!(await connected(page)), `${label}: connected`);
        await page.context().close();
      }
      await pages.alice.locator('#online li[data-user="mallory"]').waitFor({ state: "detached", timeout: 1000 });
    });

    await scenario("no uncaught page errors or CSP violations", async () => {
      check(pageErrors.length === 0, pageErrors.join("; "));
    });

    // The chat as alice sees it, for a human to look at (not committed).
    const shot = join(SHOTS, "chat.png");
    await pages.alice.locator('#rooms button[data-room="lobby"]').click();
    await pages.alice.screenshot({ path: shot });
    console.log(`screenshots: ${SHOTS}`);
  } finally {
    await browser.close();
  }

  const failed = results.filter(([, e]) => e).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL the browser test could not run: ${e && e.stack ? e.stack : e}`);
  const failed = results.filter(([, e]) => e).length + 1;
  console.log(`${results.length - failed + 1} passed, ${failed} failed`);
  process.exit(1);
});
