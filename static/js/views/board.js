// @ts-check
/**
 * The board: one section per prompt, one card per idea, keyed by id so that an
 * event touches only its card. Pending operations show as cards of their own,
 * marked "not yet sent", until the server confirms them.
 */
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { ideasOf, mayChange } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("../state.js").Idea} Idea */
/** @typedef {import("../connection.js").Op} Op */
/** @typedef {{add: (prompt: string, text: string, colour: string) => void, edit: (idea: string, text: string) => void, remove: (idea: string) => void}} Actions */

export class Board {
  /** @param {HTMLElement} root @param {{roomId: string, colours: string[], ideaMax: number}} config @param {Actions} actions */
  constructor(root, config, actions) {
    this.root = root;
    this.config = config;
    this.actions = actions;
    /** @type {Map<string, HTMLElement>} */ this.cards = new Map();
    /** @type {Map<string, HTMLElement>} */ this.lists = new Map();
    /** @type {Map<string, HTMLElement>} */ this.counts = new Map();
    /** @type {State | null} */ this.state = null;
    root.addEventListener("click", (event) => this.onClick(event));
    root.addEventListener("submit", (event) => this.onSubmit(event));
    root.addEventListener("keydown", (event) => this.onKeydown(event));
    root.addEventListener("input", (event) => this.onInput(event));
  }

  /** Draw everything from a fresh state (snapshot). Composers and their drafts survive. @param {State} state */
  reset(state) {
    this.state = state;
    if (this.root.dataset.ready !== "yes" || this.lists.size !== state.prompts.length) this.drawPrompts(state);
    for (const list of this.lists.values()) list.replaceChildren();
    this.cards.clear();
    for (const prompt of state.prompts) for (const idea of ideasOf(state, prompt.id)) this.place(idea);
    this.refreshCounts();
  }

  /** @param {State} state */
  drawPrompts(state) {
    this.lists.clear();
    this.counts.clear();
    const sections = state.prompts.map((prompt, index) => this.promptSection(prompt, index));
    this.root.replaceChildren(...sections);
    this.root.dataset.ready = "yes";
    this.root.setAttribute("aria-busy", "false");
  }

  /** @param {{id: string, title: string}} prompt @param {number} index */
  promptSection(prompt, index) {
    const headingId = `prompt-title-${prompt.id}`;
    const count = h("span", { class: "prompt-count" });
    const list = h("ul", { class: "ideas", attrs: { "aria-labelledby": headingId } });
    this.lists.set(prompt.id, list);
    this.counts.set(prompt.id, count);
    return h("section", { class: "prompt", id: `prompt-${prompt.id}`, attrs: { "aria-labelledby": headingId } }, [
      h("h2", { id: headingId, class: "prompt-title" }, [h("span", { class: "prompt-number" }, [`${index + 1}. `]), prompt.title, " ", count]),
      list,
      this.composer(prompt),
    ]);
  }

  /** @param {{id: string, title: string}} prompt */
  composer(prompt) {
    const fieldId = `compose-${prompt.id}`;
    const draft = localStorage.getItem(this.draftKey(prompt.id)) ?? "";
    const colours = h("fieldset", { class: "colours" }, [
      h("legend", { class: "visually-hidden" }, [t("js.compose.colour")]),
      ...this.config.colours.map((colour, i) =>
        h("label", { class: `swatch colour-${colour}` }, [
          h("input", { type: "radio", name: `colour-${prompt.id}`, value: colour, checked: i === 0 }),
          h("span", { class: "visually-hidden" }, [t(`colour.${colour}`)]),
        ]),
      ),
    ]);
    return h("form", { class: "composer", dataset: { prompt: prompt.id } }, [
      h("label", { htmlFor: fieldId, class: "composer-label" }, [t("js.compose.label", { prompt: prompt.title })]),
      h("textarea", { id: fieldId, name: "text", rows: 2, maxLength: this.config.ideaMax, value: draft,
        dataset: { prompt: prompt.id }, attrs: { "aria-describedby": `${fieldId}-hint` } }),
      h("p", { id: `${fieldId}-hint`, class: "hint" }, [t("js.compose.hint")]),
      h("div", { class: "composer-row" }, [colours, h("button", { type: "submit", class: "button primary" }, [t("js.compose.submit")])]),
    ]);
  }

