// @ts-check
/**
 * The room as data, and `apply(state, event)` for every event type: the client
 * twin of the server's rules. No DOM, no network: `node --test` runs it. The rules only
 * the later phases' views use (ranking, roadmap) are in state-later.js, which comes with them.
 *
 * Time is the one outside input: the timer's end time is the server's clock, so
 * the state keeps the offset between the two clocks (`clockOffset`, seconds) and
 * the functions that need "now" take the local time as an argument.
 */

/**
 * The room's data, in shapes described in types.js (comments only, which no browser downloads).
 * @typedef {import("./types.js").Idea} Idea
 * @typedef {import("./types.js").Cluster} Cluster
 * @typedef {import("./types.js").Votes} Votes
 * @typedef {import("./types.js").Action} Action
 * @typedef {import("./types.js").Ranked} Ranked
 * @typedef {import("./types.js").Prompt} Prompt
 * @typedef {import("./types.js").Person} Person
 * @typedef {import("./types.js").Me} Me
 * @typedef {import("./types.js").Settings} Settings
 * @typedef {import("./types.js").Timer} Timer
 * @typedef {import("./types.js").Room} Room
 * @typedef {import("./types.js").State} State
 * @typedef {import("./types.js").Change} Change
 */

export const PHASES = /** @type {const} */ (["lobby", "write", "group", "vote", "results", "roadmap", "closed"]);
/** Phases after writing in which `add_after_write` lets participants still add ideas. */
const AFTER_WRITE = new Set(["group", "vote", "results", "roadmap"]);
/** Phases from which everyone sees the totals of the vote. */
const RESULTS = new Set(["results", "roadmap", "closed"]);
/** Phases in which the people allowed to may group ideas (participants: "group" only). */
const GROUPING_PHASES = new Set(["group", "vote", "results", "roadmap"]);
/** Phases with a "J'ai fini" button. */
const DONE_PHASES = new Set(["write", "vote"]);

/** @type {Settings} */
export const DEFAULT_SETTINGS = {
  private_writing: false, show_authors: false, grouping: "everyone",
  add_after_write: false, locked: false, timer_closes_writing: false,
  vote_budget: 5, vote_cap: 3, vote_on: "all", tallies: "hidden", roadmap: "facilitators",
};
/** @type {Timer} */
const NO_TIMER = { state: "stopped", ends_at: null, remaining: null, duration: null };

/** @returns {number} the local clock, in epoch seconds */
export function localSeconds() {
  return Date.now() / 1000;
}

/**
 * @param {any} frame a `snapshot` frame
 * @param {number} [localNow] the local clock when it arrived (epoch seconds)
 * @returns {State}
 */
export function fromSnapshot(frame, localNow = localSeconds()) {
  const room = frame.room;
  return {
    seq: frame.seq,
    room: {
      ...room,
      phase: room.phase ?? "write",
      settings: { ...DEFAULT_SETTINGS, ...(room.settings ?? {}) },
      timer: { ...NO_TIMER, ...(room.timer ?? {}) },
    },
    prompts: frame.prompts,
    ideas: new Map(frame.ideas.map((/** @type {any} */ idea) => [idea.idea, withPlace(idea)])),
    clusters: new Map((frame.clusters ?? []).map((/** @type {Cluster} */ c) => [c.cluster, c])),
    votes: votesFromSnapshot(frame.votes),
    actions: new Map((frame.actions ?? []).map((/** @type {Action} */ a) => [a.action, a])),
    me: frame.me,
    present: new Map(frame.present.map((/** @type {Person} */ p) => [p.id, p.name])),
    roles: new Map(frame.present.filter((/** @type {Person} */ p) => p.role).map((/** @type {Person} */ p) => [p.id, String(p.role)])),
    tallies: new Map(Object.entries(frame.tallies ?? {})),
    done: doneFromSnapshot(frame.done),
    clockOffset: typeof frame.now === "number" ? frame.now - localNow : 0,
    removed: false,
  };
}

/**
 * The snapshot's "done" counts: `{done, present}` as `done.changed` carries them
 * (a bare number from servers before that; then "present" is left to the page).
 * @param {unknown} raw @returns {{done: number, present: number | null}}
 */
