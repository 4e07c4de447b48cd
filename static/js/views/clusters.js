// @ts-check
/**
 * Clusters and dots on the board: a cluster's box with its tools (grouping) or
 * its dots (vote, results), the dots of every item, and the cluster forms
 * (rename, merge). Each function works on the board it is given, whose maps
 * (`clusters`, `cards`), mode and state stay the one source of truth.
 */
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { capOf, clustersOf, dotsLeft, talliesShown, votable } from "../state.js";
import { sourceTag } from "./provenance.js";

/** @typedef {import("./board.js").Board} Board */
/** @typedef {import("../state.js").State} State */
/** @typedef {import("./board.js").ClusterNodes} ClusterNodes */

/** A cluster's box, made once and kept up to date. @param {Board} board @param {import("../state.js").Cluster} cluster */
export function clusterBox(board, cluster) {
  let nodes = board.clusters.get(cluster.cluster);
  if (!nodes) {
    const headingId = `cluster-title-${cluster.cluster}`;
    const title = h("span", { class: "cluster-name" });
    const count = h("span", { class: "cluster-count" });
    const extras = h("div", { class: "cluster-extras" });
    const list = h("ul", { class: "ideas cluster-ideas", dataset: { cluster: cluster.cluster }, attrs: { "aria-labelledby": headingId } });
    const box = h("section", { class: "cluster", id: `cluster-${cluster.cluster}`, dataset: { cluster: cluster.cluster },
      attrs: { "aria-labelledby": headingId } }, [
      h("h3", { class: "cluster-title", id: headingId }, [h("span", { class: "cluster-eyebrow" }, [t("js.cluster.label")]), " ", title, " ", count,
        " ", sourceTag(/** @type {any} */ (board.state), cluster)]),
      extras,
      list,
    ]);
    nodes = { box, list, title, count, extras };
    board.clusters.set(cluster.cluster, nodes);
  }
  if (nodes.title.textContent !== cluster.title) nodes.title.textContent = cluster.title;
  drawClusterExtras(board, cluster, nodes);
  return nodes.box;
}

/** Tools (grouping), dots (vote) or the count of dots (results) of a cluster. @param {Board} board @param {import("../state.js").Cluster} cluster @param {ClusterNodes} nodes */
export function drawClusterExtras(board, cluster, nodes) {
  const state = /** @type {State} */ (board.state);
  const key = `${board.mode}|${cluster.title}|${dotKey(board, cluster.cluster)}|${state.clusters.size}`;
  if (nodes.extras.dataset.key === key) return;
  nodes.extras.dataset.key = key;
  const parts = [];
  if (board.mode === "group") {
    const id = cluster.cluster;
    const label = { "aria-describedby": `cluster-title-${id}` };
    parts.push(h("div", { class: "idea-tools" }, [
      h("button", { type: "button", class: "button small", dataset: { action: "rename-cluster", cluster: id }, attrs: label }, [t("js.cluster.rename")]),
      h("button", { type: "button", class: "button small", dataset: { action: "cluster-up", cluster: id }, attrs: label }, [t("js.cluster.up")]),
      h("button", { type: "button", class: "button small", dataset: { action: "cluster-down", cluster: id }, attrs: label }, [t("js.cluster.down")]),
      state.clusters.size > 1
        ? h("button", { type: "button", class: "button small", dataset: { action: "merge-cluster", cluster: id }, attrs: label }, [t("js.cluster.merge")])
        : null,
      h("button", { type: "button", class: "button small danger", dataset: { action: "dissolve-cluster", cluster: id }, attrs: label }, [t("js.cluster.dissolve")]),
    ]));
  }
  const dots = dotsFor(board, cluster.cluster, cluster.title);
  if (dots) parts.push(dots);
  nodes.extras.replaceChildren(...parts);
}

/** @param {Board} board @param {string} item */
export function dotKey(board, item) {
  const state = /** @type {State} */ (board.state);
  // Whatever the dots show: a cap lowered or the last dot placed redraws them too.
  return `${state.votes.mine.get(item) ?? 0}/${state.votes.totals?.get(item) ?? "-"}/${capOf(state)}/${dotsLeft(state) > 0}`;
}