  /** A refused idea goes back into its composer, so nothing typed is lost. @param {string} promptId @param {string} text */
  restoreDraft(promptId, text) {
    const field = /** @type {HTMLTextAreaElement | null} */ (document.getElementById(`compose-${promptId}`));
    if (!field || field.value.trim()) return;
    field.value = text;
    localStorage.setItem(this.draftKey(promptId), text);
  }

  /** @param {string} promptId */
  draftKey(promptId) {
    return `essaim:draft:${this.config.roomId}:${promptId}`;
  }

  /** A confirmed idea: draw it, or redraw it in place. @param {Idea} idea */
  place(idea) {
    const old = this.cards.get(idea.idea);
    if (old?.querySelector(".edit-form")) return; // someone is editing it here: do not pull the rug
    const card = this.card(idea, null);
    if (old) old.replaceWith(card);
    else this.lists.get(idea.prompt)?.append(card);
    this.cards.set(idea.idea, card);
  }

  /** @param {string} id */
  drop(id) {
    this.cards.get(id)?.remove();
    this.cards.delete(id);
  }

  /**
   * @param {Idea} idea
   * @param {string | null} pending the label when this card stands for an op not yet confirmed
   */
  card(idea, pending) {
    const state = /** @type {State} */ (this.state);
    const mine = idea.author === state.me.author;
    const labelId = `idea-${idea.idea}-text`;
    const tools = !pending && mayChange(state, idea)
      ? h("div", { class: "idea-tools" }, [
          h("button", { type: "button", class: "button small", dataset: { action: "edit", idea: idea.idea },
            attrs: { "aria-describedby": labelId } }, [t("js.idea.edit")]),
          h("button", { type: "button", class: "button small danger", dataset: { action: "delete", idea: idea.idea },
            attrs: { "aria-describedby": labelId } }, [t("js.idea.delete")]),
        ])
      : null;
    return h("li", { class: `idea colour-${idea.colour}${pending ? " pending" : ""}`, dataset: { id: idea.idea } }, [
      h("p", { class: "idea-text", id: labelId }, [idea.text]),
      h("p", { class: "idea-meta" }, [
        mine ? h("span", { class: "tag" }, [t("js.idea.mine")]) : null,
        pending ? h("span", { class: "tag pending-tag" }, [pending]) : null,
      ]),
      tools,
    ]);
  }

  /** Show the operations still waiting for the server. @param {Op[]} ops */
  showPending(ops) {
    for (const node of this.root.querySelectorAll("li.pending")) {
      const id = /** @type {HTMLElement} */ (node).dataset.id ?? "";
      const confirmed = this.state?.ideas.get(id);
      if (confirmed && this.cards.get(id) === node) {
        // An edit or delete answered by an `ack` (no event): show the idea as the server has it.
        const card = this.card(confirmed, null);
        node.replaceWith(card);
        this.cards.set(id, card);
      } else {
        node.remove();
        if (this.cards.get(id) === node) this.cards.delete(id);
      }
    }
    if (!this.state) return;
    for (const op of ops) {
      if (op.type === "idea.add") {
        const idea = { idea: `op-${op.op_id}`, prompt: String(op.prompt), author: this.state.me.author,
          text: String(op.text), colour: String(op.colour), at: Date.now() / 1000 };
        this.lists.get(idea.prompt)?.append(this.card(idea, t("js.idea.not_sent")));
      } else if (op.type === "idea.edit" || op.type === "idea.delete") {
        const current = this.state.ideas.get(String(op.idea));
        if (!current) continue;
        const shown = op.type === "idea.edit" ? { ...current, text: String(op.text ?? current.text) } : current;
        const label = op.type === "idea.edit" ? t("js.idea.edit_not_sent") : t("js.idea.delete_not_sent");
        const card = this.card(shown, label);
        this.cards.get(current.idea)?.replaceWith(card);
        this.cards.set(current.idea, card);
      }
    }
    this.refreshCounts();
  }

  refreshCounts() {
    for (const [promptId, list] of this.lists) {
      const n = list.querySelectorAll("li.idea:not(.pending)").length;
      const count = this.counts.get(promptId);
      if (count) count.textContent = t("js.prompt.count", { count: n });
    }
  }

