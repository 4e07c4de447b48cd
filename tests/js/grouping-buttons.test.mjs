// The grouping buttons' commands, without a browser: `node --test tests/js/`.
// GroupingBar.step (an idea up or down), moveCluster (a cluster up or down) and what the live
// region says after one's own grouping (GroupingBar.said), on a state made from a snapshot.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { setCatalogue } from "../../static/js/i18n.js";
import { apply, fromSnapshot } from "../../static/js/state.js";
import { moveCluster } from "../../static/js/views/clusters.js";
import { GroupingBar } from "../../static/js/views/grouping.js";

const fr = JSON.parse(readFileSync(new URL("../../app/locales/fr.json", import.meta.url), "utf-8"));
setCatalogue(fr, "fr");

function room() {
  const idea = (id, prompt, cluster, position) => ({ idea: id, prompt, author: "x", text: `Idée ${id}`, colour: "yellow", at: position, cluster, position });
  return fromSnapshot({
    type: "snapshot", v: 1, seq: 10, now: 0,
    room: { id: "r", title: "Atelier", phase: "group", template: "remue-meninges", settings: {} },
    prompts: [{ id: "p1", title: "Quoi ?" }, { id: "p2", title: "Où ?" }],
    ideas: [idea("a", "p1", "c1", 1), idea("b", "p1", "c1", 2), idea("c", "p1", "c1", 3), idea("l", "p1", null, 4), idea("m", "p1", null, 5)],
    clusters: [1, 2, 3].map((n) => ({ cluster: `c${n}`, prompt: "p1", title: `Regroupement ${n}`, named: true, position: n })),
    votes: undefined, me: { id: "me", author: "tag-me", name: "Camille", role: "participant" }, present: [],
  });
}

/** The commands `run` sends, with `this` standing for the bar (step needs only state and send). */
function sent(run) {
  const commands = [];
  run((command) => commands.push(command));
  return commands;
}

test("an idea moves one place up or down among its siblings, and not past either end", () => {
  const state = room();
  const step = (id, by) => sent((send) => GroupingBar.prototype.step.call({ state, send }, id, by));
  assert.deepEqual(step("b", -1), [{ type: "ideas.move", ideas: ["b"], cluster: "c1", prompt: undefined, before: "a" }]);
  assert.deepEqual(step("a", 1), [{ type: "ideas.move", ideas: ["a"], cluster: "c1", prompt: undefined, before: "c" }]);
  assert.deepEqual(step("b", 1), [{ type: "ideas.move", ideas: ["b"], cluster: "c1", prompt: undefined }]); // to the end
  assert.deepEqual(step("a", -1), []);
  assert.deepEqual(step("c", 1), []);
  assert.deepEqual(step("l", 1), [{ type: "ideas.move", ideas: ["l"], cluster: null, prompt: "p1" }]); // loose: its prompt
});

test("a cluster moves one place up or down among its prompt's clusters", () => {
  const state = room();
  const move = (id, by) => sent((send) => moveCluster(/** @type {any} */ ({ state, actions: { send } }), id, by));
  assert.deepEqual(move("c2", -1), [{ type: "cluster.move", cluster: "c2", before: "c1" }]);
  assert.deepEqual(move("c1", 1), [{ type: "cluster.move", cluster: "c1", before: "c3" }]);
  assert.deepEqual(move("c2", 1), [{ type: "cluster.move", cluster: "c2" }]);
  assert.deepEqual(move("c1", -1), []);
  assert.deepEqual(move("c3", 1), []);
});

test("one's own grouping is said with where the ideas are now", () => {
  const state = room();
  const said = (event) => GroupingBar.prototype.said.call({}, state, apply(state, { type: "group.changed", seq: state.seq + 1, dropped: [], ...event }));
  assert.equal(said({ action: "ideas.move", ideas: [{ idea: "l", prompt: "p1", cluster: "c2", position: 1 }], clusters: [] }),
    "Enregistré : le regroupement « Regroupement 2 » a 1 idée.");
  assert.equal(said({ action: "ideas.move", ideas: [{ idea: "a", prompt: "p2", cluster: null, position: 9 }], clusters: [] }),
    "Enregistré : hors de tout regroupement, dans la question « Où ? ».");
  assert.equal(said({ action: "cluster.rename", ideas: [], clusters: [{ cluster: "c1", prompt: "p1", title: "Fêtes", named: true, position: 1 }] }),
    "Enregistré : le regroupement « Fêtes » a 2 idées.");
});
