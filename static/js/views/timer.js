// @ts-check
/**
 * The countdown, from the server's end time and the clock offset: the same
 * time on every screen. Screen readers hear it start, pause, reach one minute
 * and run out, never every second (a `timer` element: no live updates).
 */
import { say } from "../announce.js";
import { t } from "../i18n.js";
import { closedByTimer, formatClock, remaining } from "../state.js";

/** @typedef {import("../state.js").State} State */

const TICK_MS = 250;

export class TimerView {
  /**
   * @param {{box: HTMLElement, clock: HTMLElement, note: HTMLElement}} nodes
   * @param {{announce?: boolean, onClosedWriting?: () => void}} [options]
   */
  constructor(nodes, options = {}) {
    this.nodes = nodes;
    this.options = options;
    /** @type {State | null} */ this.state = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.ticker = undefined;
    /** What this run announced ("minute", "up"). */
    this.said = new Set();
    this.lastKey = "";
    this.lastState = "stopped";
    this.wasClosed = false;
  }

  /** A new state or a timer event. @param {State} state @param {boolean} [changed] a timer.changed just arrived */
  draw(state, changed = false) {
    const before = this.lastState; // the state is changed in place: keep the timer's own
    this.state = state;
    const timer = state.room.timer;
    this.lastState = timer.state;
    clearInterval(this.ticker);
    if (timer.state === "running") this.ticker = setInterval(() => this.tick(), TICK_MS);
    const left = remaining(state);
    // Moments already behind us are not announced (a page opened with 30 s left says nothing).
    this.said = new Set();
    if (left !== null && left <= 60) this.said.add("minute");
    if (left !== null && left <= 0) this.said.add("up");
    if (changed && this.options.announce) this.announceChange(before, timer.state, left ?? 0);
    this.tick();
  }

  /** @param {string} before @param {string} after @param {number} left */
  announceChange(before, after, left) {
    const time = { time: spoken(left) };
    if (after === "running" && left <= 0) say(t("js.timer.up"));
    else if (after === "running") {
      say(before === "paused" ? t("js.timer.resumed", time) : before === "running" ? t("js.timer.changed", time) : t("js.timer.started", time));
    } else if (after === "paused") say(t("js.timer.paused", time));
    else if (before !== "stopped") say(t("js.timer.stopped")); // stopped now
  }

  tick() {
    const state = this.state;
    if (!state) return;
    const timer = state.room.timer;
    const left = remaining(state);
    const { box, clock, note } = this.nodes;
    box.hidden = left === null;
    box.dataset.state = timer.state;
    if (left === null) {
      this.checkClosed(state);
      return;
    }
    const text = formatClock(left);
    if (clock.textContent !== text) clock.textContent = text;
    const up = left <= 0;
    const key = up ? "up" : timer.state;
    if (key !== this.lastKey) {
      this.lastKey = key;
      note.textContent = up ? t("js.timer.up") : timer.state === "paused" ? t("js.timer.paused_note") : "";
      box.dataset.up = String(up);
    }
    if (timer.state === "running") {
      if (left <= 60 && left > 0 && !this.said.has("minute")) {
        this.said.add("minute");
        if (this.options.announce) say(t("js.timer.one_minute"));
      }
      if (up && !this.said.has("up")) {
        this.said.add("up");
        if (this.options.announce) say(t("js.timer.up"));
      }
      if (up) clearInterval(this.ticker); // nothing left to count
    }
    this.checkClosed(state);
  }

  /** @param {State} state */
  checkClosed(state) {
    const closed = closedByTimer(state);
    if (closed !== this.wasClosed) {
      this.wasClosed = closed;
      this.options.onClosedWriting?.();
    }
  }
}

/** "3 minutes", "45 secondes": how a duration is said. @param {number} seconds */
function spoken(seconds) {
  const whole = Math.max(0, Math.ceil(seconds - 1e-6));
  if (whole >= 60 && whole % 60 === 0) return t("js.timer.minutes", { count: whole / 60 });
  if (whole >= 60) return t("js.timer.minutes_seconds", { minutes: Math.floor(whole / 60), seconds: whole % 60 });
  return t("js.timer.seconds", { count: whole });
}
