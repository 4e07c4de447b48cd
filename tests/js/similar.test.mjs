// "Les regrouper" on a near-duplicate hint (static/js/views/similar.js): one ordinary grouping command,
// chosen from the board as it is when the person presses it; nothing is sent without that press.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SimilarHints } from "../../static/js/views/similar.js";

/** The board: clusters c1 and c2, idea i1 in c1, loose ideas i2 and i3. */
function board() {
  return /** @type {any} */ ({
    clusters: new Map([["c1", { cluster: "c1" }], ["c2", { cluster: "c2" }]]),
    ideas: new Map([["i1", { idea: "i1", cluster: "c1" }], ["i2", { idea: "i2", cluster: null }],
      ["i3", { idea: "i3", cluster: null }]]),
  });
}

/** What one press of "Les regrouper" on the pair (a, b) sends. @param {string} a @param {string} b */
function pressed(a, b, state = board()) {
  /** @type {unknown[]} */
  const sent = [];
  SimilarHints.prototype.merge.call({ state: () => state, send: (/** @type {unknown} */ c) => sent.push(c) }, a, b);
  return sent;
}

test("two clusters: the second merges into the first", () => {
  assert.deepEqual(pressed("c1", "c2"), [{ type: "cluster.merge", cluster: "c2", into: "c1" }]);
});

test("a cluster and a loose idea: the idea joins the cluster, whichever side it is on", () => {
  assert.deepEqual(pressed("c2", "i2"), [{ type: "ideas.move", ideas: ["i2"], cluster: "c2" }]);
  assert.deepEqual(pressed("i2", "c2"), [{ type: "ideas.move", ideas: ["i2"], cluster: "c2" }]);
});

test("an idea already in a cluster and a loose idea: the loose one joins that cluster", () => {
  assert.deepEqual(pressed("i1", "i2"), [{ type: "ideas.move", ideas: ["i2"], cluster: "c1" }]);
  assert.deepEqual(pressed("i2", "i1"), [{ type: "ideas.move", ideas: ["i2"], cluster: "c1" }]);
});

test("two loose ideas: a new cluster of both", () => {
  assert.deepEqual(pressed("i2", "i3"), [{ type: "cluster.create", ideas: ["i2", "i3"] }]);
});

test("the board as it is now decides, and a page with no board sends nothing", () => {
  const state = board();
  state.ideas.get("i2").cluster = "c2"; // someone grouped it since the hint was listed
  assert.deepEqual(pressed("i2", "i3", state), [{ type: "ideas.move", ideas: ["i3"], cluster: "c2" }]);
  /** @type {unknown[]} */
  const sent = [];
  SimilarHints.prototype.merge.call({ state: () => null, send: (/** @type {unknown} */ c) => sent.push(c) }, "i2", "i3");
  assert.deepEqual(sent, []);
});
