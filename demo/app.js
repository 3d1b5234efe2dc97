// The chat demo page: sign in (POST /login gives a short-lived JWT), connect with the official
// Socket.IO browser client (the token in the CONNECT auth payload), chat in rooms, see who is
// online and how long the token has left. "Keep me signed in" fetches a fresh token (POST
// /refresh) shortly before expiry and hands it to the open connection (the `authenticate` event),
// or, while the socket reconnects after a network blip, to the reconnection's CONNECT.
// Plain JS, no build step; every text from the network goes in with textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const LOBBY = "lobby";

  const state = {
    token: null,
    user: null,
    deadline: 0, // ms since the epoch when the token expires
    ttlMs: 0,
    socket: null,
    rooms: [LOBBY],
    active: LOBBY,
    messages: new Map(), // room -> [{from, text, at}]
    unread: new Map(),
    online: [],
    refreshing: false,
    refreshRetryAt: 0, // after a failed refresh, not before this (ms since the epoch)
    refreshAttempts: 0,
    refreshes: 0,
    endReason: null, // the `unauthorized` message, when the server ends the session
    ended: false,
  };

  // ----- the token -----

  function decodeClaims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    } catch {
      return {};
    }
  }

  // Takes a {token, expires_in} answer. The deadline is the token's exp, but never later than
  // expires_in from now (in case this computer's clock is behind the server's).
  function setToken(body, receivedAt) {
    const claims = decodeClaims(body.token);
    state.token = body.token;
    state.user = claims.sub || state.user;
    state.ttlMs = body.expires_in * 1000;
    const byExp = typeof claims.exp === "number" ? claims.exp * 1000 : Infinity;
    state.deadline = Math.min(byExp, receivedAt + state.ttlMs);
  }

  async function postJson(path, body, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const receivedAt = Date.now();
    const response = await fetch(path, {
      method: "POST",
      headers,
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(answer.error || `${path} answered ${response.status}`);
    }
    return { answer, receivedAt };
  }

  // Refresh when a third of the lifetime is left (at least 1.5 s before expiry).
  function refreshThreshold() {
    return Math.max(1500, state.ttlMs / 3);
  }

  const nearExpiry = () => state.deadline - Date.now() <= refreshThreshold();

  // Also while the socket is reconnecting after a network blip: the reconnection sends the token
  // it has then (the `auth` callback), and one that lapsed meanwhile would be refused.
  async function refreshToken() {
    const socket = state.socket;
    if (state.refreshing || !state.token || !socket || state.ended) return;
    if (Date.now() < state.refreshRetryAt) return;
    state.refreshing = true;
    try {
      const { answer, receivedAt } = await postJson("/refresh", {}, state.token);
      if (state.socket !== socket || state.ended) return;
      setToken(answer, receivedAt);
      if (!socket.connected) {
        state.refreshing = false;
        tick();
        return;
      }
      // The server checks the new token (same user) and answers `authenticated`; if no answer
      // comes, try again on a later tick.
      socket.emit("authenticate", { token: state.token });
      const attempt = ++state.refreshAttempts;
      setTimeout(() => {
        if (state.refreshAttempts === attempt) state.refreshing = false;
      }, 5000);
    } catch (e) {
      // Offline, most likely: try again in a second. While reconnecting the status says enough.
      if (socket.connected) showNotice(`Could not refresh the token: ${e.message}`, "warn");
      state.refreshRetryAt = Date.now() + 1000;
      state.refreshing = false;
    }
  }

  // What a (re)connection sends: with "keep me signed in", a token close to expiry is refreshed
  // first, so that the CONNECT does not carry one about to lapse.
  async function connectAuth() {
    if ($("keep").checked && state.token && !state.ended && nearExpiry()) {
      try {
        const { answer, receivedAt } = await postJson("/refresh", {}, state.token);
        setToken(answer, receivedAt);
      } catch {
        // Send the token as it is: the server says whether it still holds.
      }
    }
    return { token: state.token };
  }

  function tick() {
    const ttl = $("ttl");
    if (!state.token) {
      const expired = state.ended && Date.now() >= state.deadline;
      ttl.textContent = expired ? "token expired" : "no token";
      ttl.className = expired ? "ttl gone" : "ttl";
      return;
    }
    const left = state.deadline - Date.now();
    if (left <= 0) {
      ttl.textContent = "token expired";
      ttl.className = "ttl gone";
    } else {
      const seconds = left / 1000;
      const text = seconds >= 10 ? `${Math.ceil(seconds)} s` : `${seconds.toFixed(1)} s`;
      ttl.textContent = `token expires in ${text}` + (state.refreshes ? ` (refreshed ${state.refreshes}\u00d7)` : "");
      ttl.className = left <= refreshThreshold() ? "ttl low" : "ttl";
      if ($("keep").checked && nearExpiry()) refreshToken();
    }
  }

  // ----- notices and views -----

  function showNotice(text, kind, action) {
    $("notice-text").textContent = text;
    $("notice").className = `notice ${kind || ""}`;
    $("notice").hidden = false;
    $("notice-action").hidden = !action;
  }

  function hideNotice() {
    $("notice").hidden = true;
  }

  function setStatus(text, kind) {
    $("status").textContent = text;
    $("status").className = `pill ${kind}`;
  }

  function setChatEnabled(enabled) {
    for (const id of ["text", "send", "room-name", "join-button", "leave"]) $(id).disabled = !enabled;
    $("chat").classList.toggle("ended", !enabled);
  }

  function showLogin() {
    $("login").hidden = false;
    $("chat").hidden = true;
    $("logout").hidden = true;
    $("user").focus();
  }

  function showChat() {
    $("login").hidden = true;
    $("chat").hidden = false;
    $("logout").hidden = false;
    $("me").textContent = `signed in as ${state.user}`;
    setChatEnabled(true);
    $("text").focus();
  }

  function resetSession() {
    if (state.socket) {
      state.socket.removeAllListeners();
      state.socket.disconnect();
    }
    Object.assign(state, {
      token: null, socket: null, rooms: [LOBBY], active: LOBBY, messages: new Map(),
      unread: new Map(), online: [], refreshing: false, refreshRetryAt: 0, refreshes: 0, endReason: null,
      ended: false,
    });
    tick();
  }

  // The server ended the session (expired token, refused refresh): say so, keep the history
  // readable, and offer to sign in again.
  function endSession(text) {
    state.ended = true;
    state.token = null;
    state.online = [];
    renderOnline();
    setStatus("session ended", "offline");
    setChatEnabled(false);
    showNotice(text, "bad", true);
    tick();
  }

  // ----- rendering -----

  function renderRooms() {
    const list = $("rooms");
    list.replaceChildren();
    for (const room of state.rooms) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.room = room;
      button.className = room === state.active ? "active" : "";
      const name = document.createElement("span");
      name.textContent = `#${room}`;
      button.append(name);
      const unread = state.unread.get(room) || 0;
      if (unread > 0 && room !== state.active) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = String(unread);
        button.append(badge);
      }
      button.addEventListener("click", () => setActive(room));
      li.append(button);
      list.append(li);
    }
    $("room-title").textContent = `#${state.active}`;
    $("leave").hidden = state.active === LOBBY;
  }

  function renderOnline() {
    const list = $("online");
    list.replaceChildren();
    for (const user of state.online) {
      const li = document.createElement("li");
      li.textContent = user === state.user ? `${user} (you)` : user;
      li.dataset.user = user;
      list.append(li);
    }
    $("online-count").textContent = `(${state.online.length})`;
  }

  function messageItem(m) {
    const li = document.createElement("li");
    if (m.from === state.user) li.className = "mine";
    const time = document.createElement("time");
    const at = new Date(m.at);
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString();
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = m.from;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = m.text;
    li.append(time, from, text);
    return li;
  }

  function renderMessages() {
    const list = $("messages");
    list.replaceChildren(...(state.messages.get(state.active) || []).map(messageItem));
    list.scrollTop = list.scrollHeight;
  }

  function setActive(room) {
    state.active = room;
    state.unread.delete(room);
    $("send-error").hidden = true;
    renderRooms();
    renderMessages();
  }

  // ----- the connection -----

  function connect() {
    hideNotice();
    setStatus("connecting", "connecting");
    // `auth` as a function: a reconnection after a network drop sends the current token.
    const socket = io({ auth: (send) => connectAuth().then(send) });
    state.socket = socket;

    socket.on("connect", () => {
      setStatus("connected", "online");
      showChat();
      renderRooms();
      renderMessages();
    });

    socket.on("welcome", (info) => {
      state.user = info.user;
      // After a reconnection the server says which rooms the socket is in: all of them when it
      // recovered its session (and the messages it missed arrive as usual), else the lobby.
      state.rooms = Array.from(new Set([LOBBY, ...(info.rooms || [])]));
      if (!state.rooms.includes(state.active)) state.active = LOBBY;
      renderRooms();
      renderMessages();
      showChat();
    });

    socket.on("online", (users) => {
      state.online = Array.isArray(users) ? users : [];
      renderOnline();
    });

    socket.on("message", (m) => {
      if (!state.messages.has(m.room)) state.messages.set(m.room, []);
      state.messages.get(m.room).push(m);
      if (m.room === state.active) {
        $("messages").append(messageItem(m));
        $("messages").scrollTop = $("messages").scrollHeight;
      } else {
        state.unread.set(m.room, (state.unread.get(m.room) || 0) + 1);
        renderRooms();
      }
    });

    // A refreshed token was accepted: the connection now lives until its exp.
    socket.on("authenticated", () => {
      state.refreshing = false;
      state.refreshes += 1;
      tick();
    });

    // The server is about to end the session (token expired, refresh refused).
    socket.on("unauthorized", (err) => {
      state.endReason = (err && err.message) || "unauthorized";
    });

    socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") {
        const why = state.endReason || "the server closed the session";
        const expired = /expired/.test(why);
        endSession(
          expired
            ? `Your session ended: the token expired (${why}). Tick \u201ckeep me signed in\u201d to stay connected.`
            : `Your session ended: ${why}.`,
        );
      } else if (reason !== "io client disconnect") {
        setStatus("reconnecting", "connecting");
      }
    });

    socket.on("connect_error", (err) => {
      if (socket.active) {
        // A network problem: the client retries by itself.
        setStatus("reconnecting", "connecting");
        return;
      }
      // The server refused the CONNECT (bad or expired token): no retry.
      const code = err.data && err.data.code ? ` (${err.data.code})` : "";
      state.token = null;
      setStatus("refused", "offline");
      showNotice(`The server refused the connection: ${err.message}${code}.`, "bad");
      showLogin();
      tick();
    });
  }

  // ----- the forms -----

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = $("user").value.trim();
    $("login-button").disabled = true;
    try {
      resetSession();
      const { answer, receivedAt } = await postJson("/login", { user });
      setToken(answer, receivedAt);
      state.user = user;
      tick();
      connect();
    } catch (e) {
      showNotice(`Sign-in failed: ${e.message}`, "bad");
    } finally {
      $("login-button").disabled = false;
    }
  });

  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const room = $("room-name").value.trim();
    if (!state.socket) return;
    state.socket.emit("join", room, (answer) => {
      if (!answer || !answer.ok) {
        $("send-error").textContent = (answer && answer.error) || "could not join";
        $("send-error").hidden = false;
        return;
      }
      state.rooms = Array.from(new Set([LOBBY, ...answer.rooms]));
      $("room-name").value = "";
      setActive(answer.room);
    });
  });

  $("leave").addEventListener("click", () => {
    const room = state.active;
    if (!state.socket || room === LOBBY) return;
    state.socket.emit("leave", room, (answer) => {
      if (answer && answer.ok) {
        state.rooms = Array.from(new Set([LOBBY, ...answer.rooms]));
        state.messages.delete(room);
        setActive(LOBBY);
      }
    });
  });

  $("message-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!state.socket || !text.trim()) return;
    state.socket.emit("message", { room: state.active, text }, (answer) => {
      if (answer && answer.ok) {
        $("text").value = "";
        $("send-error").hidden = true;
      } else {
        $("send-error").textContent = (answer && answer.error) || "not sent";
        $("send-error").hidden = false;
      }
    });
  });

  $("logout").addEventListener("click", () => {
    resetSession();
    hideNotice();
    setStatus("signed out", "offline");
    showLogin();
  });

  $("notice-action").addEventListener("click", () => {
    resetSession();
    hideNotice();
    setStatus("signed out", "offline");
    showLogin();
  });

  $("keep").addEventListener("change", tick);

  // The browser is back online: reconnect now rather than when the reconnection backoff says
  // (up to 5 s later). The socket keeps its session id and offset, so it recovers all the same.
  window.addEventListener("online", () => {
    const socket = state.socket;
    if (socket && socket.active && !socket.connected && !state.ended) socket.disconnect().connect();
  });

  setInterval(tick, 200);
  tick();

  // For the browser test and the curious: read-only state.
  window.chatDemo = {
    get connected() { return Boolean(state.socket && state.socket.connected); },
    get socketId() { return state.socket && state.socket.id; },
    get recovered() { return Boolean(state.socket && state.socket.recovered); },
    get user() { return state.user; },
    get refreshes() { return state.refreshes; },
    get deadline() { return state.deadline; },
    get received() { return [...state.messages.values()].flat().map((m) => `${m.room}/${m.from}: ${m.text}`); },
  };
})();
