// The chat benchmark's load generator (driven by bench/chat.py): one Node process, native-speed
// sockets, so the clients are not what is measured.
//
// `node bench/chat_load.js '<json config>'`. Two modes with the same clients, rate and frames:
//   ws:    `clients` websockets to a live room (`url`); the first `tokens.length` are signed in and
//          take turns sending {"type": "chat.send"} at `rate` msg/s in total; every socket, senders
//          included, receives every message.
//   redis: the baseline — `clients` Redis SUBSCRIBE connections to one channel, one publisher that
//          PUBLISHes a frame of the same shape and size per message (bare pub/sub, no server).
// Every message carries its scheduled send time (performance.now(): one process, one clock), so
// send->receive latency is measured at every receiver, into 0.1 ms buckets; a generator that falls
// behind shows as latency (and as `send_lag`), never as a hidden gap. Lost = expected - received,
// where expected = sent x sockets. Progress on stdout, one line each: READY {...}, SENDING, SENT,
// RESULT {...}; the driver samples the server's CPU between SENDING and RESULT.

"use strict";

const net = require("node:net");
const { performance, monitorEventLoopDelay } = require("node:perf_hooks");
const WebSocket = require("ws");

const config = JSON.parse(process.argv[2]);
const BUCKET_MS = 0.1;
const MAX_MS = 120_000;
const histogram = new Uint32Array(MAX_MS / BUCKET_MS + 1);
const sendLag = new Uint32Array(MAX_MS / BUCKET_MS + 1);
const total = Math.ceil(config.rate * config.seconds);
const receivedPerMessage = new Uint32Array(total);
const stats = {
  connected: 0,
  connect_failures: 0,
  received: 0,
  duplicates: 0,
  foreign_frames: 0,
  disconnects: 0,
  close_codes: {},
  errors: {},
  sent: 0,
  send_failures: 0,
  max_ms: 0,
};
let stopping = false;

function record(buckets, ms) {
  buckets[Math.min(buckets.length - 1, Math.max(0, Math.round(ms / BUCKET_MS)))] += 1;
}

function percentile(buckets, pct) {
  let count = 0;
  for (const n of buckets) count += n;
  if (!count) return null;
  const rank = Math.max(1, Math.ceil((pct / 100) * count));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i];
    if (seen >= rank) return Math.round(i * BUCKET_MS * 100) / 100;
  }
  return null;
}

function emit(line, payload) {
  process.stdout.write(payload === undefined ? `${line}\n` : `${line} ${JSON.stringify(payload)}\n`);
}

// The client frame the chat sends (live.services.chat.message_payload), for the baseline's payload.
function frameLike(seq, text) {
  return JSON.stringify({
    type: "chat.message",
    id: String(100000 + seq),
    user: { username: "bench_chatter0", display_name: "" },
    text,
    sent_at: new Date().toISOString(),
  });
}

function onFrame(raw) {
  const now = performance.now();
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch {
    stats.foreign_frames += 1;
    return;
  }
  if (frame.type === "chat.message" && typeof frame.text === "string" && frame.text.startsWith("bench ")) {
    const [, seqText, sentText] = frame.text.split(" ");
    const seq = Number(seqText);
    const ms = now - Number(sentText);
    if (receivedPerMessage[seq] >= stats.connected) {
      stats.duplicates += 1;
      return;
    }
    receivedPerMessage[seq] += 1;
    stats.received += 1;
    record(histogram, ms);
    if (ms > stats.max_ms) stats.max_ms = ms;
  } else if (frame.type === "error") {
    stats.errors[frame.code] = (stats.errors[frame.code] || 0) + 1;
  } else {
    stats.foreign_frames += 1; // viewer counts and the like
  }
}

function onClosed(code) {
  if (stopping) return;
  stats.disconnects += 1;
  stats.close_codes[code] = (stats.close_codes[code] || 0) + 1;
}

