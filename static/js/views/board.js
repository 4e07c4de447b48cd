// @ts-check
/**
 * The board: one section per prompt, one card per idea, keyed by id so that an
 * event touches only its card. Pending operations show as cards of their own,
 * marked "not yet sent", until the server confirms them.
 *
 * Composers show only while this person may write. Facilitators also hide ideas from
 * participants, and rename, add and delete prompts: those tools are prompt-tools.js, which
 * only a facilitator's page fetches (the board redraws once it is here).
 */
import { h, keepTogether } from "../dom.js";
import { t } from "../i18n.js";
import {
  clustersOf, ideasOf, isPrivateView, mayChange, mayGroup, mayHide, mayVote, mayWrite, membersOf, talliesShown, totalOf,
} from "../state.js";
import { sourceTag } from "./provenance.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("../state.js").Idea} Idea */
/** @typedef {import("../state.js").Prompt} Prompt */
/** @typedef {import("../connection.js").Op} Op */
/** Cluster boxes, dots and the cluster forms: clusters.js, which the page fetches when a board needs it. */
/** @typedef {typeof import("./clusters.js")} ClusterParts */
/** @typedef {typeof import("./prompt-tools.js")} PromptTools */
/**
 * @typedef {{
 *   add: (prompt: string, text: string, colour: string) => void,
 *   edit: (idea: string, text: string) => void,
 *   remove: (idea: string) => void,
 *   hide: (idea: string, hidden: boolean) => void,
 *   send: (command: {type: string, [key: string]: unknown}) => void,
 *   selectionChanged: () => void,
 *   clusters: (needed: boolean) => ClusterParts | null,
 *   promptTools: (needed: boolean) => PromptTools | null,
 * }} Actions
 * @typedef {{section: HTMLElement, list: HTMLElement, count: HTMLElement, title: HTMLElement,
 *   number: HTMLElement, tools: HTMLElement, composer: HTMLFormElement, clusters: HTMLElement}} PromptNodes
 * @typedef {{box: HTMLElement, list: HTMLElement, title: HTMLElement, count: HTMLElement, extras: HTMLElement}} ClusterNodes
 */

export class Board {
  /** @param {HTMLElement} root @param {{room: string, colours: string[], ideaMax: number, promptMax?: number}} config @param {Actions} actions */
  constructor(root, config, actions) {
    this.root = root;
    this.config = config;
    this.actions = actions;
    /** @type {Map<string, HTMLElement>} */ this.cards = new Map();
    /** @type {Map<string, PromptNodes>} */ this.prompts = new Map();
    /** @type {Map<string, ClusterNodes>} */ this.clusters = new Map();
    /** Ideas ticked for grouping. @type {Set<string>} */ this.selected = new Set();
    /** The mode the cards were drawn for: "write", "group", "vote" or "results". */
    this.mode = "";
    /** @type {State | null} */ this.state = null;
    /** @type {HTMLFormElement | null} */ this.addPromptForm = null;
    root.addEventListener("click", (event) => this.onClick(event));
    root.addEventListener("submit", (event) => this.onSubmit(event));
    root.addEventListener("keydown", (event) => this.onKeydown(event));
    root.addEventListener("input", (event) => this.onInput(event));
    root.addEventListener("change", (event) => {
      const box = /** @type {HTMLInputElement} */ (event.target);
      if (!box.dataset?.select) return;
      if (box.checked) this.selected.add(box.dataset.select);
      else this.selected.delete(box.dataset.select);
      box.closest(".idea")?.classList.toggle("selected", box.checked);
      this.actions.selectionChanged();
    });
  }

  /** Draw everything from a fresh state (snapshot, phase, role). Composers and their drafts survive. @param {State} state */
  reset(state) {
    this.state = state;
    this.syncPrompts();
    for (const nodes of this.prompts.values()) {
      nodes.list.replaceChildren();
      nodes.clusters.replaceChildren();
    }
    this.cards.clear();
    this.clusters.clear();
    this.mode = this.modeOf(state);
    for (const id of [...this.selected]) if (!state.ideas.has(id) || this.mode !== "group") this.selected.delete(id);
    this.arrange();
    this.root.classList.toggle("grouping", this.mode === "group");
    this.root.classList.toggle("voting", this.mode === "vote");
    this.refreshWriting();
    this.refreshCounts();
    this.root.dataset.ready = "yes";
    this.root.setAttribute("aria-busy", "false");
  }