function doneFromSnapshot(raw) {
  if (typeof raw === "number") return { done: raw, present: null };
  const pair = /** @type {{done?: unknown, present?: unknown} | null | undefined} */ (raw);
  return {
    done: typeof pair?.done === "number" ? pair.done : 0,
    present: typeof pair?.present === "number" ? pair.present : null,
  };
}

/** An idea as the page keeps it: every idea has a place (new ones: no cluster, by time). @param {any} idea @returns {Idea} */
function withPlace(idea) {
  return { ...idea, cluster: idea.cluster ?? null, position: typeof idea.position === "number" ? idea.position : idea.at };
}

/** @param {any} raw @returns {Votes} */
function votesFromSnapshot(raw) {
  return {
    mine: new Map(Object.entries(raw?.mine ?? {})),
    totals: raw?.totals ? new Map(Object.entries(raw.totals)) : null,
    voters: typeof raw?.voters === "number" ? raw.voters : 0,
  };
}

/**
 * Where a sequenced event stands against the state.
 * @param {State} state @param {{seq?: number}} event
 * @returns {"next" | "stale" | "gap" | "unsequenced"}
 */
export function position(state, event) {
  if (typeof event.seq !== "number") return "unsequenced";
  if (event.seq <= state.seq) return "stale";
  return event.seq === state.seq + 1 ? "next" : "gap";
}

/** @param {State} state */
export function isFacilitator(state) {
  return state.me.role === "facilitator";
}

/**
 * Does this person see only their own ideas (private writing)? Then the server
 * sends counts (`tally`) instead of the others' ideas.
 * @param {State} state
 */
export function isPrivateView(state) {
  return !isFacilitator(state) && state.room.phase === "write" && state.room.settings.private_writing;
}

/**
 * Apply one event in place. Sequenced events must come in order (see `position`).
 * @param {State} state @param {any} event @param {number} [localNow] epoch seconds, for the timer
 * @returns {Change}
 */
