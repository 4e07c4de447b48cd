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

/** A client whose page has a snapshot of seq 10, taken while the local clock matches the server's. */
function client() {
  const room = new RoomClient({ room: "r", version: 1 }, {
    onReset() {}, onChange() {}, onStatus() {}, onRemoved() {},
  });
  const now = Date.now() / 1000;
  room.onFrame({
    type: "snapshot", v: 1, seq: 10, now, prompts: [], ideas: [], present: [],
    room: { id: "r", title: "Atelier", phase: "write", timer: { state: "stopped" } },
    me: { id: "pub-me", author: "tag-me", name: "Camille", role: "participant" },
  });
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
