// Grouping, voting and results in the client's state: `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  apply, capOf, clustersOf, dotsLeft, fromSnapshot, mayGroup, mayVote, membersOf, talliesShown, votable,
} from "../../static/js/state.js";
import { looseOf, ranking } from "../../static/js/state-later.js";

const ME = "tag-me";

function snapshot({ phase = "group", role = "participant", settings = {}, votes = undefined } = {}) {
  return {
    type: "snapshot", v: 1, seq: 10, now: 0,
    room: { id: "r", title: "Atelier", phase, template: "remue-meninges", settings },
    prompts: [{ id: "p1", title: "Quoi ?" }, { id: "p2", title: "Où ?" }],
    ideas: [
      { idea: "i1", prompt: "p1", author: ME, text: "Pique-nique", colour: "yellow", at: 1, cluster: "c1", position: 1 },
      { idea: "i2", prompt: "p1", author: "x", text: "Concert", colour: "blue", at: 2, cluster: "c1", position: 2 },
      { idea: "i3", prompt: "p1", author: "x", text: "Fresque", colour: "pink", at: 3, cluster: null, position: 3 },
      { idea: "i4", prompt: "p2", author: "x", text: "Place", colour: "pink", at: 4 },
    ],
    clusters: [{ cluster: "c1", prompt: "p1", title: "Fêtes", named: true, position: 1 }],
    votes, me: { id: "me", author: ME, name: "Camille", role }, present: [],
  };
}

test("a snapshot gives every idea a place, new ideas by their time", () => {
  const s = fromSnapshot(snapshot());
  assert.deepEqual(membersOf(s, "c1").map((i) => i.idea), ["i1", "i2"]);
  assert.deepEqual(looseOf(s, "p1").map((i) => i.idea), ["i3"]);
  assert.equal(s.ideas.get("i4")?.position, 4);
  assert.deepEqual(clustersOf(s, "p1").map((c) => c.title), ["Fêtes"]);
});

test("group.changed puts ideas and clusters where the server says, and drops what is gone", () => {
  const s = fromSnapshot(snapshot());
  const change = apply(s, {
    type: "group.changed", seq: 11, action: "cluster.merge",
    ideas: [{ idea: "i3", prompt: "p1", cluster: "c2", position: 1 }, { idea: "ghost", prompt: "p1", cluster: "c2", position: 2 }],
    clusters: [{ cluster: "c2", prompt: "p1", title: "Fresque", named: false, position: 2 }], dropped: ["c1"],
  });
  assert.deepEqual(change, { kind: "group", action: "cluster.merge", ideas: ["i3"], clusters: ["c2"], dropped: ["c1"] });
  assert.equal(s.clusters.has("c1"), false);
  assert.deepEqual(membersOf(s, "c2").map((i) => i.idea), ["i3"]);
  assert.equal(s.ideas.has("ghost"), false); // an idea this page does not see stays unseen
});

test("an idea added later lands at the end of its prompt's loose ideas", () => {
  const s = fromSnapshot(snapshot());
  apply(s, { type: "idea.added", seq: 11, idea: "i5", prompt: "p1", author: ME, text: "Bal", colour: "yellow", at: 99 });
  assert.deepEqual(looseOf(s, "p1").map((i) => i.idea), ["i3", "i5"]);
  apply(s, { type: "idea.deleted", seq: 12, idea: "i3", dropped: [] });
  apply(s, { type: "idea.deleted", seq: 13, idea: "i1" });
  apply(s, { type: "idea.deleted", seq: 14, idea: "i2", dropped: ["c1"] });
  assert.equal(s.clusters.size, 0);
});

test("who may group mirrors the phase table and the room setting", () => {
  assert.equal(mayGroup(fromSnapshot(snapshot())), true);
  assert.equal(mayGroup(fromSnapshot(snapshot({ settings: { grouping: "facilitators" } }))), false);
  assert.equal(mayGroup(fromSnapshot(snapshot({ role: "facilitator", settings: { grouping: "facilitators" } }))), true);
  assert.equal(mayGroup(fromSnapshot(snapshot({ phase: "vote" }))), false);
  assert.equal(mayGroup(fromSnapshot(snapshot({ phase: "vote", role: "facilitator" }))), true);
  assert.equal(mayGroup(fromSnapshot(snapshot({ phase: "write", role: "facilitator" }))), false);
});

test("what takes dots follows vote_on; grouped ideas vote through their cluster", () => {
  const s = fromSnapshot(snapshot({ phase: "vote" }));
  assert.equal(mayVote(s), true);
  assert.deepEqual(["c1", "i1", "i3"].map((id) => votable(s, id)), [true, false, true]);
  s.room.settings.vote_on = "ideas";
  assert.deepEqual(["c1", "i1", "i3"].map((id) => votable(s, id)), [false, true, true]);
  s.room.settings.vote_on = "clusters";
  assert.deepEqual(["c1", "i1", "i3"].map((id) => votable(s, id)), [true, false, false]);
});

test("my dots, what is left, and the cap never above the budget", () => {
  const s = fromSnapshot(snapshot({ phase: "vote", settings: { vote_budget: 2, vote_cap: 3 }, votes: { mine: { c1: 1 }, voters: 3, totals: null } }));
  assert.equal(capOf(s), 2);
  assert.equal(dotsLeft(s), 1);
  const mine = apply(s, { type: "vote.changed", seq: 11, op_id: "o", item: "i3", mine: 1, voters: 3 });
  assert.deepEqual(mine, { kind: "vote", item: "i3", mine: true });
  assert.equal(dotsLeft(s), 0);
  const theirs = apply(s, { type: "vote.changed", seq: 12, voters: 4 }); // hidden tallies: a count, nothing else
  assert.deepEqual(theirs, { kind: "vote", item: null, mine: false });
  assert.equal(s.votes.voters, 4);
  apply(s, { type: "vote.changed", seq: 13 }); // someone's second dot: the number of voters is unchanged
  assert.equal(s.votes.voters, 4);
  assert.equal(s.votes.totals, null);
  assert.equal(talliesShown(s), false);
});

test("results rank by dots with ties sharing a rank", () => {
  const s = fromSnapshot(snapshot({ phase: "results", votes: { mine: {}, voters: 3, totals: { c1: 4, i3: 4, i4: 1 } } }));
  assert.equal(talliesShown(s), true);
  assert.deepEqual(ranking(s).map((r) => [r.id, r.rank, r.tied, r.votes]), [
    ["c1", 1, true, 4], ["i3", 1, true, 4], ["i4", 3, false, 1],
  ]);
  assert.deepEqual(ranking(s)[0].ideas.map((i) => i.idea), ["i1", "i2"]);
});

test("a phase change that changes what pages may see asks every page, facilitators too, to refetch", () => {
  const s = fromSnapshot(snapshot({ phase: "vote", role: "facilitator" }));
  const change = apply(s, { type: "phase.changed", seq: 11, phase: "results", reveal: true });
  assert.equal(change.kind === "phase" && change.refetch, true);
  const tallies = apply(s, { type: "room.configured", seq: 12, settings: { tallies: "live" } });
  assert.equal(tallies.kind === "settings" && tallies.refetch, true);
});
