// The timer's screen-reader announcements: at sensible moments, never every second.
// No browser: the live region is a fake element, time is node:test's mock clock.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, mock, test } from "node:test";

import { setCatalogue } from "../../static/js/i18n.js";
import { TimerView } from "../../static/js/views/timer.js";

const fr = JSON.parse(readFileSync(new URL("../../app/locales/fr.json", import.meta.url), "utf8"));
const START = 1_700_000_000_000; // ms

/** What the live region said, in order (announce.js writes its batched text there). */
let said = [];
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: START });
  said = [];
  const region = { set textContent(text) { said.push(text); }, get textContent() { return said.at(-1) ?? ""; } };
  globalThis.document = { getElementById: (id) => (id === "announcer" ? region : null) };
  setCatalogue(fr, "fr");
});
afterEach(() => {
  mock.timers.reset();
  delete globalThis.document;
});

function nodes() {
  return { box: { hidden: true, dataset: {} }, clock: { textContent: "" }, note: { textContent: "" } };
}

/** A room state with the given timer (server clock = this clock). */
function stateWith(timer) {
  return {
    room: { phase: "write", settings: { timer_closes_writing: false },
      timer: { state: "stopped", ends_at: null, remaining: null, duration: null, ...timer } },
    clockOffset: 0,
  };
}

const now = () => Date.now() / 1000;

/** Let `seconds` pass, a quarter of a second at a time (the view ticks every 250 ms). */
function pass(seconds) {
  for (let i = 0; i < seconds * 4; i += 1) mock.timers.tick(250);
}

test("a three-minute run is announced when it starts, at one minute left and when time is up", () => {
  const view = new TimerView(nodes(), { announce: true });
  const clockTexts = new Set();
  const state = stateWith({ state: "running", ends_at: now() + 180, duration: 180 });
  view.draw(state, true);
  for (let s = 0; s < 185; s += 1) {
    pass(1);
    clockTexts.add(view.nodes.clock.textContent);
  }
  assert.ok(clockTexts.size >= 180, "the clock ticks on screen every second");
  assert.deepEqual(said, ["Minuteur lancé : 3 minutes.", "Plus qu’une minute.", "Temps écoulé"]);
});

test("pausing, adding a minute, resuming and stopping are each said once, with the time left", () => {
  const view = new TimerView(nodes(), { announce: true });
  const state = stateWith({ state: "running", ends_at: now() + 300, duration: 300 });
  view.draw(state, true);
  pass(30);
  state.room.timer = { state: "paused", ends_at: null, remaining: 270, duration: 300 };
  view.draw(state, true);
  pass(10);
  state.room.timer = { state: "paused", ends_at: null, remaining: 330, duration: 300 };
  view.draw(state, true); // +1 min while paused: said once, with the new time
  pass(2);
  state.room.timer = { state: "running", ends_at: now() + 330, remaining: null, duration: 300 };
  view.draw(state, true);
  pass(20);
  state.room.timer = { state: "stopped", ends_at: null, remaining: null, duration: null };
  view.draw(state, true);
  pass(5);
  assert.deepEqual(said, ["Minuteur lancé : 5 minutes.", "Minuteur en pause : il reste 4 min 30 s.",
    "Minuteur en pause : il reste 5 min 30 s.", "Minuteur repris : il reste 5 min 30 s.", "Minuteur arrêté."]);
});

test("a page opened with 30 seconds left does not say 'one minute' late, but does say the end", () => {
  const view = new TimerView(nodes(), { announce: true });
  view.draw(stateWith({ state: "running", ends_at: now() + 30, duration: 180 })); // a snapshot, not an event
  pass(40);
  assert.deepEqual(said, ["Temps écoulé"]);
});

test("the projector's timer (announce off) says nothing at all", () => {
  const view = new TimerView(nodes());
  view.draw(stateWith({ state: "running", ends_at: now() + 70, duration: 70 }), true);
  pass(80);
  assert.deepEqual(said, []);
  assert.equal(view.nodes.clock.textContent, "00:00");
});
