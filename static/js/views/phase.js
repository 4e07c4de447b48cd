// @ts-check
/**
 * The top of the room for everyone: the current phase and what it asks, in one
 * sentence; the private-writing note; the "J'ai fini" toggle.
 */
import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { phaseInstruction, phaseLabel } from "../phases.js";
import { isPrivateView, offersDone } from "../state.js";

/** @typedef {import("../state.js").State} State */

export class PhasePanel {
  /** @param {(done: boolean) => boolean} sendDone returns whether the frame left */
  constructor(sendDone) {
    this.sendDone = sendDone;
    this.panel = byId("phase-panel");
    this.button = byId("done-button");
    /** Said "J'ai fini" in this phase (the server forgets at each phase change). */
    this.done = false;
    /** @type {string | null} */ this.phase = null;
    this.button.addEventListener("click", () => {
      const wanted = !this.done;
      if (!this.sendDone(wanted)) return; // offline: the button stays as the server knows it
      this.done = wanted;
      this.drawDone();
    });
  }

  /** @param {State} state */
  draw(state) {
    const phase = state.room.phase;
    if (phase !== this.phase) {
      if (this.phase !== null) this.done = false;
      this.phase = phase;
    }
    this.panel.dataset.phase = phase;
    byId("phase-label").textContent = phaseLabel(phase);
    byId("phase-instruction").textContent = phaseInstruction(phase);
    byId("private-note").hidden = !isPrivateView(state);
    byId("done-row").hidden = !offersDone(state);
    this.drawDone();
  }

  /** After a reconnection the server may have forgotten: say it again. */
  resend() {
    if (this.done && !byId("done-row").hidden) this.sendDone(true);
  }

  drawDone() {
    this.button.setAttribute("aria-pressed", String(this.done));
    byId("done-hint").textContent = this.done ? t("js.done.thanks") : t("js.done.hint");
  }
}