export function apply(state, event, localNow = localSeconds(), replayed = false) {
  if (typeof event.seq === "number") state.seq = event.seq;
  switch (event.type) {
    case "idea.added": {
      const { idea, prompt, author, text, colour, at } = event;
      const mine = author === state.me.author;
      if (mine && isPrivateView(state) && !state.ideas.has(idea)) bumpTally(state, prompt, 1);
      /** @type {Idea} */
      const stored = { idea, prompt, author, text, colour, at, cluster: null, position: at };
      if (event.hidden) stored.hidden = true;
      if (typeof event.name === "string") stored.name = event.name;
      state.ideas.set(idea, stored);
      return { kind: "idea", id: idea, op: "added", mine };
    }
    case "idea.edited": {
      const current = state.ideas.get(event.idea);
      if (!current) return { kind: "none" };
      state.ideas.set(event.idea, { ...current, text: event.text, colour: event.colour });
      return { kind: "idea", id: event.idea, op: "edited", mine: current.author === state.me.author };
    }
    case "idea.deleted": {
      const current = state.ideas.get(event.idea);
      const mine = current?.author === state.me.author;
      if (current && mine && isPrivateView(state)) bumpTally(state, current.prompt, -1);
      state.ideas.delete(event.idea);
      state.votes.mine.delete(event.idea);
      state.votes.totals?.delete(event.idea);
      for (const cluster of event.dropped ?? []) state.clusters.delete(cluster);
      return { kind: "idea", id: event.idea, op: "deleted", mine };
    }
    case "idea.hidden": {
      const current = state.ideas.get(event.idea);
      if (!current) return { kind: "none" };
      const next = { ...current };
      if (event.hidden) next.hidden = true;
      else delete next.hidden;
      state.ideas.set(event.idea, next);
      return { kind: "idea", id: event.idea, op: "hidden", mine: current.author === state.me.author };
    }
    case "group.changed": {
      // The server states where each touched idea and cluster ends up: apply as is.
      for (const c of event.clusters) state.clusters.set(c.cluster, c);
      const ideas = [];
      for (const place of event.ideas) {
        const current = state.ideas.get(place.idea);
        if (!current) continue; // an idea this page does not see
        state.ideas.set(place.idea, { ...current, prompt: place.prompt, cluster: place.cluster, position: place.position });
        ideas.push(place.idea);
      }
      for (const cluster of event.dropped) {
        state.clusters.delete(cluster);
        state.votes.mine.delete(cluster);
        state.votes.totals?.delete(cluster);
      }
      return { kind: "group", action: event.action, ideas, clusters: event.clusters.map((/** @type {Cluster} */ c) => c.cluster), dropped: event.dropped };
    }
    case "vote.changed": {
      if (typeof event.voters === "number") state.votes.voters = event.voters; // absent: unchanged
      if (typeof event.mine === "number") state.votes.mine.set(event.item, event.mine);
      if (typeof event.total === "number") (state.votes.totals ??= new Map()).set(event.item, event.total);
      return { kind: "vote", item: event.item ?? null, mine: typeof event.mine === "number" };
    }
    case "action.changed":
      if (event.state === null) {
        state.actions.delete(event.action);
        return { kind: "action", id: event.action, op: "deleted" };
      }
      state.actions.set(event.action, { ...event.state, action: event.action });
      return { kind: "action", id: event.action, op: "changed" };
    case "skip": // an event this person may not see: only its seq
      return { kind: "none" };
    case "tally":
      state.tallies.set(event.prompt, event.count);
      return { kind: "tally", prompt: event.prompt };
    case "phase.changed": {
      const previous = state.room.phase;
      const wasPrivate = isPrivateView(state);
      state.room.phase = event.phase;
      if (event.timer) state.room.timer = { ...NO_TIMER, ...event.timer }; // a phase change stops it
      state.done = { done: 0, present: state.done.present };
      // Who sees what may have changed (ideas, totals): the page asks for the room as it is now.
      const refetch = Boolean(event.reveal) || (!isFacilitator(state) && wasPrivate !== isPrivateView(state));
      return { kind: "phase", phase: event.phase, previous, refetch };
    }
    case "room.configured": {
      const { show_authors: names, tallies } = state.room.settings;
      state.room.settings = { ...DEFAULT_SETTINGS, ...event.settings };
      // Participants may see other ideas now; everyone may see (or lose) the names or the totals.
      const changed = names !== state.room.settings.show_authors || tallies !== state.room.settings.tallies;
      return { kind: "settings", refetch: !isFacilitator(state) || changed };
    }
    case "timer.changed":
      state.room.timer = { ...NO_TIMER, ...event.timer };
      if (!replayed) setClock(state, event.now, localNow);
      return { kind: "timer" };
    case "prompt.added":
      if (!state.prompts.some((p) => p.id === event.prompt.id)) {
        state.prompts = [...state.prompts, { id: event.prompt.id, title: event.prompt.title }];
      }
      return { kind: "prompt", id: event.prompt.id, op: "added" };
    case "prompt.renamed":
      state.prompts = state.prompts.map((p) => (p.id === event.prompt ? { ...p, title: event.title } : p));
      return { kind: "prompt", id: event.prompt, op: "renamed" };
    case "prompt.deleted":
      state.prompts = state.prompts.filter((p) => p.id !== event.prompt);
      for (const [id, idea] of state.ideas) if (idea.prompt === event.prompt) state.ideas.delete(id);
      state.tallies.delete(event.prompt);
      return { kind: "prompt", id: event.prompt, op: "deleted" };
    case "participant.removed": {
      const me = event.participant === state.me.id;
      state.present.delete(event.participant);
      state.roles.delete(event.participant);
      if (me) state.removed = true;
      if (!event.left) return { kind: "removed", id: event.participant, me };
      eraseLeaver(state, event); // they left: their ideas went with them
      return { kind: "removed", id: event.participant, me, erased: true };
    }
    case "participant.role": {
      const me = event.participant === state.me.id;
      state.roles.set(event.participant, event.role);
      // The snapshot is authoritative for my own role: it comes with the view that goes with it.
      return { kind: "role", id: event.participant, role: event.role, me, refetch: me && event.role !== state.me.role };
    }
    case "done.changed":
      state.done = { done: event.done, present: typeof event.present === "number" ? event.present : null };
      return { kind: "done" };
    case "presence.joined":
      state.present.set(event.id, event.name);
      if (typeof event.role === "string") state.roles.set(event.id, event.role);
      return { kind: "presence", id: event.id, op: "joined" };
    case "presence.left":
      state.present.delete(event.id);
      return { kind: "presence", id: event.id, op: "left" };
    default:
      return { kind: "none" };
  }
}

