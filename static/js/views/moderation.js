// @ts-check
/**
 * A facilitator's tools in the list of who is here: per participant "Nommer co-animateur·rice"
 * and "Retirer" (the latter asks first), per other facilitator "Retirer le rôle d'animation"
 * only: nobody is offered to remove a facilitator, nor themselves. The room's creator is
 * offered nothing: the server refuses to remove or demote them (`participant.creator`).
 * Only facilitators use them, so a participant's phone never downloads them: the room page
 * fetches this module on a facilitator's page (lazy.js), and the list redraws once it is here.
 */
import { h } from "../dom.js";
import { t } from "../i18n.js";

/** @typedef {import("./presence.js").PresenceView} PresenceView */

/**
 * Someone else's item, with the tools a facilitator has on them.
 * @param {PresenceView} view @param {string} id @param {string} name @param {HTMLElement} line
 * @param {string | undefined} role @param {boolean} creator
 */
export function moderatedItem(view, id, name, line, role, creator) {
  if (role === "facilitator") { // a facilitator is not removed; their role can be taken back first
    if (view.confirming === id) view.confirming = null;
    if (creator) return h("li", { dataset: { id } }, [line]); // nor the creator's role, ever
    return h("li", { dataset: { id } }, [
      line,
      h("div", { class: "person-tools" }, [
        h("button", { type: "button", class: "button small", dataset: { action: "demote", id } },
          [t("js.presence.demote"), h("span", { class: "visually-hidden" }, [` : ${name}`])]),
      ]),
    ]);
  }
  if (view.confirming === id) {
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

/** One of those tools was pressed. @param {PresenceView} view @param {import("../state.js").State} state @param {HTMLElement} button */
export function moderate(view, state, button) {
  const id = button.dataset.id ?? "";
  const action = button.dataset.action;
  if (action === "remove") {
    view.confirming = id;
    view.draw(state);
    view.refocus({ action: "remove-yes", id });
  } else if (action === "remove-no") {
    view.confirming = null;
    view.draw(state);
    view.refocus({ action: "remove", id });
  } else if (action === "remove-yes") {
    view.confirming = null;
    view.send({ type: "participant.remove", participant: id });
    view.draw(state);
    view.list.closest("aside")?.querySelector("h2")?.setAttribute("tabindex", "-1");
    /** @type {HTMLElement | null | undefined} */ (view.list.closest("aside")?.querySelector("h2"))?.focus();
  } else if (action === "promote" || action === "demote") {
    view.send({ type: "participant.role", participant: id, role: action === "promote" ? "facilitator" : "participant" });
  }
}
