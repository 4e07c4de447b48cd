// The browser side of the roadmap and of provenance, twin of app/phases.py, app/roadmap.py and the
// provenance columns: who may plan, the table's order, an action's source, an item's group.
import assert from "node:assert/strict";
import { test } from "node:test";

import { apply, fromSnapshot, provenanceOf } from "../../static/js/state.js";
import { actionsInOrder, mayPlan, sourceOf } from "../../static/js/state-later.js";

/** A snapshot of a room at the roadmap, with two clusters, a loose idea and two actions. */
function snapshot({ phase = "roadmap", role = "participant", roadmap = "facilitators", sources = [] } = {}) {
  return {
    type: "snapshot", v: 1, seq: 20,
    room: { id: "r", title: "Atelier", phase, template: "remue-meninges", settings: { roadmap }, sources },
    prompts: [{ id: "p1", title: "Quelles activités ?" }],
    ideas: [
      { idea: "i1", prompt: "p1", author: "a", text: "Un pique-nique", colour: "yellow", at: 1, cluster: "c1", position: 1 },
      { idea: "i2", prompt: "p1", author: "b", text: "Un concert", colour: "blue", at: 2, position: 2,
        source: "s2", source_votes: 4 },
    ],
    clusters: [{ cluster: "c1", prompt: "p1", title: "Fêtes", named: true, position: 1, source: "s1", source_votes: null }],
    votes: { mine: {}, voters: 3, totals: { c1: 5, i2: 2 } },
    actions: [
      { action: "a2", title: "Concert", description: "", owners: [], partners: [], horizon: "", due: null, status: "todo",
        source_kind: "idea", source_id: "i2", position: 2 },
      { action: "a1", title: "Fête", description: "", owners: ["Mairie"], partners: [], horizon: "3m", due: null,
        status: "doing", source_kind: "cluster", source_id: "c1", position: 1 },
    ],
    me: { id: "pub", author: "a", name: "Camille", role },
    present: [{ id: "pub", name: "Camille" }],
  };
}
const state = (/** @type {any} */ options) => fromSnapshot(snapshot(options));

test("facilitators plan at the results and the roadmap; participants at the roadmap if the room opens it", () => {
  for (const [phase, role, roadmap, expected] of /** @type {const} */ ([
    ["results", "facilitator", "facilitators", true], ["roadmap", "facilitator", "facilitators", true],
    ["vote", "facilitator", "everyone", false], ["closed", "facilitator", "everyone", false],
    ["roadmap", "participant", "facilitators", false], ["roadmap", "participant", "everyone", true],
    ["results", "participant", "everyone", false],
  ])) {
    assert.equal(mayPlan(state({ phase, role, roadmap })), expected, `${role} in ${phase} (${roadmap})`);
  }
  const removed = state({ role: "participant", roadmap: "everyone" });
  removed.removed = true;
  assert.equal(mayPlan(removed), false);
});

test("the table is in the order of the actions' positions", () => {
  const room = state();
  assert.deepEqual(actionsInOrder(room).map((a) => a.action), ["a1", "a2"]);
  apply(room, { type: "action.changed", seq: 21, action: "a2", state: { ...room.actions.get("a2"), position: 0.5 } });
  assert.deepEqual(actionsInOrder(room).map((a) => a.action), ["a2", "a1"]);
});

test("action.changed adds, edits and deletes an action", () => {
  const room = state();
  const fresh = { title: "Goûter", description: "", owners: ["MJC"], partners: [], horizon: "1y", due: null, status: "todo",
    source_kind: null, source_id: null, position: 3 };
  assert.deepEqual(apply(room, { type: "action.changed", seq: 21, action: "a3", state: fresh }),
    { kind: "action", id: "a3", op: "changed" });
  assert.deepEqual(room.actions.get("a3"), { ...fresh, action: "a3" });
  apply(room, { type: "action.changed", seq: 22, action: "a3", state: { ...fresh, status: "done" } });
  assert.equal(room.actions.get("a3")?.status, "done");
  assert.deepEqual(apply(room, { type: "action.changed", seq: 23, action: "a3", state: null }),
    { kind: "action", id: "a3", op: "deleted" });
  assert.equal(room.actions.has("a3"), false);
});

test("an action's source: its cluster or idea and the dots it has; none once it is gone", () => {
  const room = state();
  assert.deepEqual(sourceOf(room, /** @type {any} */ (room.actions.get("a1"))), { title: "Fêtes", votes: 5 });
  assert.deepEqual(sourceOf(room, /** @type {any} */ (room.actions.get("a2"))), { title: "Un concert", votes: 2 });
  room.clusters.delete("c1"); // dissolved: the action keeps its text, loses its source
  assert.equal(sourceOf(room, /** @type {any} */ (room.actions.get("a1"))), null);
  assert.equal(sourceOf(room, /** @type {any} */ ({ source_kind: null, source_id: null })), null);
});

test("an item's group in a capitalisation room: its label, its place (its colour) and its dots there", () => {
  const sources = [{ id: "s1", label: "Groupe A", date: "2026-11-28" }, { id: "s2", label: "Groupe B", date: "2026-11-30" }];
  const room = state({ sources });
  assert.deepEqual(provenanceOf(room, /** @type {any} */ (room.ideas.get("i2"))),
    { label: "Groupe B", index: 1, votes: 4, date: "2026-11-30" });
  assert.deepEqual(provenanceOf(room, /** @type {any} */ (room.clusters.get("c1"))),
    { label: "Groupe A", index: 0, votes: null, date: "2026-11-28" });
  assert.equal(provenanceOf(room, /** @type {any} */ (room.ideas.get("i1"))), null); // no group
  assert.equal(provenanceOf(state(), /** @type {any} */ (room.ideas.get("i2"))), null); // a room with no groups
});