async function limited(count, concurrency, open) {
  let next = 0;
  const results = new Array(count);
  async function lane() {
    while (next < count) {
      const index = next++;
      results[index] = await open(index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

// --- websocket mode ---------------------------------------------------------------------------

function openSocket(index) {
  const token = config.tokens[index];
  const target = token ? `${config.url}?token=${encodeURIComponent(token)}` : config.url;
  return new Promise((resolve) => {
    const ws = new WebSocket(target, {
      origin: config.origin,
      // As a browser does, offer permessage-deflate; ws inflates on libuv's thread pool, through a
      // limiter shared by every socket (10 at a time by default: a queue of its own at 1,000 sockets).
      perMessageDeflate: config.deflate ? { concurrencyLimit: config.zlib_concurrency || 10 } : false,
      handshakeTimeout: 120_000,
    });
    let opened = false;
    ws.on("open", () => {
      opened = true;
      resolve(ws);
    });
    ws.on("message", (data) => onFrame(data.toString()));
    ws.on("close", (code) => (opened ? onClosed(code) : undefined));
    ws.on("error", () => {
      if (!opened) {
        stats.connect_failures += 1;
        resolve(null);
      }
    });
  });
}

async function runWebsockets() {
  const sockets = (await limited(config.clients, config.connect_concurrency, openSocket)).filter(Boolean);
  const senders = sockets.slice(0, config.tokens.length);
  return {
    sockets,
    send(seq, text) {
      const ws = senders[seq % senders.length];
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify({ type: "chat.send", text }));
      return true;
    },
    close() {
      for (const ws of sockets) ws.terminate();
    },
  };
}

// --- Redis pub/sub mode (the baseline): RESP by hand, only what SUBSCRIBE/PUBLISH need ------------

function command(...parts) {
  const chunks = [`*${parts.length}\r\n`];
  for (const part of parts) chunks.push(`$${Buffer.byteLength(part)}\r\n${part}\r\n`);
  return chunks.join("");
}

// Parses RESP replies from a stream of chunks; calls onReply(value) for each complete one.
function respReader(onReply) {
  let buffer = Buffer.alloc(0);
  function parse(offset) {
    const end = buffer.indexOf("\r\n", offset);
    if (end < 0) return null;
    const kind = String.fromCharCode(buffer[offset]);
    const head = buffer.toString("utf8", offset + 1, end);
    if (kind === "+" || kind === "-" || kind === ":") return { value: kind === "-" ? new Error(head) : head, next: end + 2 };
    if (kind === "$") {
      const length = Number(head);
      if (length < 0) return { value: null, next: end + 2 };
      if (buffer.length < end + 2 + length + 2) return null;
      return { value: buffer.toString("utf8", end + 2, end + 2 + length), next: end + 2 + length + 2 };
    }
    if (kind === "*") {
      const items = [];
      let next = end + 2;
      for (let i = 0; i < Number(head); i++) {
        const item = parse(next);
        if (item === null) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    throw new Error(`unexpected RESP type ${kind}`);
  }
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const reply = parse(offset);
      if (reply === null) break;
      offset = reply.next;
      onReply(reply.value);
    }
    buffer = buffer.subarray(offset);
  };
}

function redisConnection(onReply) {
  return new Promise((resolve) => {
    const socket = net.connect(config.redis.path ? { path: config.redis.path } : config.redis);
    socket.setNoDelay(true);
    socket.on("data", respReader(onReply));
    socket.once("connect", () => {
      if (config.redis.password) socket.write(command("AUTH", config.redis.password));
      resolve(socket);
    });
    socket.once("error", () => {
      stats.connect_failures += 1;
      resolve(null);
    });
  });
}

async function runRedis() {
  const channel = config.redis.channel;
  const subscribers = await limited(config.clients, config.connect_concurrency, async () => {
    let confirm;
    const confirmed = new Promise((resolve) => (confirm = resolve));
    const socket = await redisConnection((reply) => {
      if (Array.isArray(reply) && reply[0] === "message") onFrame(reply[2]);
      else if (Array.isArray(reply) && reply[0] === "subscribe") confirm(true);
    });
    if (socket === null) return null;
    socket.on("close", () => onClosed("redis"));
    socket.write(command("SUBSCRIBE", channel));
    await confirmed;
    return socket;
  });
  const sockets = subscribers.filter(Boolean);
  const publisher = await redisConnection(() => {});
  return {
    sockets,
    send(seq, text) {
      // The same work per message as the chat's fan-out gets: one encoded frame, one PUBLISH.
      publisher.write(command("PUBLISH", channel, frameLike(seq, text)));
      return true;
    },
    close() {
      for (const socket of [...sockets, publisher]) socket.destroy();
    },
  };
}

// --- the run ----------------------------------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main() {
  const connectStarted = performance.now();
  const cpuAtStart = process.cpuUsage();
  const clients = config.mode === "redis" ? await runRedis() : await runWebsockets();
  stats.connected = clients.sockets.length;
  emit("READY", {
    connected: stats.connected,
    connect_failures: stats.connect_failures,
    connect_s: Math.round(performance.now() - connectStarted) / 1000,
  });
  await sleep(config.settle_s * 1000); // the connect burst's own messages (viewer counts) pass first
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuAtSend = process.cpuUsage();
  emit("SENDING");
  const interval = 1000 / config.rate;
  const startedAt = performance.now();
  await new Promise((resolve) => {
    let seq = 0;
    function tick() {
      const now = performance.now();
      while (seq < total && startedAt + seq * interval <= now) {
        const scheduled = startedAt + seq * interval;
        record(sendLag, performance.now() - scheduled);
        // The scheduled time, not the actual one: a late send counts against the latency.
        if (clients.send(seq, `bench ${seq} ${scheduled.toFixed(3)}`)) stats.sent += 1;
        else stats.send_failures += 1;
        seq += 1;
      }
      if (seq >= total) return resolve();
      setTimeout(tick, Math.max(0, startedAt + seq * interval - performance.now()));
    }
    tick();
  });
  const sendSeconds = (performance.now() - startedAt) / 1000;
  emit("SENT");
  await sleep(config.grace_s * 1000);
  stopping = true;
  loopDelay.disable();
  const cpuSend = process.cpuUsage(cpuAtSend);
  const cpuAll = process.cpuUsage(cpuAtStart);
  const wallSend = sendSeconds + config.grace_s;
  // Every message a socket did not get: a dropped frame or a socket that went away.
  const expected = stats.sent * stats.connected;
  clients.close();
  emit("RESULT", {
    ...stats,
    mode: config.mode,
    max_ms: Math.round(stats.max_ms * 100) / 100,
    expected,
    lost: Math.max(0, expected - stats.received),
    p50_ms: percentile(histogram, 50),
    p99_ms: percentile(histogram, 99),
    p999_ms: percentile(histogram, 99.9),
    send_lag_p99_ms: percentile(sendLag, 99),
    event_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
    send_s: Math.round(sendSeconds * 100) / 100,
    generator_cpu_s: Math.round((cpuSend.user + cpuSend.system) / 1e4) / 100,
    generator_cpu_pct: Math.round(((cpuSend.user + cpuSend.system) / 1e6 / wallSend) * 1000) / 10,
    generator_cpu_with_connect_s: Math.round((cpuAll.user + cpuAll.system) / 1e4) / 100,
  });
  setTimeout(() => process.exit(0), 200);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