/**
 * The dots of an item: "+"/"−" and my count while voting (the count of everyone's
 * too if shown), the total once the results are out. Text says it all; the dots
 * drawn are a bonus, never the only sign.
 * @param {Board} board @param {string} item @param {string} title
 */
export function dotsFor(board, item, title) {
  const state = /** @type {State} */ (board.state);
  if (!state || (board.mode !== "vote" && board.mode !== "results") || !votable(state, item)) return null;
  const total = state.votes.totals?.get(item) ?? 0;
  const totalText = talliesShown(state) ? t("js.vote.total", { count: total }) : "";
  if (board.mode === "results") return h("p", { class: "dots result-dots", dataset: { dots: item } }, [totalText]);
  const mine = state.votes.mine.get(item) ?? 0;
  const cap = capOf(state);
  const name = title.length > 60 ? `${title.slice(0, 59)}…` : title;
  // "+" is off, with the reason beside it, rather than on and refused by the server.
  const full = mine >= cap ? t("js.vote.at_cap") : dotsLeft(state) === 0 ? t("js.vote.none_left") : "";
  return h("div", { class: "dots", dataset: { dots: item } }, [
    h("span", { class: "dot-marks", attrs: { "aria-hidden": "true" } }, ["●".repeat(mine) + "○".repeat(Math.max(0, cap - mine))]),
    h("span", { class: "dot-count" }, [t("js.vote.mine", { count: mine, cap })]),
    totalText ? h("span", { class: "dot-total" }, [totalText]) : null,
    h("button", { type: "button", class: "button small primary", dataset: { action: "vote-add", item }, disabled: !!full,
      attrs: { "aria-label": t("js.vote.add_label", { title: name, count: mine, cap }) } }, [t("js.vote.add")]),
    h("button", { type: "button", class: "button small", dataset: { action: "vote-remove", item }, disabled: mine === 0,
      attrs: { "aria-label": t("js.vote.remove_label", { title: name }) } }, [t("js.vote.remove")]),
    full ? h("span", { class: "dot-reason" }, [full]) : null,
  ]);
}

/** Redraw the dots of one item (a vote came in), keeping the focus on the button pressed. @param {Board} board @param {string | null} item */
export function refreshDots(board, item) {
  const state = board.state;
  if (!state) return;
  // My last dot placed, or one taken back from none left: every "+" of the board turns off or on.
  const items = item && dotsLeft(state) > 1 ? [item] : [...board.cards.keys(), ...board.clusters.keys()];
  for (const id of items) {
    const old = board.root.querySelector(`[data-dots="${CSS.escape(id)}"]`);
    const title = state.clusters.get(id)?.title ?? state.ideas.get(id)?.text ?? "";
    const fresh = dotsFor(board, id, title);
    if (!old || !fresh) continue;
    const action = /** @type {HTMLElement | null} */ (document.activeElement)?.closest?.(`[data-dots="${CSS.escape(id)}"]`)
      ? /** @type {HTMLElement} */ (document.activeElement).dataset.action : null;
    old.replaceWith(fresh);
    const again = /** @type {HTMLButtonElement | null} */ (fresh.querySelector(`[data-action="${action}"]`));
    if (again && !again.disabled) again.focus();
    else if (action) /** @type {HTMLElement | null} */ (fresh.querySelector("button:not([disabled])"))?.focus();
  }
}

/** Up or down among the clusters of its prompt. @param {Board} board @param {string} clusterId @param {number} step */
export function moveCluster(board, clusterId, step) {
  const state = board.state;
  const cluster = state?.clusters.get(clusterId);
  if (!state || !cluster) return;
  const order = clustersOf(state, cluster.prompt).map((c) => c.cluster);
  const index = order.indexOf(clusterId);
  if (step < 0 && index > 0) board.actions.send({ type: "cluster.move", cluster: clusterId, before: order[index - 1] });
  else if (step > 0 && index < order.length - 2) board.actions.send({ type: "cluster.move", cluster: clusterId, before: order[index + 2] });
  else if (step > 0 && index === order.length - 2) board.actions.send({ type: "cluster.move", cluster: clusterId });
}

