// @ts-check
/**
 * The facilitator's controls: phases (any one, forward or back, no
 * confirmation), the room's settings (applied at once), the timer, and how
 * many people said "J'ai fini". The markup is in room.html; this draws state
 * into it and turns clicks into commands.
 */
import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { doneOf } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */

const MAX_MINUTES = 120;

export class FacilitationPanel {
  /** @param {Send} send */
  constructor(send) {
    this.send = send;
    this.root = byId("facilitation");
    /** @type {State | null} */ this.state = null;
    byId("phase-bar").addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest("button[data-phase]");
      if (!(button instanceof HTMLElement) || !this.state) return;
      const phase = button.dataset.phase ?? "";
      if (phase !== this.state.room.phase) this.send({ type: "room.phase", phase });
    });
    for (const id of ["settings", "vote-settings"]) byId(id).addEventListener("change", (event) => {
      const input = /** @type {HTMLInputElement} */ (event.target);
      if (input.type === "checkbox") this.send({ type: "room.configure", [input.name]: input.checked });
      else if (input.type === "radio" && input.checked) this.send({ type: "room.configure", [input.name]: input.value });
      else if (input.type === "number" && input.checkValidity() && input.value) {
        this.send({ type: "room.configure", [input.name]: Number(input.value) });
      }
    });
    byId("timer-controls").addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest("button[data-timer]");
      if (!(button instanceof HTMLElement)) return;
      const action = button.dataset.timer;
      const seconds = Number(button.dataset.seconds);
      if (action === "start" || action === "add") this.send({ type: `timer.${action}`, seconds });
      else if (action === "pause" || action === "resume" || action === "stop") this.send({ type: `timer.${action}` });
    });
    byId("timer-custom").addEventListener("submit", (event) => {
      event.preventDefault();
      const field = /** @type {HTMLInputElement} */ (byId("timer-minutes"));
      const minutes = Math.round(Number(field.value));
      if (!Number.isFinite(minutes) || minutes < 1 || minutes > MAX_MINUTES) {
        field.focus();
        return;
      }
      this.send({ type: "timer.start", seconds: minutes * 60 });
    });
  }

  /** @param {State} state */
  draw(state) {
    this.state = state;
    const facilitator = state.me.role === "facilitator" && !state.removed;
    this.root.hidden = !facilitator;
    if (!facilitator) return;
    this.drawPhase(state);
    this.drawSettings(state);
    this.drawTimer(state);
    this.drawDone(state);
  }

  /** @param {State} state */
  drawPhase(state) {
    for (const button of byId("phase-bar").querySelectorAll("button[data-phase]")) {
      const current = /** @type {HTMLElement} */ (button).dataset.phase === state.room.phase;
      if (current) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
  }

  /** @param {State} state */
  drawSettings(state) {
    const settings = /** @type {Record<string, unknown>} */ (state.room.settings);
    for (const node of document.querySelectorAll("#settings input, #vote-settings input")) {
      const input = /** @type {HTMLInputElement} */ (node);
      if (input.type === "checkbox") input.checked = Boolean(settings[input.name]);
      else if (input.type === "number") input.value = String(settings[input.name] ?? "");
      else input.checked = settings[input.name] === input.value;
    }
  }

  /** @param {State} state */
  drawTimer(state) {
    const timer = state.room.timer;
    const on = timer.state === "running" || timer.state === "paused";
    byId("timer-running").hidden = !on;
    const pause = /** @type {HTMLElement} */ (this.root.querySelector('[data-timer="pause"]'));
    const resume = /** @type {HTMLElement} */ (this.root.querySelector('[data-timer="resume"]'));
    const hadFocus = document.activeElement === pause || document.activeElement === resume;
    pause.hidden = timer.state !== "running";
    resume.hidden = timer.state !== "paused";
    if (hadFocus) (pause.hidden ? resume : pause).focus(); // the same place, its other face
  }

  /** @param {State} state */
  drawDone(state) {
    const { done, of } = doneOf(state);
    byId("done-count").textContent = t("js.done.count", { done, present: of });
  }
}
