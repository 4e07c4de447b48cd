// static/js/client.js keeps one room current: here, what a reconnecting page does with the
// frames of a catch-up or a resync, against a fake WebSocket (no browser, no server).
import assert from "node:assert/strict";
import { test } from "node:test";

class FakeSocket {
  static OPEN = 1;
  constructor() {
    this.readyState = 0;
  }
  addEventListener() {}
  send() {}
  close() {}
}
Object.assign(globalThis, {
  WebSocket: FakeSocket,
  location: { protocol: "http:", host: "essaim.test" },
  window: { addEventListener() {} },
  document: { addEventListener() {}, visibilityState: "visible" },
  localStorage: { getItem: () => null, setItem() {} },
});
const { RoomClient } = await import("../../static/js/client.js");
const { remaining } = await import("../../static/js/state.js");

const TIMER = { state: "running", ends_at: 0, remaining: null, duration: 60 };

/** A snapshot frame of seq `seq`, with the timer `timer`. */
function snapshot(seq = 10, timer = { state: "stopped" }) {
  return {
    type: "snapshot", v: 1, seq, now: Date.now() / 1000, prompts: [], ideas: [], present: [],
    room: { id: "r", title: "Atelier", phase: "write", timer },
    me: { id: "pub-me", author: "tag-me", name: "Camille", role: "participant" },
  };
}

/** A client whose page has a snapshot of seq 10, taken while the local clock matches the server's. */
function client() {
  const room = new RoomClient({ room: "r", version: 1 }, {
    onReset() {}, onChange() {}, onStatus() {}, onRemoved() {},
  });
  const now = Date.now() / 1000;
  room.onFrame(snapshot());
  return { room, now };
}

for (const kind of ["catchup", "resync"]) {
  test(`a ${kind} after two minutes asleep shows the time left now, not the logged one`, () => {
    const { room, now } = client();
    // The timer started 120 s ago for 180 s: 60 s are left. Its event says now = then.
    const started = { type: "timer.changed", seq: 11, timer: { ...TIMER, ends_at: now + 60 }, now: now - 120 };
    const frame = kind === "catchup"
      ? { type: "catchup", seq: 11, now, present: [], events: [started] }
      : { type: "resync", since: 10, now, events: [started], complete: true };
    room.onFrame(frame);
    const left = remaining(/** @type {any} */ (room.state));
    assert.ok(left !== null && Math.abs(left - 60) < 2, `left ${left}`);
  });
}

test("a live timer.changed still sets the clock from its own now", () => {
  const { room, now } = client();
  room.onFrame({ type: "timer.changed", seq: 11, timer: { ...TIMER, ends_at: now + 300 }, now: now + 100 });
  const left = remaining(/** @type {any} */ (room.state));
  assert.ok(left !== null && Math.abs(left - 200) < 2, `left ${left}`); // the server's clock runs 100 s ahead
});

test("a snapshot read before an event the page already applied is asked for again, not applied", () => {
  const { room, now } = client();
  /** @type {any[]} */ const sent = [];
  room.connection.socket = /** @type {any} */ ({ readyState: FakeSocket.OPEN, send: (/** @type {string} */ text) => sent.push(JSON.parse(text)), close() {} });
  const running = { ...TIMER, ends_at: now + 60 };
  room.onFrame({ type: "timer.changed", seq: 11, timer: running, now });
  room.onFrame(snapshot(10)); // asked for before, read before the timer started, sent after it
  assert.equal(room.state?.seq, 11);
  assert.equal(room.state?.room.timer.state, "running"); // not back to stopped
  assert.deepEqual(sent, [{ type: "snapshot" }]);
  room.onFrame(snapshot(11, running)); // the fresh one
  assert.equal(room.state?.room.timer.state, "running");
  room.onFrame(snapshot(10)); // asked once more per stale answer only: never a loop (a restored database)
  room.onFrame(snapshot(9));
  assert.equal(room.state?.seq, 9);
  assert.equal(sent.length, 2);
});
