// @ts-check
/**
 * Grouping without dragging: tick ideas (tap, click, Space), then "Regrouper",
 * "Ajouter à…", "Sortir du regroupement", move up or down, move to another
 * question, or undo your last action. The bar sticks to the bottom of the
 * screen on phones; every button is a real button, so a finger, a mouse, a
 * keyboard and a screen reader all take the same path.
 */
import { byId, h } from "../dom.js";
import { t } from "../i18n.js";
import { clustersOf, membersOf } from "../state.js";
import { looseOf } from "../state-later.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */

export class GroupingBar {
  /** @param {HTMLElement} root @param {Set<string>} selected the board's ticked ideas @param {Send} send @param {() => void} clear */
  constructor(root, selected, send, clear) {
    this.root = root;
    this.selected = selected;
    this.send = send;
    this.clear = clear;
    /** @type {State | null} */ this.state = null;
    // Focusable by script (the "g" shortcut, a button that turned off), never a Tab stop.
    this.status = h("p", { class: "group-status", id: "group-status", tabIndex: -1, attrs: { "aria-live": "polite" } });
    this.target = h("select", { id: "group-target", name: "cluster" });
    this.promptTarget = h("select", { id: "group-prompt", name: "prompt" });
    const button = (/** @type {string} */ action, /** @type {string} */ label, extra = "") =>
      h("button", { type: "button", class: `button small ${extra}`, dataset: { group: action },
        attrs: { "aria-describedby": "group-status" } }, [label]);
    this.buttons = {
      create: button("create", t("js.group.create"), "primary"),
      add: button("add", t("js.group.add_go")),
      out: button("out", t("js.group.out")),
      up: button("up", t("js.group.up")),
      down: button("down", t("js.group.down")),
      move: button("move", t("js.group.move_go")),
      clear: button("clear", t("js.group.clear")),
      undo: button("undo", t("js.group.undo")),
    };
    root.replaceChildren(
      h("h2", { class: "visually-hidden", id: "group-bar-title" }, [t("js.group.title")]),
      this.status,
      h("div", { class: "button-row" }, [this.buttons.create, this.buttons.out, this.buttons.up, this.buttons.down, this.buttons.clear]),
      h("div", { class: "copy-row group-to" }, [
        h("label", { htmlFor: "group-target" }, [t("js.group.add_label")]), this.target, this.buttons.add]),
      h("div", { class: "copy-row group-to", id: "group-prompt-row" }, [
        h("label", { htmlFor: "group-prompt" }, [t("js.group.move_label")]), this.promptTarget, this.buttons.move]),
      h("div", { class: "button-row" }, [this.buttons.undo]),
    );
    root.setAttribute("aria-labelledby", "group-bar-title");
    root.addEventListener("click", (event) => {
      const action = /** @type {HTMLElement} */ (event.target).closest("button")?.dataset.group;
      if (action) this.run(action);
    });
  }

  /** Show the bar only while this person may group; keep its menus and counts current. @param {State} state @param {boolean} open */
  draw(state, open) {
    this.state = state;
    this.root.hidden = !open;
    if (!open) return;
    const n = this.selected.size;
    // With ideas ticked the bar follows the reader down the page; the page keeps what
    // gets the focus clear of it. Without, it stays in its place and covers nothing.
    this.root.classList.toggle("floating", n > 0);
    document.documentElement.style.scrollPaddingBottom = n > 0 ? `${this.root.offsetHeight + 16}px` : "";
    this.status.textContent = n ? t("js.group.selected", { count: n }) : t("js.group.none");
    const clusters = state.prompts.flatMap((p) => clustersOf(state, p.id));
    fill(this.target, clusters.map((c) => [c.cluster, c.title]));
    fill(this.promptTarget, state.prompts.map((p) => [p.id, p.title]));
    byId("group-prompt-row").hidden = state.prompts.length < 2;
    for (const key of /** @type {const} */ (["create", "out", "up", "down", "clear", "move"])) this.buttons[key].disabled = n === 0;
    this.buttons.add.disabled = n === 0 || clusters.length === 0;
    this.target.disabled = clusters.length === 0;
    const one = n === 1;
    this.buttons.up.disabled = !one;
    this.buttons.down.disabled = !one;
    // A button that just did its work and is now disabled drops the focus to the page's
    // top; keep it in the bar, on the line that says what is selected now.
    const active = document.activeElement;
    if (active instanceof HTMLButtonElement && active.disabled && this.root.contains(active)) this.status.focus();
  }

  /** @param {string} action */
  run(action) {
    const state = this.state;
    if (!state) return;
    const ideas = this.ordered();
    switch (action) {
      case "create":
        this.send({ type: "cluster.create", ideas });
        return this.done();
      case "add":
        if (this.target.value) this.send({ type: "ideas.move", ideas, cluster: this.target.value });
        return this.done();
      case "out":
        this.send({ type: "ideas.move", ideas, cluster: null });
        return this.done();
      case "move":
        this.send({ type: "ideas.move", ideas, cluster: null, prompt: this.promptTarget.value });
        return this.done();
      case "up":
      case "down":
        return this.step(ideas[0], action === "up" ? -1 : 1);
      case "clear":
        return this.done();
      case "undo":
        this.send({ type: "group.undo" });
    }
  }

  /** The ticked ideas in the board's order (what "Regrouper" keeps). */
  ordered() {
    const state = /** @type {State} */ (this.state);
    const order = state.prompts.flatMap((p) => [...clustersOf(state, p.id).flatMap((c) => membersOf(state, c.cluster)), ...looseOf(state, p.id)]);
    return order.map((i) => i.idea).filter((id) => this.selected.has(id));
  }

  /** Move one idea up or down among its siblings. @param {string} id @param {number} step */
  step(id, step) {
    const state = /** @type {State} */ (this.state);
    const idea = state.ideas.get(id);
    if (!idea) return;
    const siblings = (idea.cluster ? membersOf(state, idea.cluster) : looseOf(state, idea.prompt)).map((i) => i.idea);
    const index = siblings.indexOf(id);
    const where = { type: "ideas.move", ideas: [id], cluster: idea.cluster, prompt: idea.cluster ? undefined : idea.prompt };
    if (step < 0 && index > 0) this.send({ ...where, before: siblings[index - 1] });
    else if (step > 0 && index < siblings.length - 2) this.send({ ...where, before: siblings[index + 2] });
    else if (step > 0 && index === siblings.length - 2) this.send(where);
  }

  done() {
    this.clear();
  }

  /**
   * What the live region says once one's own grouping is saved: where the ideas are now
   * (the last idea an event places is one that moved; renumbered siblings come first).
   * @param {State} state @param {{ideas: string[], clusters: string[]}} change @returns {string | null}
   */
  said(state, change) {
    const last = state.ideas.get(change.ideas.at(-1) ?? "");
    const id = last ? last.cluster : change.clusters[0];
    const cluster = id ? state.clusters.get(id) : undefined;
    if (cluster) return t("js.group.saved_in", { title: cluster.title, count: membersOf(state, cluster.cluster).length });
    const prompt = last && state.prompts.find((p) => p.id === last.prompt);
    return prompt ? t("js.group.saved_loose", { prompt: prompt.title }) : null;
  }
}

/** Options of a select, keeping the current choice when it is still there. @param {HTMLSelectElement} select @param {[string, string][]} options */
function fill(select, options) {
  const chosen = select.value;
  const key = JSON.stringify(options);
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  select.replaceChildren(...options.map(([value, label]) => h("option", { value }, [label.length > 60 ? `${label.slice(0, 59)}…` : label])));
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}