/** @param {Board} board @param {string} clusterId */
export function openClusterRename(board, clusterId) {
  const nodes = board.clusters.get(clusterId);
  const cluster = board.state?.clusters.get(clusterId);
  if (!nodes || !cluster) return;
  const fieldId = `cluster-rename-${clusterId}`;
  const form = h("form", { class: "cluster-form", dataset: { cluster: clusterId, kind: "rename" } }, [
    h("label", { htmlFor: fieldId }, [t("js.cluster.rename_label")]),
    h("input", { id: fieldId, name: "title", value: cluster.title, maxLength: 120, autocomplete: "off", required: true }),
    h("div", { class: "idea-tools" }, [
      h("button", { type: "submit", class: "button small primary" }, [t("js.idea.save")]),
      h("button", { type: "button", class: "button small", dataset: { action: "cancel-cluster-form", cluster: clusterId } }, [t("js.idea.cancel")]),
    ]),
  ]);
  nodes.extras.replaceChildren(form);
  nodes.extras.dataset.key = "";
  /** @type {HTMLInputElement} */ (form.querySelector("input")).select();
}

/** @param {Board} board @param {string} clusterId */
export function openMerge(board, clusterId) {
  const nodes = board.clusters.get(clusterId);
  const state = board.state;
  if (!nodes || !state) return;
  const fieldId = `cluster-merge-${clusterId}`;
  const others = [...state.clusters.values()].filter((c) => c.cluster !== clusterId);
  const form = h("form", { class: "cluster-form", dataset: { cluster: clusterId, kind: "merge" } }, [
    h("label", { htmlFor: fieldId }, [t("js.cluster.merge_label")]),
    h("select", { id: fieldId, name: "into" }, others.map((c) => h("option", { value: c.cluster }, [c.title]))),
    h("div", { class: "idea-tools" }, [
      h("button", { type: "submit", class: "button small primary" }, [t("js.cluster.merge_go")]),
      h("button", { type: "button", class: "button small", dataset: { action: "cancel-cluster-form", cluster: clusterId } }, [t("js.idea.cancel")]),
    ]),
  ]);
  nodes.extras.replaceChildren(form);
  nodes.extras.dataset.key = "";
  /** @type {HTMLSelectElement} */ (form.querySelector("select")).focus();
}

/** @param {Board} board @param {string} clusterId */
export function closeClusterForm(board, clusterId) {
  const nodes = board.clusters.get(clusterId);
  const cluster = board.state?.clusters.get(clusterId);
  if (!nodes || !cluster) return;
  nodes.extras.dataset.key = "";
  drawClusterExtras(board, cluster, nodes);
  /** @type {HTMLElement | null} */ (nodes.extras.querySelector("button"))?.focus();
}

/** A rename or merge form was sent. @param {Board} board @param {HTMLFormElement} form */
export function submitClusterForm(board, form) {
  const cluster = form.dataset.cluster ?? "";
  const data = new FormData(form);
  if (form.dataset.kind === "rename" && String(data.get("title") ?? "").trim()) {
    board.actions.send({ type: "cluster.rename", cluster, title: String(data.get("title")) });
  } else if (form.dataset.kind === "merge" && data.get("into")) {
    board.actions.send({ type: "cluster.merge", cluster, into: String(data.get("into")) });
  }
  closeClusterForm(board, cluster);
}

/** A button of a cluster's box or of the dots was pressed (others are the board's). @param {Board} board @param {HTMLElement} button */
export function clusterAction(board, button) {
  const cluster = button.dataset.cluster ?? "";
  const send = board.actions.send;
  switch (button.dataset.action) {
    case "vote-add": return send({ type: "vote.add", item: button.dataset.item });
    case "vote-remove": return send({ type: "vote.remove", item: button.dataset.item });
    case "rename-cluster": return openClusterRename(board, cluster);
    case "cluster-up": return moveCluster(board, cluster, -1);
    case "cluster-down": return moveCluster(board, cluster, 1);
    case "merge-cluster": return openMerge(board, cluster);
    case "dissolve-cluster": return send({ type: "cluster.dissolve", cluster });
    case "cancel-cluster-form": return closeClusterForm(board, cluster);
  }
}