  /** Sections follow the prompts: new ones drawn, renamed ones retitled, deleted ones gone, in order. */
  syncPrompts() {
    const state = /** @type {State} */ (this.state);
    if (this.root.dataset.ready !== "yes") this.root.replaceChildren();
    const wanted = new Set(state.prompts.map((p) => p.id));
    for (const [id, nodes] of this.prompts) {
      if (wanted.has(id)) continue;
      nodes.section.remove();
      this.prompts.delete(id);
      for (const [ideaId, card] of this.cards) if (card.dataset.prompt === id) this.cards.delete(ideaId);
    }
    state.prompts.forEach((prompt, index) => {
      let nodes = this.prompts.get(prompt.id);
      if (!nodes) {
        nodes = this.promptSection(prompt);
        this.prompts.set(prompt.id, nodes);
      }
      if (nodes.title.textContent !== keepTogether(prompt.title) && !nodes.section.querySelector(".rename-form")) {
        nodes.title.textContent = keepTogether(prompt.title);
        const label = nodes.composer.querySelector(".composer-label");
        if (label) label.textContent = t("js.compose.label", { prompt: prompt.title });
      }
      nodes.number.textContent = `${index + 1}. `;
      this.root.append(nodes.section); // appending in order moves sections where they belong
    });
    const facilitator = state.me.role === "facilitator" && state.room.phase !== "closed" && !state.removed;
    const tools = this.actions.promptTools(facilitator);
    for (const nodes of this.prompts.values()) {
      nodes.tools.hidden = !facilitator || !tools;
      if (!facilitator) nodes.section.querySelector(".rename-form, .prompt-confirm")?.remove();
    }
    if (!facilitator) this.addPromptForm?.remove();
    tools?.syncPromptTools(this, facilitator);
  }

  /** @param {Prompt} prompt @returns {PromptNodes} */
  promptSection(prompt) {
    const headingId = `prompt-title-${prompt.id}`;
    const count = h("span", { class: "prompt-count" });
    const title = h("span", { class: "prompt-text" }, [keepTogether(prompt.title)]);
    const number = h("span", { class: "prompt-number" });
    const list = h("ul", { class: "ideas", dataset: { prompt: prompt.id }, attrs: { "aria-labelledby": headingId } });
    const clusters = h("div", { class: "clusters", dataset: { prompt: prompt.id } });
    const tools = h("div", { class: "prompt-tools", hidden: true }); // a facilitator's buttons: prompt-tools.js
    const composer = this.composer(prompt);
    const section = h("section", { class: "prompt", id: `prompt-${prompt.id}`, attrs: { "aria-labelledby": headingId } }, [
      h("h2", { id: headingId, class: "prompt-title" }, [number, title, " ", count]),
      tools,
      clusters,
      list,
      composer,
    ]);
    return { section, list, count, title, number, tools, composer, clusters };
  }

  /** @param {Prompt} prompt */
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


  /**
   * Composers show while this person may write (phase, settings, timer). Facilitators
   * may add ideas in more phases, but get composers only where writing belongs, to
   * keep their board readable.
   */
  refreshWriting() {
    if (!this.state) return;
    const state = this.state;
    const facilitator = state.me.role === "facilitator";
    const open = mayWrite(state) && (!facilitator || ["lobby", "write"].includes(state.room.phase)
      || (state.room.settings.add_after_write && state.room.phase !== "closed"));
    for (const nodes of this.prompts.values()) {
      const wasOpen = !nodes.composer.hidden;
      const focused = nodes.composer.contains(document.activeElement);
      nodes.composer.hidden = !open;
      if (wasOpen && !open && focused) nodes.section.querySelector("h2")?.setAttribute("tabindex", "-1");
      if (wasOpen && !open && focused) /** @type {HTMLElement | null} */ (nodes.section.querySelector("h2"))?.focus();
    }
    this.root.classList.toggle("private", isPrivateView(this.state));
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
    return `essaim:draft:${this.config.room}:${promptId}`;
  }

  /** @param {State} state @returns {string} what the cards offer: grouping, dots, results, or writing */
  modeOf(state) {
    if (mayVote(state)) return "vote";
    if (talliesShown(state) && ["results", "roadmap", "closed"].includes(state.room.phase)) return "results";
    if (mayGroup(state)) return "group";
    return "write";
  }

  /** A confirmed idea: draw it, or redraw it in place. @param {Idea} idea */
  place(idea) {
    const old = this.cards.get(idea.idea);
    if (old?.querySelector(".edit-form")) return; // someone is editing it here: do not pull the rug
    const card = this.card(idea, null);
    const focus = old ? focusInside(old) : null;
    if (old) old.replaceWith(card);
    else this.insertInOrder(card, idea);
    this.cards.set(idea.idea, card);
    if (focus) focus(card);
  }

