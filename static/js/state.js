// @ts-check
/**
 * The room as data, and `apply(state, event)` for every event type: the client
 * twin of the server's rules. No DOM, no network: `node --test` runs it.
 */

/**
 * @typedef {{idea: string, prompt: string, author: string, text: string, colour: string, at: number}} Idea
 * @typedef {{id: string, title: string}} Prompt
 * @typedef {{id: string, name: string}} Person
 * @typedef {{id: string, author: string, name: string, role: string}} Me
 * @typedef {{
 *   seq: number,
 *   room: {id: string, title: string, phase: string, template: string},
 *   prompts: Prompt[],
 *   ideas: Map<string, Idea>,
 *   me: Me,
 *   present: Map<string, string>,
 * }} State
 * @typedef {{kind: "idea", id: string, op: "added" | "edited" | "deleted", mine: boolean}
 *   | {kind: "presence", id: string, op: "joined" | "left"}
 *   | {kind: "none"}} Change
 */

/** @param {any} frame a `snapshot` frame @returns {State} */
export function fromSnapshot(frame) {
  return {
    seq: frame.seq,
    room: frame.room,
    prompts: frame.prompts,
    ideas: new Map(frame.ideas.map((/** @type {Idea} */ idea) => [idea.idea, idea])),
    me: frame.me,
    present: new Map(frame.present.map((/** @type {Person} */ p) => [p.id, p.name])),
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

/**
 * Apply one event in place. Sequenced events must come in order (see `position`).
 * @param {State} state @param {any} event @returns {Change}
 */
export function apply(state, event) {
  if (typeof event.seq === "number") state.seq = event.seq;
  switch (event.type) {
    case "idea.added": {
      const { idea, prompt, author, text, colour, at } = event;
      state.ideas.set(idea, { idea, prompt, author, text, colour, at });
      return { kind: "idea", id: idea, op: "added", mine: author === state.me.author };
    }
    case "idea.edited": {
      const current = state.ideas.get(event.idea);
      if (!current) return { kind: "none" };
      state.ideas.set(event.idea, { ...current, text: event.text, colour: event.colour });
      return { kind: "idea", id: event.idea, op: "edited", mine: current.author === state.me.author };
    }
    case "idea.deleted": {
      const current = state.ideas.get(event.idea);
      state.ideas.delete(event.idea);
      return { kind: "idea", id: event.idea, op: "deleted", mine: current?.author === state.me.author };
    }
    case "presence.joined":
      state.present.set(event.id, event.name);
      return { kind: "presence", id: event.id, op: "joined" };
    case "presence.left":
      state.present.delete(event.id);
      return { kind: "presence", id: event.id, op: "left" };
    default:
      return { kind: "none" };
  }
}

/** Ideas of a prompt, oldest first. @param {State} state @param {string} promptId @returns {Idea[]} */
export function ideasOf(state, promptId) {
  return [...state.ideas.values()]
    .filter((idea) => idea.prompt === promptId)
    .sort((a, b) => a.at - b.at || a.idea.localeCompare(b.idea));
}

/** May the current person change this idea? Mirrors the server; the server decides. @param {State} state @param {Idea} idea */
export function mayChange(state, idea) {
  if (state.room.phase === "closed") return false;
  if (state.me.role === "facilitator") return true;
  return idea.author === state.me.author && state.room.phase === "write";
}
