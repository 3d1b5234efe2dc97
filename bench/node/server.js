// The Node socket.io bench server: the behaviour every compared server implements the same way.
//
// Namespace "/"; "echo" is acknowledged with its argument (or emitted back as "echo" when no
// acknowledgement is asked); "join" (acknowledged) joins the room named by its argument; "bcast"
// broadcasts its argument as "bcast" to room "bench". With BENCH_JWT_SECRET set, the CONNECT must
// carry {"token": <HS256 JWT>} signed with it and not expired, else a connect error.
// socket.io 4.8 with its default engine (ws); listens on 127.0.0.1:PORT (default 3000). With
// BENCH_PARSER=msgpack it speaks socket.io-msgpack-parser.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const jwt = require("jsonwebtoken");

const port = Number(process.env.PORT || 3000);
const secret = process.env.BENCH_JWT_SECRET;

const httpServer = http.createServer();
const io = new Server(
  httpServer,
  process.env.BENCH_PARSER === "msgpack" ? { parser: require("socket.io-msgpack-parser") } : {},
);

if (secret) {
  io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (typeof token !== "string") {
      return next(new Error("credentials_required"));
    }
    try {
      socket.data.claims = jwt.verify(token, secret, { algorithms: ["HS256"] });
      next();
    } catch (e) {
      next(new Error(e.message));
    }
  });
}

io.on("connection", (socket) => {
  socket.on("echo", (arg, ack) => {
    if (typeof ack === "function") {
      ack(arg);
    } else {
      socket.emit("echo", arg);
    }
  });
  socket.on("join", (room, ack) => {
    socket.join(String(room));
    if (typeof ack === "function") {
      ack();
    }
  });
  socket.on("bcast", (arg) => {
    io.to("bench").emit("bcast", arg);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`node socket.io bench server listening on 127.0.0.1:${port}`);
});
