// @ts-check
/**
 * Near-duplicate hints while grouping: on request, the server lists ideas and
 * clusters that say nearly the same thing (`/rooms/{id}/similar.json`); each hint
 * merges only when a person presses "Les regrouper", through the ordinary
 * grouping commands, so everyone sees it and it can be undone.
 */
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { provenanceOf } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */
/** @typedef {{id: string, kind: string, text: string}} Item */

export class SimilarHints {
  /** @param {HTMLElement} root @param {string} roomId @param {Send} send @param {() => State | null} state */
  constructor(root, roomId, send, state) {
    this.root = root;
    this.roomId = roomId;
    this.send = send;
    this.state = state;
    this.list = h("ul", { class: "similar-list" });
    this.status = h("p", { class: "hint", attrs: { role: "status" } });
    this.search = h("button", { type: "button", class: "button small" }, [t("js.similar.search")]);
    root.replaceChildren(h("h2", { id: "similar-title" }, [t("js.similar.title")]), this.search, this.status, this.list);
    root.setAttribute("aria-labelledby", "similar-title");
    this.search.addEventListener("click", () => this.load());
    this.list.addEventListener("click", (event) => this.onClick(event));
  }

  /** @param {boolean} open */
  show(open) {
    this.root.hidden = !open;
  }

  async load() {
    this.status.textContent = t("js.similar.searching");
    try {
      const response = await fetch(`/rooms/${this.roomId}/similar.json`, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const { pairs } = await response.json();
      this.draw(pairs);
    } catch {
      this.status.textContent = t("js.similar.failed");
    }
  }

  /**
   * In a capitalisation room each side says its group, and pairs across two groups come first:
   * they are what the session is for. @param {{a: Item, b: Item, score: number}[]} pairs
   */
  draw(pairs) {
    const state = this.state();
    const group = (/** @type {Item} */ item) => (state
      ? provenanceOf(state, /** @type {any} */ (state.clusters.get(item.id) ?? state.ideas.get(item.id) ?? {}))?.label : null) ?? null;
    const across = (/** @type {{a: Item, b: Item}} */ p) => group(p.a) !== null && group(p.b) !== null && group(p.a) !== group(p.b);
    const ordered = [...pairs].sort((x, y) => Number(across(y)) - Number(across(x))); // stable: the server's order otherwise
    const words = (/** @type {{a: Item, b: Item}} */ p) => group(p.a) !== null && group(p.b) !== null
      ? t("js.similar.pair_groups", { a: p.a.text, b: p.b.text, group_a: group(p.a), group_b: group(p.b) })
      : t("js.similar.pair", { a: p.a.text, b: p.b.text });
    this.status.textContent = pairs.length ? t("js.similar.found", { count: pairs.length }) : t("js.similar.none");
    this.list.replaceChildren(...ordered.map((pair) => h("li", { class: "similar-pair", dataset: { a: pair.a.id, b: pair.b.id } }, [
      h("p", {}, [words(pair)]),
      h("div", { class: "button-row" }, [
        h("button", { type: "button", class: "button small primary", dataset: { similar: "merge" } }, [t("js.similar.merge")]),
        h("button", { type: "button", class: "button small", dataset: { similar: "ignore" } }, [t("js.similar.ignore")]),
      ]),
    ])));
  }

  /** @param {Event} event */
  onClick(event) {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-similar]");
    const row = button?.closest("li");
    if (!(button instanceof HTMLElement) || !(row instanceof HTMLElement)) return;
    if (button.dataset.similar === "merge") this.merge(row.dataset.a ?? "", row.dataset.b ?? "");
    const next = /** @type {HTMLElement | null} */ (row.nextElementSibling ?? row.previousElementSibling)?.querySelector("button") ?? this.search;
    row.remove();
    /** @type {HTMLElement} */ (next).focus();
  }

  /** One ordinary grouping command, chosen from the board as it is now. @param {string} a @param {string} b */
  merge(a, b) {
    const state = this.state();
    if (!state) return;
    const clusterA = state.clusters.has(a) ? a : state.ideas.get(a)?.cluster ?? null;
    const clusterB = state.clusters.has(b) ? b : state.ideas.get(b)?.cluster ?? null;
    if (state.clusters.has(a) && state.clusters.has(b)) this.send({ type: "cluster.merge", cluster: b, into: a });
    else if (clusterA && !state.clusters.has(b)) this.send({ type: "ideas.move", ideas: [b], cluster: clusterA });
    else if (clusterB && !state.clusters.has(a)) this.send({ type: "ideas.move", ideas: [a], cluster: clusterB });
    else this.send({ type: "cluster.create", ideas: [a, b] });
  }
}
