// @ts-check
// participant.removed with `left`: the person left and their ideas went with them (app/erasure.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { apply, fromSnapshot } from "../../static/js/state.js";

const snapshot = () => fromSnapshot({
  type: "snapshot", v: 1, seq: 10,
  room: { id: "r", title: "Atelier", phase: "vote", template: "t", settings: { tallies: "live" } },
  prompts: [{ id: "p1", title: "Quoi ?" }],
  ideas: [
    { idea: "i1", prompt: "p1", author: "tag-her", text: "à elle", colour: "yellow", at: 1, cluster: "c1", position: 1 },
    { idea: "i2", prompt: "p1", author: "tag-me", text: "à moi", colour: "yellow", at: 2, cluster: "c1", position: 2 },
    { idea: "i3", prompt: "p1", author: "tag-her", text: "seule", colour: "blue", at: 3, cluster: "c2", position: 1 },
  ],
  clusters: [
    { cluster: "c1", prompt: "p1", title: "à elle", named: false, position: 1 },
    { cluster: "c2", prompt: "p1", title: "seule", named: false, position: 2 },
  ],
  votes: { mine: { c2: 1 }, totals: { c1: 2, c2: 1 }, voters: 2 },
  me: { id: "pub-me", author: "tag-me", name: "Camille", role: "participant" },
  present: [{ id: "pub-me", name: "Camille" }, { id: "pub-her", name: "Alice" }],
});

test("someone left: their ideas, the clusters they emptied and the dots on them go; titles follow", () => {
  const s = snapshot();
  const change = apply(s, {
    type: "participant.removed", seq: 11, participant: "pub-her", left: true, ideas: ["i1", "i3"],
    clusters: [{ cluster: "c1", prompt: "p1", title: "à moi", named: false, position: 1 }], dropped: ["c2"],
  });
  assert.deepEqual(change, { kind: "removed", id: "pub-her", me: false, erased: true });
  assert.deepEqual([...s.ideas.keys()], ["i2"]);
  assert.deepEqual([...s.clusters.keys()], ["c1"]);
  assert.equal(s.clusters.get("c1")?.title, "à moi");
  assert.equal(s.votes.mine.has("c2"), false);
  assert.equal(s.votes.totals?.has("c2"), false);
  assert.equal(s.present.has("pub-her"), false);
  assert.equal(s.seq, 11);
});

test("in a private view only the counts change", () => {
  const s = snapshot();
  s.tallies.set("p1", 5);
  apply(s, { type: "participant.removed", seq: 11, participant: "pub-her", left: true, ideas: [], clusters: [],
    dropped: [], tallies: { p1: 3 } });
  assert.equal(s.tallies.get("p1"), 3);
  assert.equal(s.ideas.size, 3);
});

test("a facilitator's removal keeps the ideas", () => {
  const s = snapshot();
  assert.deepEqual(apply(s, { type: "participant.removed", seq: 11, participant: "pub-her" }),
    { kind: "removed", id: "pub-her", me: false });
  assert.equal(s.ideas.size, 3);
});