/**
 * What leaving took away (`participant.removed` with `left`): their ideas and the dots on them,
 * the clusters they left empty, the new titles of clusters titled from their ideas, and,
 * for a private view, the new counts.
 * @param {State} state @param {any} event
 */
function eraseLeaver(state, event) {
  for (const idea of event.ideas ?? []) {
    state.ideas.delete(idea);
    state.votes.mine.delete(idea);
    state.votes.totals?.delete(idea);
  }
  for (const c of event.clusters ?? []) state.clusters.set(c.cluster, c);
  for (const cluster of event.dropped ?? []) {
    state.clusters.delete(cluster);
    state.votes.mine.delete(cluster);
    state.votes.totals?.delete(cluster);
  }
  for (const [prompt, count] of Object.entries(event.tallies ?? {})) state.tallies.set(prompt, Number(count));
}

/** @param {State} state @param {string} prompt @param {number} delta */
function bumpTally(state, prompt, delta) {
  state.tallies.set(prompt, Math.max(0, (state.tallies.get(prompt) ?? 0) + delta));
}

/** Ideas of a prompt, oldest first. @param {State} state @param {string} promptId @returns {Idea[]} */
export function ideasOf(state, promptId) {
  return [...state.ideas.values()]
    .filter((idea) => idea.prompt === promptId)
    .sort((a, b) => a.at - b.at || a.idea.localeCompare(b.idea));
}

/**
 * How many ideas a prompt holds, everyone's: the server's count during private
 * writing, else the ideas this person can see (hidden ones left out).
 * @param {State} state @param {string} promptId
 */
export function totalOf(state, promptId) {
  if (isPrivateView(state)) {
    const own = ideasOf(state, promptId).length;
    return Math.max(own, state.tallies.get(promptId) ?? own);
  }
  return ideasOf(state, promptId).filter((idea) => !idea.hidden).length;
}

/** @param {State} state @param {unknown} now the server's clock @param {number} [localNow] */
export function setClock(state, now, localNow = localSeconds()) {
  if (typeof now === "number") state.clockOffset = now - localNow;
}

/**
 * Seconds left on the timer (may be negative once it ran out), or null without one.
 * @param {State} state @param {number} [localNow] epoch seconds
 * @returns {number | null}
 */
export function remaining(state, localNow = localSeconds()) {
  const timer = state.room.timer;
  if (timer.state === "running" && typeof timer.ends_at === "number") return timer.ends_at - (localNow + state.clockOffset);
  if (timer.state === "paused" && typeof timer.remaining === "number") return timer.remaining;
  return null;
}

/** Has the timer run out and closed writing? @param {State} state @param {number} [localNow] */
export function closedByTimer(state, localNow = localSeconds()) {
  if (!state.room.settings.timer_closes_writing || state.room.phase !== "write") return false;
  const left = remaining(state, localNow);
  return left !== null && left <= 0;
}

/**
 * May this person add ideas now? Mirrors the server; the server decides.
 * @param {State} state @param {number} [localNow]
 */
export function mayWrite(state, localNow = localSeconds()) {
  if (state.removed) return false;
  const phase = state.room.phase;
  if (isFacilitator(state)) return phase !== "closed";
  if (phase === "write") return !closedByTimer(state, localNow);
  return state.room.settings.add_after_write && AFTER_WRITE.has(phase);
}

/** May the current person change this idea? Mirrors the server; the server decides. @param {State} state @param {Idea} idea @param {number} [localNow] */
export function mayChange(state, idea, localNow = localSeconds()) {
  if (state.room.phase === "closed" || state.removed) return false;
  if (isFacilitator(state)) return true;
  return idea.author === state.me.author && state.room.phase === "write" && !closedByTimer(state, localNow);
}

/**
 * Participants present (facilitators left out, as far as this page knows their roles).
 * @param {State} state
 */
export function participantsPresent(state) {
  let n = 0;
  for (const id of state.present.keys()) {
    const role = id === state.me.id ? state.me.role : state.roles.get(id);
    if (role !== "facilitator") n += 1;
  }
  return n;
}

/** "12 / 30 ont fini": the server's figures, or the people present until it says. @param {State} state */
export function doneOf(state) {
  return { done: state.done.done, of: state.done.present ?? participantsPresent(state) };
}

