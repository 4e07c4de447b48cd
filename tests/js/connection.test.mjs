// The socket's life as static/js/connection.js leads it, against a fake WebSocket and fake timers:
// what it does after each close code, when a ping goes unanswered, and what it resends.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

/** A WebSocket the test drives: it opens, answers, closes or refuses when told to. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeSocket[]} */ static made = [];

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    /** @type {string[]} */ this.sent = [];
    /** @type {Record<string, ((event: any) => void)[]>} */ this.listeners = {};
    this.closeCalls = 0;
    FakeSocket.made.push(this);
  }
  /** @param {string} type @param {(event: any) => void} listener */
  addEventListener(type, listener) {
    (this.listeners[type] ??= []).push(listener);
  }
  /** @param {string} type @param {any} [event] */
  emit(type, event = {}) {
    for (const listener of this.listeners[type] ?? []) listener(event);
  }
  /** @param {string} text */
  send(text) {
    this.sent.push(text);
  }
  close() {
    this.closeCalls += 1;
    if (this.readyState < FakeSocket.CLOSING) this.readyState = FakeSocket.CLOSING; // a dead line: no close event
  }
  // -- what the server (or the network) does --
  open() {
    this.readyState = FakeSocket.OPEN;
    this.emit("open");
  }
  /** @param {any} frame */
  hear(frame) {
    this.emit("message", { data: JSON.stringify(frame) });
  }
  /** @param {number} code */
  closedBy(code) {
    this.readyState = FakeSocket.CLOSED;
    this.emit("close", { code });
  }
  /** A handshake answered 403 (or no network): the browser says "error", then 1006, never "open". */
  refused() {
    this.readyState = FakeSocket.CLOSED;
    this.emit("error");
    this.emit("close", { code: 1006 });
  }
  get frames() {
    return this.sent.map((text) => JSON.parse(text));
  }
}

const stored = new Map();
Object.assign(globalThis, {
  WebSocket: FakeSocket,
  window: { addEventListener() {} },
  document: { addEventListener() {}, visibilityState: "visible" },
  localStorage: {
    getItem: (/** @type {string} */ key) => stored.get(key) ?? null,
    setItem: (/** @type {string} */ key, /** @type {string} */ value) => stored.set(key, value),
  },
});
const { CLOSE_REMOVED, CLOSE_REVOKED, Connection } = await import("../../static/js/connection.js");

const PING_EVERY_MS = 20000;
const PONG_WITHIN_MS = 10000;
const LONG_AFTER_MS = 10 * 60 * 1000; // well past the backoff's ceiling, many times over

/** A connection with its callbacks recorded. */
function connection() {
  const seen = { statuses: /** @type {string[]} */ ([]), ended: /** @type {number[]} */ ([]), frames: /** @type {any[]} */ ([]) };
  const conn = new Connection({
    url: "ws://essaim.test/rooms/r/ws", roomId: "r", version: 1,
    since: () => 7,
    onFrame: (frame) => seen.frames.push(frame),
    onStatus: (status) => seen.statuses.push(status),
    onPending: () => {},
    onEnded: (code) => seen.ended.push(code),
  });
  conn.start();
  return { conn, seen };
}

/** The latest socket opens and the room is current (what client.js does on the snapshot or catch-up). */
function online(/** @type {any} */ conn) {
  const socket = FakeSocket.made.at(-1);
  assert.ok(socket);
  socket.open();
  socket.hear({ type: "catchup", seq: 7, present: [], events: [] });
  conn.markReady();
  return socket;
}

beforeEach(() => {
  FakeSocket.made = [];
  stored.clear();
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
});
afterEach(() => mock.timers.reset());

describe("closed with 4001: the facilitator link was regenerated", () => {
  test("it tries again, and a browser whose cookie is the fresh one carries on", () => {
    const { conn, seen } = connection();
    online(conn);
    FakeSocket.made[0].closedBy(CLOSE_REVOKED);
    mock.timers.tick(500); // the first backoff step
    assert.equal(FakeSocket.made.length, 2);
    FakeSocket.made[1].refused(); // the fresh cookie was not there yet (its answer came after the close)
    mock.timers.tick(1000);
    assert.equal(FakeSocket.made.length, 3);
    online(conn);
    assert.deepEqual(seen.ended, []);
    assert.equal(seen.statuses.at(-1), "online");
    // And from now on an ordinary cut is an ordinary cut: it comes back, as always.
    FakeSocket.made[2].closedBy(1012);
    mock.timers.tick(LONG_AFTER_MS);
    FakeSocket.made[3].refused();
    mock.timers.tick(LONG_AFTER_MS);
    FakeSocket.made[4].refused();
    mock.timers.tick(LONG_AFTER_MS);
    assert.equal(FakeSocket.made.length, 6);
    assert.deepEqual(seen.ended, []);
  });

  test("refused on the way back in, it stops for good and says why, keeping what was not sent", () => {
    const { conn, seen } = connection();
    online(conn);
    conn.send({ type: "idea.add", prompt: "p", text: "pas encore partie" });
    FakeSocket.made[0].closedBy(CLOSE_REVOKED); // before the idea's answer
    mock.timers.tick(500);
    FakeSocket.made[1].refused(); // the old cookie: 403 on the handshake
    assert.deepEqual(seen.ended, [], "one refusal may be a blip");
    mock.timers.tick(1000);
    FakeSocket.made[2].refused(); // and again: this identity is gone
    assert.deepEqual(seen.ended, [CLOSE_REVOKED]);
    assert.equal(conn.ended, true);
    mock.timers.tick(LONG_AFTER_MS);
    conn.reconnectNow(); // the network's `online` event, the tab shown again: still nothing
    assert.equal(FakeSocket.made.length, 3, "it knocked again on a door that stays shut");
    assert.deepEqual(conn.queue.map((/** @type {any} */ op) => op.text), ["pas encore partie"]);
    assert.equal(JSON.parse(stored.get("essaim:pending:r")).length, 1);
  });

  test("without a 4001 first, refused handshakes are a network that is down: it keeps trying, backing off", () => {
    const { seen } = connection();
    const delays = [];
    for (let k = 0; k < 8; k++) {
      const before = FakeSocket.made.length;
      FakeSocket.made.at(-1)?.refused();
      let waited = 0;
      while (FakeSocket.made.length === before) {
        mock.timers.tick(50);
        waited += 50;
      }
      delays.push(waited);
    }
    assert.deepEqual(seen.ended, []);
    assert.ok(delays[0] <= 500 && delays[5] >= 7500 && Math.max(...delays) <= 15000, String(delays));
  });
});

