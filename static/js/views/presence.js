// @ts-check
/**
 * Who is here: a live count and the list of pseudonyms, one item per person.
 * Facilitators also get, per participant, "Nommer co-animateur·rice" and "Retirer"
 * (the latter asks first), and per other facilitator "Retirer le rôle d'animation"
 * only: nobody is offered to remove a facilitator, nor themselves. The room's creator
 * is labelled "animation principale" and offered nothing: the server refuses to remove
 * or demote them (`participant.creator`).
 */
import { byId, h } from "../dom.js";
import { t } from "../i18n.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */

export class PresenceView {
  /** @param {Send} send */
  constructor(send) {
    this.send = send;
    this.list = byId("presence-list");
    /** The person whose removal waits for a "yes". @type {string | null} */
    this.confirming = null;
    /** @type {State | null} */ this.state = null;
    /** The creator's public id: fixed for the room, so the page's config says it once. */
    this.creator = creatorOf();
    this.list.addEventListener("click", (event) => this.onClick(event));
  }

  /** @param {State} state */
  draw(state) {
    this.state = state;
    const focused = this.focusedAction();
    const people = [...state.present.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    if (this.confirming && !state.present.has(this.confirming)) this.confirming = null;
    const moderating = state.me.role === "facilitator" && !state.removed;
    this.list.classList.toggle("moderated", moderating);
    this.list.replaceChildren(...people.map(([id, name]) => this.item(state, id, name, moderating)));
    byId("presence-count").textContent = String(people.length);
    byId("presence-label").textContent = t("js.presence.label", { count: people.length });
    if (focused) this.refocus(focused);
  }

  /** @param {State} state @param {string} id @param {string} name @param {boolean} moderating */
  item(state, id, name, moderating) {
    const me = id === state.me.id;
    const role = me ? state.me.role : state.roles.get(id);
    const creator = id === this.creator;
    const nameId = `person-${id}`;
    const line = h("span", { class: "person-name", id: nameId }, [
      name,
      me ? ` (${t("js.presence.you")})` : "",
      role === "facilitator" ? h("span", { class: "badge" }, [t(creator ? "role.creator" : "role.facilitator")]) : null,
    ]);
    if (!moderating || me) return h("li", { dataset: { id } }, [line]);
    if (role === "facilitator") { // a facilitator is not removed; their role can be taken back first
      if (this.confirming === id) this.confirming = null;
      if (creator) return h("li", { dataset: { id } }, [line]); // nor the creator's role, ever
      return h("li", { dataset: { id } }, [
        line,
        h("div", { class: "person-tools" }, [
          h("button", { type: "button", class: "button small", dataset: { action: "demote", id } },
            [t("js.presence.demote"), h("span", { class: "visually-hidden" }, [` : ${name}`])]),
        ]),
      ]);
    }
    if (this.confirming === id) {
      const questionId = `remove-question-${id}`;
      return h("li", { dataset: { id }, class: "confirming" }, [
        line,
        h("p", { class: "confirm-text", id: questionId }, [t("js.presence.remove_question", { name })]),
        h("div", { class: "person-tools" }, [
          h("button", { type: "button", class: "button small danger", dataset: { action: "remove-yes", id },
            attrs: { "aria-describedby": questionId } }, [t("js.presence.remove_confirm")]),
          h("button", { type: "button", class: "button small", dataset: { action: "remove-no", id } }, [t("js.idea.cancel")]),
        ]),
      ]);
    }
    return h("li", { dataset: { id } }, [
      line,
      h("div", { class: "person-tools" }, [
        h("button", { type: "button", class: "button small", dataset: { action: "promote", id } },
          [t("js.presence.promote"), h("span", { class: "visually-hidden" }, [` : ${name}`])]),
        creator ? null : h("button", { type: "button", class: "button small danger", dataset: { action: "remove", id } },
          [t("js.presence.remove"), h("span", { class: "visually-hidden" }, [` ${name}`])]),
      ]),
    ]);
  }

  /** @param {Event} event */
  onClick(event) {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-action]");
    if (!(button instanceof HTMLElement) || !this.state) return;
    const id = button.dataset.id ?? "";
    const action = button.dataset.action;
    if (action === "remove") {
      this.confirming = id;
      this.draw(this.state);
      this.refocus({ action: "remove-yes", id });
    } else if (action === "remove-no") {
      this.confirming = null;
      this.draw(this.state);
      this.refocus({ action: "remove", id });
    } else if (action === "remove-yes") {
      this.confirming = null;
      this.send({ type: "participant.remove", participant: id });
      this.draw(this.state);
      this.list.closest("aside")?.querySelector("h2")?.setAttribute("tabindex", "-1");
      /** @type {HTMLElement | null | undefined} */ (this.list.closest("aside")?.querySelector("h2"))?.focus();
    } else if (action === "promote" || action === "demote") {
      this.send({ type: "participant.role", participant: id, role: action === "promote" ? "facilitator" : "participant" });
    }
  }

  /** @returns {{action: string, id: string} | null} */
  focusedAction() {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !this.list.contains(active)) return null;
    return { action: active.dataset.action ?? "", id: active.dataset.id ?? "" };
  }

  /** @param {{action: string, id: string}} where */
  refocus(where) {
    const selector = `button[data-action="${where.action}"][data-id="${CSS.escape(where.id)}"]`;
    const target = /** @type {HTMLElement | null} */ (this.list.querySelector(selector) ?? this.list.querySelector(`li[data-id="${CSS.escape(where.id)}"] button`));
    target?.focus();
  }
}

/** The room's creator, from the page's config (`routes.room_config`). @returns {string | null} */
function creatorOf() {
  try {
    const config = JSON.parse(document.getElementById("essaim-config")?.textContent ?? "{}");
    return typeof config.creator === "string" ? config.creator : null;
  } catch {
    return null;
  }
}