/**
 * May this person hide ideas from participants now? Facilitators, except during
 * private writing (then only authors and facilitators see ideas: delete instead).
 * @param {State} state
 */
export function mayHide(state) {
  const { phase, settings } = state.room;
  return isFacilitator(state) && !state.removed && phase !== "closed" && !(phase === "write" && settings.private_writing);
}

/** Does this phase have a "J'ai fini" button (for participants)? @param {State} state */
export function offersDone(state) {
  return !isFacilitator(state) && DONE_PHASES.has(state.room.phase) && !state.removed;
}

/**
 * "mm:ss" (or "h:mm:ss" from an hour), counting whole seconds up: 2:59.2 left shows 03:00.
 * @param {number} seconds
 */
export function formatClock(seconds) {
  const total = Math.max(0, Math.ceil(seconds - 1e-6));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}


// -- grouping -------------------------------------------------------------------------

/** Things in order: by position, then id. @param {{position: number}} a @param {{position: number}} b @param {string} idA @param {string} idB */
export function byPlace(a, b, idA, idB) {
  return a.position - b.position || (idA < idB ? -1 : idA > idB ? 1 : 0);
}

/** The clusters of a prompt, in order. @param {State} state @param {string} promptId @returns {Cluster[]} */
export function clustersOf(state, promptId) {
  return [...state.clusters.values()].filter((c) => c.prompt === promptId)
    .sort((a, b) => byPlace(a, b, a.cluster, b.cluster));
}

/** The ideas of a cluster, in order. @param {State} state @param {string} clusterId @returns {Idea[]} */
export function membersOf(state, clusterId) {
  return [...state.ideas.values()].filter((i) => i.cluster === clusterId).sort((a, b) => byPlace(a, b, a.idea, b.idea));
}

/** May this person group ideas now? Mirrors the server (`app/phases.py`); the server decides. @param {State} state */
export function mayGroup(state) {
  if (state.removed || !GROUPING_PHASES.has(state.room.phase)) return false;
  if (isFacilitator(state)) return true;
  return state.room.phase === "group" && state.room.settings.grouping === "everyone";
}

// -- voting ---------------------------------------------------------------------------

/** May this person place dots now? @param {State} state */
export function mayVote(state) {
  return !state.removed && state.room.phase === "vote";
}

/** Can this idea or cluster take dots? Mirrors `app/voting.py`. @param {State} state @param {string} id */
export function votable(state, id) {
  const on = state.room.settings.vote_on;
  if (state.clusters.has(id)) return on === "all" || on === "clusters";
  const idea = state.ideas.get(id);
  if (!idea || idea.hidden) return false;
  return on === "ideas" || (on === "all" && !idea.cluster);
}

/** The per-item cap, never above the budget. @param {State} state */
export function capOf(state) {
  return Math.min(state.room.settings.vote_cap, state.room.settings.vote_budget);
}

/** Dots this person placed, on items that still take them. @param {State} state */
export function dotsPlaced(state) {
  let n = 0;
  for (const [item, count] of state.votes.mine) if (votable(state, item)) n += count;
  return n;
}

/** Dots this person has left. @param {State} state */
export function dotsLeft(state) {
  return Math.max(0, state.room.settings.vote_budget - dotsPlaced(state));
}

/** Are everyone's totals shown now? Mirrors `app/visibility.tallies_shown`. @param {State} state */
export function talliesShown(state) {
  return state.room.settings.tallies === "live" || RESULTS.has(state.room.phase);
}

// -- capitalisation -------------------------------------------------------------------

/**
 * Where an idea or cluster of a capitalisation room came from: the group's label, its
 * place in the list (for a colour that is never the only sign) and the dots it had there.
 * @param {State} state @param {{source?: string, source_votes?: number | null}} item
 * @returns {{label: string, index: number, votes: number | null, date: string} | null}
 */
export function provenanceOf(state, item) {
  if (!item.source) return null;
  const sources = /** @type {{id: string, label: string, date?: string}[]} */ (/** @type {any} */ (state.room).sources ?? []);
  const index = sources.findIndex((s) => s.id === item.source);
  if (index < 0) return null;
  return { label: sources[index].label, index, votes: item.source_votes ?? null, date: sources[index].date ?? "" };
}
