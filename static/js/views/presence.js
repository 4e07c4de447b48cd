// @ts-check
/**
 * Who is here: a live count and the list of pseudonyms, one item per person. The room's
 * creator is labelled "animation principale". Facilitators also get tools on the others
 * (name co-facilitator, remove, take the role back): moderation.js, which only a
 * facilitator's page fetches.
 */
import { byId, h } from "../dom.js";
import { t } from "../i18n.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */
/** @typedef {typeof import("./moderation.js")} Moderation */

export class PresenceView {
  /** @param {Send} send @param {(needed: boolean) => Moderation | null} moderation a facilitator's tools, once here (lazy.js) */
  constructor(send, moderation) {
    this.send = send;
    this.moderation = moderation;
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
    const tools = moderating && !me ? this.moderation(true) : null; // until it is here, the names alone
    return tools ? tools.moderatedItem(this, id, name, line, role, creator) : h("li", { dataset: { id } }, [line]);
  }

  /** @param {Event} event */
  onClick(event) {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-action]");
    if (!(button instanceof HTMLElement) || !this.state) return;
    this.moderation(false)?.moderate(this, this.state, button);
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