  /**
   * A new card goes where `arrange` would put it, without a pass over the board: before the
   * first sibling that comes after it, or before the cards still waiting for the server. A
   * burst of 1,000 ideas then costs 1,000 short walks, not 1,000 sorts of the whole board.
   * @param {HTMLElement} card @param {Idea} idea
   */
  insertInOrder(card, idea) {
    const container = this.containerOf(idea);
    if (!container) return;
    const ideas = /** @type {State} */ (this.state).ideas;
    let next = /** @type {Element | null} */ (null);
    for (let node = container.lastElementChild; node; node = node.previousElementSibling) {
      const sibling = ideas.get(/** @type {HTMLElement} */ (node).dataset.id ?? "");
      const pending = node.classList.contains("pending") && this.cards.get(sibling?.idea ?? "") !== node;
      if (!pending && sibling && (sibling.position < idea.position
          || (sibling.position === idea.position && sibling.idea < idea.idea))) break;
      next = node;
    }
    container.insertBefore(card, next);
  }

  /** @param {Idea} idea */
  containerOf(idea) {
    if (idea.cluster) return this.clusters.get(idea.cluster)?.list ?? null;
    return this.prompts.get(idea.prompt)?.list ?? null;
  }

  /**
   * Put every cluster box and card where the state says, in order, moving the
   * existing nodes (no redraw); the focused element keeps the focus.
   */
  arrange() {
    const state = this.state;
    if (!state) return;
    const focused = /** @type {HTMLElement | null} */ (document.activeElement);
    // Until clusters.js is here, clustered ideas show loose; it redraws the board when it comes.
    const grouped = !isPrivateView(state) && this.parts(state.clusters.size > 0) !== null;
    for (const [id, nodes] of this.clusters) {
      if (!state.clusters.has(id) || !grouped) {
        nodes.box.remove();
        this.clusters.delete(id);
      }
    }
    for (const prompt of state.prompts) {
      const nodes = this.prompts.get(prompt.id);
      if (!nodes) continue;
      const boxes = grouped ? clustersOf(state, prompt.id).map((cluster) => this.clusterBox(cluster)) : [];
      reorder(nodes.clusters, boxes);
      for (const cluster of grouped ? clustersOf(state, prompt.id) : []) {
        const box = /** @type {ClusterNodes} */ (this.clusters.get(cluster.cluster));
        reorder(box.list, membersOf(state, cluster.cluster).map((idea) => this.cardFor(idea)));
        box.count.textContent = t("js.cluster.count", { count: box.list.children.length });
      }
      const loose = ideasOf(state, prompt.id).filter((idea) => !grouped || !idea.cluster || !state.clusters.has(idea.cluster))
        .sort((a, b) => a.position - b.position || (a.idea < b.idea ? -1 : 1));
      const pendingCards = [...nodes.list.querySelectorAll(":scope > li.pending")].filter((n) => !this.isCard(n));
      reorder(nodes.list, [...loose.map((idea) => this.cardFor(idea)), ...pendingCards]);
    }
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus();
  }

  /** @param {Element} node */
  isCard(node) {
    return [...this.cards.values()].includes(/** @type {HTMLElement} */ (node));
  }

  /** @param {Idea} idea */
  cardFor(idea) {
    let card = this.cards.get(idea.idea);
    if (!card) {
      card = this.card(idea, null);
      this.cards.set(idea.idea, card);
    }
    return card;
  }

  /**
   * clusters.js, if it is here; when `needed`, it is fetched (see lazy.js). A board with
   * neither clusters nor dots to draw, as while writing, does without it.
   * @param {boolean} needed @returns {ClusterParts | null}
   */
  parts(needed) {
    return this.actions.clusters(needed);
  }

  /** A cluster's box, made once and kept up to date (see clusters.js). @param {import("../state.js").Cluster} cluster */
  clusterBox(cluster) {
    return this.parts(true)?.clusterBox(this, cluster) ?? null;
  }

  /** Redraw the dots of one item, or of all (null), keeping the focus (see clusters.js). @param {string | null} item */
  refreshDots(item) {
    this.parts(this.dotted())?.refreshDots(this, item);
  }