  /** @param {Event} event */
  onSubmit(event) {
    const form = /** @type {HTMLFormElement} */ (event.target);
    if (form.classList.contains("composer")) {
      event.preventDefault();
      this.submitComposer(form);
    } else if (form.classList.contains("edit-form")) {
      event.preventDefault();
      const text = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem("text")).value;
      const id = form.dataset.idea ?? "";
      if (text.trim()) this.actions.edit(id, text);
      this.closeEditor(id);
    }
  }

  /** @param {HTMLFormElement} form */
  submitComposer(form) {
    const field = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem("text"));
    const prompt = form.dataset.prompt ?? "";
    const checked = /** @type {HTMLInputElement | null} */ (form.querySelector("input[type=radio]:checked"));
    if (!field.value.trim()) {
      field.focus();
      return;
    }
    this.actions.add(prompt, field.value, checked?.value ?? this.config.colours[0]);
    field.value = "";
    localStorage.removeItem(this.draftKey(prompt));
    field.focus();
  }

  /** @param {KeyboardEvent} event */
  onKeydown(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    if (event.key === "Enter" && !event.shiftKey && target instanceof HTMLTextAreaElement) {
      event.preventDefault();
      target.form?.requestSubmit();
    } else if (event.key === "Escape" && target.closest(".edit-form")) {
      const form = /** @type {HTMLFormElement} */ (target.closest(".edit-form"));
      this.closeEditor(form.dataset.idea ?? "");
    }
  }

  /** Keep drafts: a reload or a dead battery does not lose what was being typed. @param {Event} event */
  onInput(event) {
    const field = /** @type {HTMLElement} */ (event.target);
    if (field instanceof HTMLTextAreaElement && field.dataset.prompt) {
      try {
        localStorage.setItem(this.draftKey(field.dataset.prompt), field.value);
      } catch {
        /* storage unavailable: the text stays in the field */
      }
    }
  }

  /** @param {Event} event */
  onClick(event) {
    const button = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest("button[data-action]"));
    if (!button) return;
    const id = button.dataset.idea ?? "";
    const action = button.dataset.action;
    if (action === "edit") this.openEditor(id);
    else if (action === "cancel-edit") this.closeEditor(id);
    else if (action === "delete") this.confirmDelete(id);
    else if (action === "confirm-delete") {
      const prompt = this.state?.ideas.get(id)?.prompt;
      this.actions.remove(id);
      if (prompt) /** @type {HTMLElement | null} */ (document.getElementById(`compose-${prompt}`))?.focus();
    } else if (action === "cancel-delete") this.closeEditor(id);
  }

  /** @param {string} id */
  openEditor(id) {
    const idea = this.state?.ideas.get(id);
    const card = this.cards.get(id);
    if (!idea || !card) return;
    const fieldId = `edit-${id}`;
    const form = h("form", { class: "edit-form", dataset: { idea: id } }, [
      h("label", { htmlFor: fieldId, class: "visually-hidden" }, [t("js.idea.edit_label")]),
      h("textarea", { id: fieldId, name: "text", rows: 3, maxLength: this.config.ideaMax, value: idea.text }),
      h("div", { class: "idea-tools" }, [
        h("button", { type: "submit", class: "button small primary" }, [t("js.idea.save")]),
        h("button", { type: "button", class: "button small", dataset: { action: "cancel-edit", idea: id } }, [t("js.idea.cancel")]),
      ]),
    ]);
    card.replaceChildren(form);
    /** @type {HTMLTextAreaElement} */ (form.querySelector("textarea")).focus();
  }

  /** @param {string} id */
  confirmDelete(id) {
    const card = this.cards.get(id);
    const tools = card?.querySelector(".idea-tools");
    if (!card || !tools) return;
    const yes = h("button", { type: "button", class: "button small danger", dataset: { action: "confirm-delete", idea: id } }, [t("js.idea.delete_confirm")]);
    tools.replaceChildren(
      h("span", { class: "confirm-text" }, [t("js.idea.delete_question")]),
      yes,
      h("button", { type: "button", class: "button small", dataset: { action: "cancel-delete", idea: id } }, [t("js.idea.cancel")]),
    );
    yes.focus();
  }

  /** Redraw the card as it is and give focus back to its first tool. @param {string} id */
  closeEditor(id) {
    const idea = this.state?.ideas.get(id);
    if (!idea) return;
    this.cards.get(id)?.querySelector(".edit-form")?.remove();
    this.place(idea);
    /** @type {HTMLElement | null | undefined} */ (this.cards.get(id)?.querySelector("button"))?.focus();
  }
}
