// @ts-check
/**
 * The rules only the views of later phases use: the loose ideas of the grouping bar, the
 * vote's ranking (twin of `app/results.py`), the roadmap's order, who may write it and what an
 * action comes from. Pure like state.js, of which they are a part, set apart so that a phone
 * joining a room does not download them (the views that import them come with their phase).
 */
import { byPlace, clustersOf, isFacilitator, membersOf, votable } from "./state.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").Idea} Idea */
/** @typedef {import("./state.js").Action} Action */
/** @typedef {import("./state.js").Ranked} Ranked */

// -- grouping -------------------------------------------------------------------------

/** The ideas of a prompt in no cluster, in order. @param {State} state @param {string} promptId @returns {Idea[]} */
export function looseOf(state, promptId) {
  return [...state.ideas.values()].filter((i) => i.prompt === promptId && !i.cluster)
    .sort((a, b) => byPlace(a, b, a.idea, b.idea));
}

// -- voting ---------------------------------------------------------------------------

/**
 * The items of the vote ranked by dots, ties sharing a rank ("1, 2, 2, 4"); the
 * board's order (prompt, then position) inside a tie. Twin of `app/results.py`.
 * @param {State} state @returns {Ranked[]}
 */
export function ranking(state) {
  const totals = state.votes.totals ?? new Map();
  /** @type {{item: Omit<Ranked, "rank" | "tied">, order: [number, number, string]}[]} */
  const items = [];
  state.prompts.forEach((prompt, index) => {
    for (const cluster of clustersOf(state, prompt.id)) {
      if (!votable(state, cluster.cluster)) continue;
      items.push({ item: { id: cluster.cluster, kind: "cluster", title: cluster.title, prompt: prompt.id,
        votes: totals.get(cluster.cluster) ?? 0, ideas: membersOf(state, cluster.cluster) }, order: [index, cluster.position, cluster.cluster] });
    }
    for (const idea of [...state.ideas.values()].filter((i) => i.prompt === prompt.id)) {
      if (!votable(state, idea.idea)) continue;
      items.push({ item: { id: idea.idea, kind: "idea", title: idea.text, prompt: prompt.id,
        votes: totals.get(idea.idea) ?? 0, ideas: [] }, order: [index, idea.position, idea.idea] });
    }
  });
  items.sort((a, b) => b.item.votes - a.item.votes || a.order[0] - b.order[0] || a.order[1] - b.order[1]
    || (a.order[2] < b.order[2] ? -1 : 1));
  const counts = new Map();
  for (const { item } of items) counts.set(item.votes, (counts.get(item.votes) ?? 0) + 1);
  /** @type {Ranked[]} */
  const ranked = [];
  items.forEach(({ item }, index) => {
    const previous = ranked[ranked.length - 1];
    const rank = previous && previous.votes === item.votes ? previous.rank : index + 1;
    ranked.push({ ...item, rank, tied: counts.get(item.votes) > 1 });
  });
  return ranked;
}

// -- the roadmap ----------------------------------------------------------------------

/** The actions in the table's order. @param {State} state @returns {Action[]} */
export function actionsInOrder(state) {
  return [...state.actions.values()].sort((a, b) => byPlace(a, b, a.action, b.action));
}

/** May this person write the roadmap now? Mirrors `app/phases.py`. @param {State} state */
export function mayPlan(state) {
  if (state.removed) return false;
  const phase = state.room.phase;
  if (isFacilitator(state)) return phase === "results" || phase === "roadmap";
  return phase === "roadmap" && state.room.settings.roadmap === "everyone";
}

/** What an action comes from, in words, and its dots; null when it is gone or was none. @param {State} state @param {Action} action */
export function sourceOf(state, action) {
  if (!action.source_id) return null;
  const title = action.source_kind === "cluster"
    ? state.clusters.get(action.source_id)?.title : state.ideas.get(action.source_id)?.text;
  if (title === undefined) return null;
  return { title, votes: state.votes.totals?.get(action.source_id) ?? null };
}
