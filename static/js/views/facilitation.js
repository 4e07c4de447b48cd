// @ts-check
/**
 * The facilitator's controls: phases (any one, forward or back, no
 * confirmation), the room's settings (applied at once, but for a budget or
 * cap lowered while dots are placed: see `asksFirst`), the timer, how
 * many people said "J'ai fini", and everyone in the room, online or not, with
 * what each wrote. The markup is in room.html; this draws state into it and
 * turns clicks into commands.
 */
import { byId, h } from "../dom.js";
import { t } from "../i18n.js";
import { doneOf } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */

const MAX_MINUTES = 120;
/** After someone came or went, the list of everyone is fetched again this much later (names may be new). */
const REFETCH_MS = 1000;

/** @typedef {{id: string, name: string, role: string, creator: boolean, author: string}} Person */

export class FacilitationPanel {
  /** @param {Send} send */
  constructor(send) {
    this.send = send;
    this.root = byId("facilitation");
    /** @type {State | null} */ this.state = null;
    /** The budget or cap field lowered, waiting for "Baisser quand même" (see `asksFirst`). @type {HTMLInputElement | null} */
    this.lowering = null;
    this.people = new PeoplePanel(send);
    byId("vote-lower-apply").addEventListener("click", () => {
      const input = this.lowering;
      this.lowering = null;
      byId("vote-lower").hidden = true;
      if (input?.checkValidity()) this.send({ type: "room.configure", [input.name]: Number(input.value) });
      input?.focus();
    });
    byId("vote-lower-cancel").addEventListener("click", () => this.cancelLower());
    byId("phase-bar").addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest("button[data-phase]");
      if (!(button instanceof HTMLElement) || !this.state) return;
      const phase = button.dataset.phase ?? "";
      if (phase === this.state.room.phase) return;
      if (phase === "closed") this.askToClose(); // read-only, and the code stops: one click is too easy
      else this.send({ type: "room.phase", phase });
    });
    byId("close-confirm").addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest("button[data-close]");
      if (!(button instanceof HTMLElement)) return;
      byId("close-confirm").hidden = true;
      if (button.dataset.close === "yes") this.send({ type: "room.phase", phase: "closed" });
      else /** @type {HTMLElement | null} */ (byId("phase-bar").querySelector('[data-phase="closed"]'))?.focus();
    });
    for (const id of ["settings", "vote-settings"]) byId(id).addEventListener("change", (event) => {
      const input = /** @type {HTMLInputElement} */ (event.target);
      if (input.type === "checkbox") this.send({ type: "room.configure", [input.name]: input.checked });
      else if (input.type === "radio" && input.checked) this.send({ type: "room.configure", [input.name]: input.value });
      else if (input.type === "number" && input.checkValidity() && input.value) {
        if (this.asksFirst(input)) return;
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
      const seconds = Math.round(Number(field.value) * 60); // half minutes too: 1.5 is 90 s
      if (!Number.isFinite(seconds) || seconds < 30 || seconds > MAX_MINUTES * 60) {
        field.focus();
        return;
      }
      this.send({ type: "timer.start", seconds });
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

  askToClose() {
    byId("close-confirm").hidden = false;
    /** @type {HTMLElement} */ (byId("close-confirm").querySelector('[data-close="yes"]')).focus();
  }

  /** @param {State} state */
  drawPhase(state) {
    if (state.room.phase === "closed") byId("close-confirm").hidden = true;
    for (const button of byId("phase-bar").querySelectorAll("button[data-phase]")) {
      const current = /** @type {HTMLElement} */ (button).dataset.phase === state.room.phase;
      if (current) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
  }

  /**
   * A budget or a cap lowered while someone holds dots gives the newest dots beyond it back at
   * once, and raising it again does not put them back: ask first (the page knows who voted,
   * not how many dots would go). Until the answer, the field keeps the number asked for.
   * @param {HTMLInputElement} input @returns {boolean} whether the change waits for the answer
   */
  asksFirst(input) {
    const settings = /** @type {Record<string, unknown>} */ (this.state?.room.settings ?? {});
    const lower = (input.name === "vote_budget" || input.name === "vote_cap") && (this.state?.votes.voters ?? 0) > 0
      && Number(input.value) < Number(settings[input.name]);
    if (this.lowering && this.lowering !== input) this.cancelLower(false);
    this.lowering = lower ? input : null;
    byId("vote-lower").hidden = !lower;
    return lower;
  }

  /** The lowered number stays as it was: the field shows the room's again. @param {boolean} [focus] back on it */
  cancelLower(focus = true) {
    const input = this.lowering;
    this.lowering = null;
    byId("vote-lower").hidden = true;
    if (input && this.state) input.value = String(/** @type {Record<string, unknown>} */ (this.state.room.settings)[input.name] ?? "");
    if (focus) input?.focus();
  }

  /** @param {State} state */
  drawSettings(state) {
    const settings = /** @type {Record<string, unknown>} */ (state.room.settings);
    for (const node of document.querySelectorAll("#settings input, #vote-settings input")) {
      const input = /** @type {HTMLInputElement} */ (node);
      if (input.type === "checkbox") input.checked = Boolean(settings[input.name]);
      // Not the number being typed: another setting's event would undo the typing.
      else if (input.type === "number") { if (input !== document.activeElement && input !== this.lowering) input.value = String(settings[input.name] ?? ""); }
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

  /** Also when someone comes, goes, is removed or changes role (room.js). @param {State} state */
  drawDone(state) {
    const { done, of } = doneOf(state);
    byId("done-count").textContent = t("js.done.count", { done, present: of });
    this.people.draw(state);
  }
}

/**
 * Everyone still in the room, online or not (`GET /rooms/{id}/people.json`, facilitators only),
 * fetched when the facilitator opens the list: someone who posted something abusive and closed
 * their tab can still be removed, or appointed. Each person comes with the ideas they wrote (the
 * `author` tag their ideas carry), so the facilitator can see who wrote what, and find it by a
 * word of the idea, while the room never sees pseudonyms on ideas unless the room shows them.
 */
export class PeoplePanel {
  /** @param {Send} send */
  constructor(send) {
    this.send = send;
    this.box = /** @type {HTMLDetailsElement} */ (byId("people"));
    this.list = byId("people-list");
    this.filter = /** @type {HTMLInputElement} */ (byId("people-filter"));
    this.status = byId("people-status");
    /** @type {Person[] | null} */ this.everyone = null;
    /** @type {State | null} */ this.state = null;
    /** The person whose removal waits for a "yes". @type {string | null} */ this.confirming = null;
    /** Removed from this page since the list came. */ this.gone = new Set();
    /** Who was present when the list was fetched. */ this.fetchedFor = "";
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.later = undefined;
    this.box.addEventListener("toggle", () => {
      if (this.box.open) this.fetch();
    });
    this.filter.addEventListener("input", () => this.render());
    this.list.addEventListener("click", (event) => this.onClick(event));
  }

  /** @param {State} state */
  draw(state) {
    this.state = state;
    if (!this.box.open) return;
    if (presentKey(state) !== this.fetchedFor) {
      clearTimeout(this.later);
      this.later = setTimeout(() => this.fetch(), REFETCH_MS);
    }
    this.render();
  }

  async fetch() {
    const state = this.state;
    if (!state) return;
    this.fetchedFor = presentKey(state);
    if (!this.everyone) this.status.textContent = t("js.people.loading");
    try {
      const response = await fetch(`/rooms/${encodeURIComponent(state.room.id)}/people.json`,
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(`people.json: ${response.status}`);
      this.everyone = /** @type {{people: Person[]}} */ (await response.json()).people;
      this.gone.clear();
    } catch {
      this.everyone = null;
      this.list.replaceChildren();
      this.status.textContent = t("js.people.failed");
      return;
    }
    this.render();
  }

  render() {
    const state = this.state;
    if (!state || !this.everyone) return;
    const focused = document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement)
      ? { action: document.activeElement.dataset.action ?? "", id: document.activeElement.dataset.id ?? "" } : null;
    const words = this.filter.value.trim().toLocaleLowerCase();
    const rows = this.everyone
      .filter((person) => person.id !== state.me.id && !this.gone.has(person.id))
      .map((person) => ({ person, ideas: [...state.ideas.values()].filter((idea) => idea.author === person.author) }))
      .map((row) => ({ ...row, found: Boolean(words) && row.ideas.some((idea) => idea.text.toLocaleLowerCase().includes(words)) }))
      .filter((row) => !words || row.found || row.person.name.toLocaleLowerCase().includes(words))
      .sort((a, b) => a.person.name.localeCompare(b.person.name));
    this.list.replaceChildren(...rows.map((row) => this.item(state, row.person, row.ideas, row.found)));
    this.status.textContent = rows.length ? t("js.people.shown", { count: rows.length }) : t("js.people.none");
    if (focused) {
      const same = `button[data-action="${focused.action}"][data-id="${CSS.escape(focused.id)}"]`;
      /** @type {HTMLElement | null} */ (this.list.querySelector(same)
        ?? this.list.querySelector(`li[data-id="${CSS.escape(focused.id)}"] button`))?.focus();
    }
  }

  /**
   * One person: name, role, online or not, their ideas (open when the search found one), their tools.
   * @param {State} state @param {Person} person @param {import("../state.js").Idea[]} ideas @param {boolean} found
   */
  item(state, person, ideas, found) {
    const { id, name } = person;
    const role = state.roles.get(id) ?? person.role;
    const line = h("p", { class: "person-name" }, [
      name,
      role === "facilitator" ? h("span", { class: "badge" }, [t(person.creator ? "role.creator" : "role.facilitator")]) : null,
      ` · ${t(state.present.has(id) ? "js.people.online" : "js.people.offline")}`,
    ]);
    const written = ideas.length ? h("details", { class: "people-ideas", open: found }, [
      h("summary", {}, [t("js.people.ideas", { count: ideas.length })]),
      h("ul", {}, ideas.map((idea) => h("li", {}, [idea.text]))),
    ]) : h("p", { class: "hint" }, [t("js.people.ideas", { count: 0 })]);
    return h("li", { dataset: { id } }, [line, written, this.tools(id, name, role, person.creator)]);
  }

  /** Who may be removed or appointed: as in the list of who is here (moderation.js). @param {string} id @param {string} name @param {string} role @param {boolean} creator */
  tools(id, name, role, creator) {
    /** @param {string} action @param {string} label @param {string} [kind] @param {string} [hidden] */
    const button = (action, label, kind = "", hidden = ` : ${name}`) => h("button",
      { type: "button", class: `button small ${kind}`, dataset: { action, id } },
      [label, hidden ? h("span", { class: "visually-hidden" }, [hidden]) : null]);
    if (creator) return null; // the server refuses to remove or demote the room's creator
    if (role === "facilitator") return h("div", { class: "person-tools" }, [button("demote", t("js.presence.demote"))]);
    if (this.confirming === id) {
      return h("div", { class: "person-tools" }, [
        h("p", { class: "confirm-text" }, [t("js.presence.remove_question", { name })]),
        button("remove-yes", t("js.presence.remove_confirm"), "danger", ""),
        button("remove-no", t("js.idea.cancel"), "", ""),
      ]);
    }
    return h("div", { class: "person-tools" }, [
      button("promote", t("js.presence.promote")), button("remove", t("js.presence.remove"), "danger", ` ${name}`)]);
  }

  /** @param {Event} event */
  onClick(event) {
    const pressed = /** @type {HTMLElement} */ (event.target).closest("button[data-action]");
    if (!(pressed instanceof HTMLElement)) return;
    const id = pressed.dataset.id ?? "";
    const action = pressed.dataset.action;
    if (action === "promote" || action === "demote") {
      this.send({ type: "participant.role", participant: id, role: action === "promote" ? "facilitator" : "participant" });
      return;
    }
    if (action === "remove-yes") {
      this.send({ type: "participant.remove", participant: id });
      this.gone.add(id);
    }
    this.confirming = action === "remove" ? id : null;
    this.render();
    if (action === "remove") /** @type {HTMLElement | null} */ (this.list.querySelector(`[data-action="remove-yes"][data-id="${CSS.escape(id)}"]`))?.focus();
    else if (action === "remove-no") /** @type {HTMLElement | null} */ (this.list.querySelector(`[data-action="remove"][data-id="${CSS.escape(id)}"]`))?.focus();
    else if (action === "remove-yes") this.filter.focus();
  }
}

/** Who is here, as one string: when it changes, the list of everyone may have new names. @param {State} state */
function presentKey(state) {
  return [...state.present.keys()].sort().join(" ");
}