  /** Do the cards carry dots (vote) or their totals (results)? */
  dotted() {
    return this.mode === "vote" || this.mode === "results";
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
          mayHide(state)
            ? h("button", { type: "button", class: "button small", dataset: { action: idea.hidden ? "show" : "hide", idea: idea.idea },
              attrs: { "aria-describedby": labelId } }, [idea.hidden ? t("js.idea.show") : t("js.idea.hide")])
            : null,
          h("button", { type: "button", class: "button small danger", dataset: { action: "delete", idea: idea.idea },
            attrs: { "aria-describedby": labelId } }, [t("js.idea.delete")]),
        ])
      : null;
    const classes = `idea colour-${idea.colour}${pending ? " pending" : ""}${idea.hidden ? " hidden-idea" : ""}`;
    const grouping = !pending && this.mode === "group" && !idea.hidden;
    const select = grouping
      ? h("label", { class: "select" }, [
          h("input", { type: "checkbox", checked: this.selected.has(idea.idea), dataset: { select: idea.idea },
            attrs: { "aria-labelledby": `${labelId}-s ${labelId}` } }),
          h("span", { id: `${labelId}-s` }, [t("js.group.select")]),
        ])
      : null;
    const handle = grouping
      ? h("span", { class: "drag-handle", dataset: { drag: idea.idea }, title: t("js.group.drag"), attrs: { "aria-hidden": "true" } }, ["⠿"])
      : null;
    return h("li", { class: classes, dataset: { id: idea.idea, prompt: idea.prompt } }, [
      handle,
      h("p", { class: "idea-text", id: labelId }, [idea.text]),
      h("p", { class: "idea-meta" }, [
        idea.name ? h("span", { class: "idea-author" }, [t("js.idea.by", { name: idea.name })]) : null,
        mine ? h("span", { class: "tag" }, [t("js.idea.mine")]) : null,
        idea.hidden ? h("span", { class: "tag hidden-tag" }, [t("js.idea.hidden")]) : null,
        sourceTag(state, idea),
        pending ? h("span", { class: "tag pending-tag" }, [pending]) : null,
      ]),
      select,
      pending || !this.dotted() ? null : this.parts(true)?.dotsFor(this, idea.idea, idea.text) ?? null,
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
        this.prompts.get(idea.prompt)?.list.append(this.card(idea, t("js.idea.not_sent")));
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
    const state = this.state;
    if (!state) return;
    const privately = isPrivateView(state);
    for (const [promptId, nodes] of this.prompts) {
      const n = totalOf(state, promptId);
      const text = privately ? t("js.prompt.tally", { count: n }) : t("js.prompt.count", { count: n });
      if (nodes.count.textContent !== text) nodes.count.textContent = text;
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
    } else if (form.matches(".rename-form, .prompt-adder")) {
      event.preventDefault();
      this.actions.promptTools(false)?.submitPromptForm(this, form);
    } else if (form.classList.contains("cluster-form")) {
      event.preventDefault();
      this.parts(true)?.submitClusterForm(this, form);
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
    } else if (event.key === "Escape" && target.closest(".rename-form")) {
      const form = /** @type {HTMLFormElement} */ (target.closest(".rename-form"));
      this.actions.promptTools(false)?.closePromptForm(this, form.dataset.prompt ?? "", "rename-prompt");
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
    const prompt = button.dataset.prompt ?? "";
    switch (button.dataset.action) {
      case "edit": return this.openEditor(id);
      case "cancel-edit": return this.closeEditor(id);
      case "delete": return this.confirmDelete(id);
      case "confirm-delete": {
        const where = this.state?.ideas.get(id)?.prompt;
        this.actions.remove(id);
        const field = where ? document.getElementById(`compose-${where}`) : null;
        if (field && !field.closest("[hidden]")) field.focus();
        else if (where) this.focusHeading(where);
        return;
      }
      case "cancel-delete": return this.closeEditor(id);
      case "hide": return this.actions.hide(id, true);
      case "show": return this.actions.hide(id, false);
      default: // the dots' and cluster boxes' buttons (drawn by clusters.js), a facilitator's prompt tools
        this.parts(false)?.clusterAction(this, button);
        return this.actions.promptTools(false)?.promptAction(this, button.dataset.action, prompt);
    }
  }

  /** @param {string} promptId */
  focusHeading(promptId) {
    const heading = /** @type {HTMLElement | null} */ (this.prompts.get(promptId)?.section.querySelector("h2") ?? null);
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
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

/**
 * Make `parent`'s children exactly `wanted`, in order, moving only the nodes out
 * of place (keyed nodes keep their state, and screen readers their position).
 * @param {HTMLElement} parent @param {HTMLElement[]} wanted
 */
function reorder(parent, wanted) {
  const keep = new Set(wanted);
  for (const child of [...parent.children]) if (!keep.has(/** @type {HTMLElement} */ (child))) child.remove();
  wanted.forEach((node, index) => {
    if (parent.children[index] !== node) parent.insertBefore(node, parent.children[index] ?? null);
  });
}

/**
 * If the focus is in `old` (the card itself, reached with j/k, or one of its
 * buttons), how to put it back on the same place of the card that replaces it:
 * a redraw from an event must not throw a keyboard user back to the top.
 * @param {HTMLElement} old @returns {((card: HTMLElement) => void) | null}
 */
function focusInside(old) {
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  if (!active || !old.contains(active)) return null;
  const action = active === old ? null : active.dataset.action ?? active.dataset.select ?? null;
  return (card) => {
    const same = action ? /** @type {HTMLElement | null} */ (card.querySelector(`[data-action="${action}"], [data-select="${action}"]`)) : null;
    if (same) return same.focus();
    card.tabIndex = -1;
    card.focus();
  };
}
