// @ts-check
/**
 * The shapes of the room's data, for the type checker and the reader: comments only, never
 * imported by a module (only by JSDoc's import()), so a browser never downloads them.
 * state.js names them again, and the modules take them from there.
 */

/**
 * @typedef {{idea: string, prompt: string, author: string, text: string, colour: string, at: number,
 *   hidden?: boolean, name?: string, cluster: string | null, position: number}} Idea
 * @typedef {{cluster: string, prompt: string, title: string, named: boolean, position: number}} Cluster
 * @typedef {{mine: Map<string, number>, totals: Map<string, number> | null, voters: number}} Votes
 * @typedef {{action: string, title: string, description: string, owners: string[], partners: string[],
 *   horizon: string, due: string | null, status: string, source_kind: string | null, source_id: string | null,
 *   position: number}} Action
 * @typedef {{id: string, kind: "cluster" | "idea", title: string, prompt: string, votes: number, rank: number,
 *   tied: boolean, ideas: Idea[]}} Ranked
 * @typedef {{id: string, title: string}} Prompt
 * @typedef {{id: string, name: string, role?: string}} Person
 * @typedef {{id: string, author: string, name: string, role: string}} Me
 * @typedef {{private_writing: boolean, show_authors: boolean, grouping: string, add_after_write: boolean,
 *   locked: boolean, timer_closes_writing: boolean, vote_budget: number, vote_cap: number,
 *   vote_on: "all" | "clusters" | "ideas", tallies: "hidden" | "live", roadmap: string}} Settings
 * @typedef {{state: "running" | "paused" | "stopped", ends_at: number | null, remaining: number | null,
 *   duration: number | null}} Timer
 * @typedef {{id: string, title: string, phase: string, template: string, code?: string,
 *   settings: Settings, timer: Timer}} Room
 * @typedef {{
 *   seq: number,
 *   room: Room,
 *   prompts: Prompt[],
 *   ideas: Map<string, Idea>,
 *   clusters: Map<string, Cluster>,
 *   actions: Map<string, Action>,
 *   votes: Votes,
 *   me: Me,
 *   present: Map<string, string>,
 *   roles: Map<string, string>,
 *   tallies: Map<string, number>,
 *   done: {done: number, present: number | null},
 *   clockOffset: number,
 *   removed: boolean,
 * }} State
 * @typedef {{kind: "idea", id: string, op: "added" | "edited" | "deleted" | "hidden", mine: boolean}
 *   | {kind: "presence", id: string, op: "joined" | "left"}
 *   | {kind: "phase", phase: string, previous: string, refetch: boolean}
 *   | {kind: "settings", refetch: boolean}
 *   | {kind: "timer"}
 *   | {kind: "prompt", id: string, op: "added" | "renamed" | "deleted"}
 *   | {kind: "tally", prompt: string}
 *   | {kind: "done"}
 *   | {kind: "group", action: string, ideas: string[], clusters: string[], dropped: string[]}
 *   | {kind: "vote", item: string | null, mine: boolean}
 *   | {kind: "action", id: string, op: "changed" | "deleted"}
 *   | {kind: "removed", id: string, me: boolean, erased?: boolean}
 *   | {kind: "role", id: string, role: string, me: boolean, refetch: boolean}
 *   | {kind: "none"}} Change
 */

export {};