describe("closed with 4003: this person was removed", () => {
  test("it stops at once and forgets the queue (nothing more is taken from this person)", () => {
    const { conn, seen } = connection();
    online(conn);
    conn.send({ type: "idea.add", prompt: "p", text: "trop tard" });
    FakeSocket.made[0].closedBy(CLOSE_REMOVED);
    mock.timers.tick(LONG_AFTER_MS);
    assert.deepEqual(seen.ended, [CLOSE_REMOVED]);
    assert.equal(FakeSocket.made.length, 1);
    assert.deepEqual(conn.queue, []);
  });
});

describe("a ping with no answer", () => {
  test("gives the socket up at once, without waiting for a close that a dead line never brings", () => {
    const { conn, seen } = connection();
    const dead = online(conn);
    mock.timers.tick(PING_EVERY_MS);
    assert.deepEqual(dead.frames.at(-1), { type: "ping" });
    mock.timers.tick(PONG_WITHIN_MS - 1);
    assert.equal(seen.statuses.at(-1), "online", "given up too early");
    mock.timers.tick(1);
    assert.equal(seen.statuses.at(-1), "offline");
    assert.equal(dead.closeCalls, 1);
    mock.timers.tick(1000); // the first backoff step is at most 500 ms
    assert.equal(FakeSocket.made.length, 2);
    dead.closedBy(1006); // the old socket's close, long after: ignored
    online(conn);
    assert.equal(seen.statuses.at(-1), "online");
    assert.equal(FakeSocket.made.length, 2);
  });

  test("a handshake that hangs (into a dead network) gets the same deadline, then another try", () => {
    const { conn, seen } = connection();
    const hanging = FakeSocket.made[0]; // never opens, never closes
    conn.reconnectNow(); // the `online` event: nothing to do while a socket is on its way
    assert.equal(FakeSocket.made.length, 1);
    mock.timers.tick(PONG_WITHIN_MS);
    assert.equal(seen.statuses.at(-1), "offline");
    assert.equal(hanging.closeCalls, 1);
    mock.timers.tick(1000);
    assert.equal(FakeSocket.made.length, 2);
    online(conn);
    mock.timers.tick(PONG_WITHIN_MS); // heard from: no deadline left until the next ping
    assert.equal(seen.statuses.at(-1), "online");
    assert.deepEqual(seen.ended, []);
  });

  test("an answer in time keeps the socket", () => {
    const { conn, seen } = connection();
    const socket = online(conn);
    for (let k = 0; k < 5; k++) {
      mock.timers.tick(PING_EVERY_MS);
      socket.hear({ type: "pong" });
    }
    mock.timers.tick(PONG_WITHIN_MS);
    assert.equal(seen.statuses.at(-1), "online");
    assert.equal(FakeSocket.made.length, 1);
  });
});

describe("pending operations", () => {
  test("are sent once per connection, after the hello and the catch-up, until the server answers", () => {
    const { conn } = connection();
    const first = online(conn);
    const op = conn.send({ type: "idea.add", prompt: "p", text: "une idée" });
    first.closedBy(1006);
    mock.timers.tick(1000);
    const second = FakeSocket.made[1];
    second.open();
    assert.deepEqual(second.frames, [{ type: "hello", v: 1, since: 7 }], "nothing before the room is current");
    conn.markReady();
    assert.deepEqual(second.frames.map((f) => f.op_id ?? f.type), ["hello", op.op_id]);
    second.hear({ type: "ack", op_id: op.op_id, seq: 8 });
    assert.deepEqual(conn.queue, []);
    second.closedBy(1012);
    mock.timers.tick(1000);
    online(conn);
    assert.deepEqual(FakeSocket.made[2].frames.map((f) => f.type), ["hello"]);
  });
});
