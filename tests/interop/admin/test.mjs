// The unmodified Socket.IO Admin UI (ui/dist of npm @socket.io/admin-ui) in headless Chromium
// (Debian's chromium driven by playwright-core) against the conformance server started with
// --admin-password. run.sh starts the server and sets:
//   SERVER_URL      e.g. http://127.0.0.1:PORT (the UI is served here from another port: CORS)
//   ADMIN_PASSWORD  the password of user `admin`
//   SCREENSHOT_DIR  where the screenshots go (dashboard.png is the README's docs/admin-ui.png)
// Prints one line per scenario and `N passed, N failed`; exits 1 on a failure.
import { chromium } from "playwright-core";
import { io } from "socket.io-client";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const SERVER = process.env.SERVER_URL || "http://127.0.0.1:3000";
const PASSWORD = process.env.ADMIN_PASSWORD || "";
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "admin-ui-shots-"));
const EXECUTABLE = process.env.CHROMIUM || "/usr/bin/chromium";
const UI_DIR = fileURLToPath(new URL("./node_modules/@socket.io/admin-ui/ui/dist/", import.meta.url));
const WAIT = { timeout: 15000 };

// ----- the UI's static files, on an origin of their own -----

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json" };

function serveUi() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(UI_DIR, path.endsWith("/") ? path + "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ----- helpers -----

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function connectClient(query) {
  return new Promise((resolve, reject) => {
    const socket = io(SERVER, { forceNew: true, reconnection: false, query });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

const pageErrors = [];

async function newPage(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // The UI links fonts and icons from CDNs; this machine may have no network: answer locally.
  await page.route((url) => !url.href.startsWith("http://127.0.0.1"), (route) => route.abort());
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  return page;
}

async function login(page, uiUrl, password) {
  await page.goto(uiUrl);
  const dialog = page.locator(".v-dialog--active");
  await dialog.waitFor(WAIT);
  await dialog.getByLabel("Server URL").fill(SERVER);
  await dialog.getByLabel("Username").fill("admin");
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Connect" }).click();
}

async function goTo(page, uiUrl, hash) {
  await page.goto(`${uiUrl}#${hash}`);
}

// ----- scenarios -----

const results = [];
// The logged-in admin page (set once it exists).
let page = null;

async function scenario(name, body) {
  try {
    await body();
    results.push([name, null]);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, e]);
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
    // What the UI showed then, for the log.
    if (typeof page !== "undefined" && page) {
      const shot = join(SHOTS, `failed-${results.length}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      const text = await page.locator("body").innerText().catch(() => "");
      console.log(`     url ${page.url()}; screenshot ${shot}; page: ${text.replace(/\s+/g, " ").slice(0, 300)}`);
    }
  }
}

const uiServer = await serveUi();
const UI = `http://127.0.0.1:${uiServer.address().port}/`;
const browser = await chromium.launch({
  executablePath: EXECUTABLE,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

const alice = await connectClient({ name: "alice" });
const bob = await connectClient({ name: "bob", token: "must-not-show" });
// A client gone early (e.g. a heartbeat missed on a loaded machine) explains later failures.
const disconnects = [];
for (const [name, s] of [["alice", alice], ["bob", bob]]) {
  s.on("disconnect", (reason) => disconnects.push(`${name}: ${reason}`));
}
// alice joins `lobby` the way the UI would ask (an admin socket's `join`), before the UI opens.
const helper = io(`${SERVER}/admin`, { forceNew: true, auth: { username: "admin", password: PASSWORD } });
await new Promise((resolve, reject) => {
  helper.once("connect", resolve);
  helper.once("connect_error", reject);
});
helper.emit("join", "/", "lobby", alice.id);
await sleep(200);

await scenario("a wrong password shows the UI's error", async () => {
  const page = await newPage(browser, "wrong");
  await login(page, UI, "not-the-password");
  await page.locator(".v-dialog--active .red--text", { hasText: "Invalid credentials" }).waitFor(WAIT);
  await page.context().close();
});

page = await newPage(browser, "admin");
// The UI starts on polling (then upgrades): its requests cross origins with credentials.
const pollingAnswers = [];
page.on("response", (r) => {
  if (r.url().startsWith(SERVER) && r.url().includes("transport=polling")) {
    pollingAnswers.push([r.status(), r.headers()["access-control-allow-credentials"]]);
  }
});

await scenario("the right password logs in: the dashboard shows this server and its clients", async () => {
  await login(page, UI, PASSWORD);
  await page.locator(".v-dialog--active").waitFor({ state: "detached", ...WAIT });
  check(pollingAnswers.length > 0, "the UI made no polling request");
  check(
    pollingAnswers.every(([status, credentials]) => status === 200 && credentials === "true"),
    `polling answers: ${JSON.stringify(pollingAnswers)}`,
  );
  // server_stats came: the server list shows the conformance server, healthy.
  await goTo(page, UI, "/servers/");
  await page.locator("td", { hasText: "conformance" }).first().waitFor(WAIT);
  await goTo(page, UI, "/");
  await page.locator(".v-card", { hasText: "Clients" }).first().waitFor(WAIT);
  // A couple of stats intervals, so the charts have bars.
  await sleep(4500);
  await page.screenshot({ path: join(SHOTS, "dashboard.png"), fullPage: true });
});

await scenario("the sockets page lists both clients; their rooms show", async () => {
  await goTo(page, UI, "/sockets/");
  for (const socket of [alice, bob]) {
    await page.locator("td", { hasText: socket.id }).first().waitFor(WAIT);
  }
  await goTo(page, UI, "/rooms/");
  await page.locator("td", { hasText: "lobby" }).first().waitFor(WAIT);
  await page.screenshot({ path: join(SHOTS, "rooms.png"), fullPage: true });
});

await scenario("a socket's page: its handshake without the token, and its rooms", async () => {
  await goTo(page, UI, `/n/${encodeURIComponent("/")}/sockets/${bob.id}`);
  await page.locator("td", { hasText: "bob" }).first().waitFor(WAIT);
  const text = await page.locator("body").innerText();
  check(!text.includes("must-not-show"), "the token shows on the socket's page");
});

await scenario("an event a client sends shows on the events page", async () => {
  alice.emit("message", "hello from alice");
  await goTo(page, UI, "/events/");
  await page.locator("td", { hasText: "message" }).first().waitFor(WAIT);
  await page.locator("td", { hasText: "message-back" }).first().waitFor(WAIT);
  await page.screenshot({ path: join(SHOTS, "events.png"), fullPage: true });
});

await scenario("joining a room from the UI: the client is in it, and the room shows", async () => {
  await goTo(page, UI, `/n/${encodeURIComponent("/")}/sockets/${bob.id}`);
  const joined = new Promise((resolve) => {
    // The server side confirms through the admin namespace too.
    helper.on("room_joined", (nsp, room, id) => {
      if (room === "vip" && id === bob.id) resolve();
    });
  });
  const combobox = page.getByLabel("Join a room");
  await combobox.fill("vip");
  await page.locator("button:has(.mdi-tag-plus-outline)").click();
  await Promise.race([joined, sleep(10000).then(() => { throw new Error("no room_joined"); })]);
  await page.locator("td", { hasText: "vip" }).first().waitFor(WAIT);
  await goTo(page, UI, "/rooms/");
  await page.locator("td", { hasText: "vip" }).first().waitFor(WAIT);
});

await scenario("disconnecting a socket from the UI disconnects the client", async () => {
  await goTo(page, UI, `/n/${encodeURIComponent("/")}/sockets/${bob.id}`);
  const gone = new Promise((resolve) => bob.once("disconnect", resolve));
  const bobId = bob.id; // a disconnected client forgets its id
  await page.locator("td", { hasText: "bob" }).first().waitFor(WAIT);
  // The socket's own disconnect button (the client's is the other logout button, first).
  await page.locator("button:has(.mdi-logout)").last().click();
  const reason = await Promise.race([gone, sleep(10000).then(() => "timeout")]);
  check(reason === "io server disconnect", `bob's disconnect reason: ${reason}`);
  await goTo(page, UI, "/sockets/");
  await page.locator("td", { hasText: alice.id }).first().waitFor(WAIT);
  await page.locator("td", { hasText: bobId }).first().waitFor({ state: "detached", ...WAIT });
});

await scenario("WebSocket only (the UI's advanced option): it connects without polling", async () => {
  const ws = await newPage(browser, "ws-only");
  const polls = [];
  ws.on("request", (r) => {
    if (r.url().includes("transport=polling")) polls.push(r.url());
  });
  await ws.goto(UI);
  const dialog = ws.locator(".v-dialog--active");
  await dialog.waitFor(WAIT);
  await dialog.getByLabel("Server URL").fill(SERVER);
  await dialog.getByLabel("Username").fill("admin");
  await dialog.getByLabel("Password").fill(PASSWORD);
  await dialog.getByText("Advanced options").click();
  await dialog.getByText("WebSocket only?").click();
  await dialog.getByRole("button", { name: "Connect" }).click();
  await dialog.waitFor({ state: "detached", ...WAIT });
  await goTo(ws, UI, "/sockets/");
  await ws.locator("td", { hasText: alice.id }).first().waitFor(WAIT);
  check(polls.length === 0, `polling requests: ${polls.join(" ")}`);
  await ws.context().close();
});

await scenario("no page errors", async () => {
  check(pageErrors.length === 0, pageErrors.join("; "));
});

await browser.close();
uiServer.close();
for (const s of [alice, bob, helper]) s.disconnect();

if (disconnects.length) console.log(`client disconnects: ${disconnects.join(", ")}`);
const failed = results.filter(([, e]) => e);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
