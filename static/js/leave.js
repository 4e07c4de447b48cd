// @ts-check
/**
 * "Quitter l'atelier": a confirmation dialog, then the `participant.leave` command.
 *
 * The server answers by closing every socket of this person ("removed"), after the event
 * that says they left; the page then says it is done (room.js) and this module forgets
 * what the browser kept of the room: drafts and unsent operations, which may quote ideas.
 */
import { byId } from "./dom.js";
import { t } from "./i18n.js";

export class LeaveDialog {
  /**
   * @param {string} roomId
   * @param {() => boolean} send sends the command; false when it cannot go now (offline)
   */
  constructor(roomId, send) {
    this.roomId = roomId;
    /** This person asked to leave, here or in another tab: a removal that follows is that. */
    this.chosen = false;
    this.dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("leave-dialog"));
    this.opener = document.getElementById("leave-open");
    if (!this.dialog || !this.opener) return; // the creator's page has no such button
    const dialog = this.dialog;
    const confirm = /** @type {HTMLButtonElement} */ (byId("leave-confirm"));
    this.confirm = confirm;
    this.opener.addEventListener("click", () => {
      this.say("");
      confirm.disabled = false;
      dialog.showModal(); // focus goes to "Rester" (autofocus): the safe choice comes first
    });
    byId("leave-cancel").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (!this.chosen) this.opener?.focus(); // back where the person was
    });
    confirm.addEventListener("click", () => {
      if (!send()) {
        this.say(t("js.leave.failed"));
        return;
      }
      this.chosen = true;
      confirm.disabled = true;
    });
  }

  /** The event said this person left (maybe from another tab). */
  left() {
    this.chosen = true;
  }

  /** The server refused (or could not take) the command: say why, and let them try again. @param {string} message */
  failed(message) {
    this.chosen = false;
    if (this.confirm) this.confirm.disabled = false;
    this.say(message);
  }

  /** It is done: close the dialog and forget what this browser kept of the room. */
  done() {
    this.chosen = true;
    if (this.dialog?.open) this.dialog.close();
    if (this.opener) this.opener.hidden = true;
    try {
      const mine = [`essaim:pending:${this.roomId}`];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        // Drafts are kept per prompt by views/board.js (`draftKey`), the queue by connection.js.
        if (key?.startsWith(`essaim:draft:${this.roomId}:`)) mine.push(key);
      }
      for (const key of mine) localStorage.removeItem(key);
    } catch {
      /* storage disabled: nothing was kept */
    }
  }

  /** @param {string} message */
  say(message) {
    const line = document.getElementById("leave-error");
    if (!line) return;
    line.textContent = message;
    line.hidden = !message;
  }
}
