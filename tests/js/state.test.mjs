// The client twin of the server's rules, without a browser: `node --test tests/js/`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { apply, fromSnapshot, ideasOf, mayChange, position } from "../../static/js/state.js";

const ME = "tag-me";
const OTHER = "tag-other";

/** A snapshot frame as the server sends it (see app/service.py `snapshot`). */
function snapshot({ seq = 10, phase = "write", role = "participant", ideas = undefined } = {}) {
  return {
    type: "snapshot",
    v: 1,
    seq,
    room: { id: "room-1", title: "Atelier", phase, template: "journee-citoyenne" },
    prompts: [
      { id: "p1", title: "Quelles activités ?" },
      { id: "p2", title: "Pour qui ?" },
    ],
    ideas: ideas ?? [
      { idea: "i1", prompt: "p1", author: ME, text: "Un pique-nique", colour: "yellow", at: 100 },
      { idea: "i2", prompt: "p1", author: OTHER, text: "Un concert", colour: "blue", at: 50 },
      { idea: "i3", prompt: "p2", author: OTHER, text: "Les voisins", colour: "pink", at: 75 },
    ],
    me: { id: "pub-me", author: ME, name: "Camille", role },
    present: [
      { id: "pub-me", name: "Camille" },
      { id: "pub-other", name: "Dominique" },
    ],
  };
}

const state = (options) => fromSnapshot(snapshot(options));

test("state.js runs without a DOM", () => {
  assert.equal(typeof globalThis.document, "undefined");
  assert.equal(typeof globalThis.window, "undefined");
});

describe("fromSnapshot", () => {
  test("copies the room, prompts, me and seq", () => {
    const s = state();
    assert.equal(s.seq, 10);
    const { id, title, phase, template } = s.room;
    assert.deepEqual({ id, title, phase, template }, { id: "room-1", title: "Atelier", phase: "write", template: "journee-citoyenne" });
    assert.deepEqual(s.prompts.map((p) => p.id), ["p1", "p2"]);
    assert.deepEqual(s.me, { id: "pub-me", author: ME, name: "Camille", role: "participant" });
  });

  test("indexes ideas by id", () => {
    const s = state();
    assert.ok(s.ideas instanceof Map);
    assert.deepEqual([...s.ideas.keys()].sort(), ["i1", "i2", "i3"]);
    assert.deepEqual(s.ideas.get("i2"), { idea: "i2", prompt: "p1", author: OTHER, text: "Un concert", colour: "blue", at: 50 });
  });

  test("indexes present people by public id", () => {
    const s = state();
    assert.ok(s.present instanceof Map);
    assert.deepEqual([...s.present.entries()], [["pub-me", "Camille"], ["pub-other", "Dominique"]]);
  });

  test("an empty room", () => {
    const s = fromSnapshot({ ...snapshot({ seq: 0 }), ideas: [], present: [] });
    assert.equal(s.seq, 0);
    assert.equal(s.ideas.size, 0);
    assert.equal(s.present.size, 0);
  });
});

describe("position", () => {
  const cases = [
    [{ seq: 11 }, "next"],
    [{ seq: 10 }, "stale"],
    [{ seq: 3 }, "stale"],
    [{ seq: 0 }, "stale"],
    [{ seq: 12 }, "gap"],
    [{ seq: 1000 }, "gap"],
    [{}, "unsequenced"],
    [{ seq: undefined }, "unsequenced"],
    [{ seq: null }, "unsequenced"],
    [{ seq: "11" }, "unsequenced"],
  ];
  for (const [event, expected] of cases) {
    test(`${JSON.stringify(event)} against seq 10 is ${expected}`, () => {
      assert.equal(position(state({ seq: 10 }), event), expected);
    });
  }

  test("from a fresh room, seq 1 is next", () => {
    assert.equal(position(state({ seq: 0, ideas: [] }), { seq: 1 }), "next");
  });
});

describe("apply", () => {
  test("idea.added by someone else", () => {
    const s = state();
    const change = apply(s, { type: "idea.added", seq: 11, op_id: "op-0000001", idea: "i9", prompt: "p2", author: OTHER, text: "<b>Un bal</b>", colour: "green", at: 200 });
    assert.deepEqual(change, { kind: "idea", id: "i9", op: "added", mine: false });
    assert.equal(s.seq, 11);
    // stored as sent (text is text), without wire-only fields such as op_id, seq or type
    assert.deepEqual(s.ideas.get("i9"), { idea: "i9", prompt: "p2", author: OTHER, text: "<b>Un bal</b>", colour: "green", at: 200 });
  });

  test("idea.added by me is marked mine", () => {
    const s = state();
    const change = apply(s, { type: "idea.added", seq: 11, idea: "i9", prompt: "p1", author: ME, text: "x", colour: "yellow", at: 200 });
    assert.deepEqual(change, { kind: "idea", id: "i9", op: "added", mine: true });
  });

  test("idea.edited changes text and colour only", () => {
    const s = state();
    const change = apply(s, { type: "idea.edited", seq: 11, idea: "i1", text: "Un grand pique-nique", colour: "orange", at: 300 });
    assert.deepEqual(change, { kind: "idea", id: "i1", op: "edited", mine: true });
    assert.deepEqual(s.ideas.get("i1"), { idea: "i1", prompt: "p1", author: ME, text: "Un grand pique-nique", colour: "orange", at: 100 });
    assert.equal(s.seq, 11);
  });

  test("idea.edited of someone else's idea is not mine", () => {
    const s = state();
    assert.deepEqual(apply(s, { type: "idea.edited", seq: 11, idea: "i2", text: "t", colour: "blue", at: 1 }),
      { kind: "idea", id: "i2", op: "edited", mine: false });
  });

  test("idea.edited of an unknown idea changes nothing but the seq", () => {
    const s = state();
    const before = new Map(s.ideas);
    assert.deepEqual(apply(s, { type: "idea.edited", seq: 11, idea: "nope", text: "t", colour: "blue", at: 1 }), { kind: "none" });
    assert.deepEqual(s.ideas, before);
    assert.equal(s.seq, 11);
  });

  test("idea.deleted", () => {
    const s = state();
    assert.deepEqual(apply(s, { type: "idea.deleted", seq: 11, idea: "i1" }), { kind: "idea", id: "i1", op: "deleted", mine: true });
    assert.equal(s.ideas.has("i1"), false);
    assert.equal(s.ideas.size, 2);
    assert.deepEqual(apply(s, { type: "idea.deleted", seq: 12, idea: "i2" }), { kind: "idea", id: "i2", op: "deleted", mine: false });
    assert.equal(s.seq, 12);
  });

  test("idea.deleted of an unknown idea is harmless", () => {
    const s = state();
    const change = apply(s, { type: "idea.deleted", seq: 11, idea: "nope" });
    assert.equal(change.mine, false);
    assert.equal(s.ideas.size, 3);
  });

  test("presence.joined and presence.left are unsequenced and keep the seq", () => {
    const s = state();
    assert.deepEqual(apply(s, { type: "presence.joined", id: "pub-new", name: "Sami" }), { kind: "presence", id: "pub-new", op: "joined" });
    assert.equal(s.present.get("pub-new"), "Sami");
    assert.equal(s.present.size, 3);
    assert.deepEqual(apply(s, { type: "presence.left", id: "pub-other", name: "Dominique" }), { kind: "presence", id: "pub-other", op: "left" });
    assert.equal(s.present.has("pub-other"), false);
    assert.equal(s.seq, 10);
  });

  test("presence.joined twice keeps one entry", () => {
    const s = state();
    apply(s, { type: "presence.joined", id: "pub-other", name: "Dominique" });
    assert.equal(s.present.size, 2);
  });

  test("unknown events change nothing", () => {
    const s = state();
    assert.deepEqual(apply(s, { type: "typing", id: "pub-other" }), { kind: "none" });
    assert.equal(s.ideas.size, 3);
    assert.equal(s.present.size, 2);
    assert.equal(s.seq, 10);
  });

  test("a run of events in order ends at the last seq", () => {
    const s = state({ seq: 0, ideas: [] });
    const events = [
      { type: "idea.added", seq: 1, idea: "a", prompt: "p1", author: ME, text: "1", colour: "yellow", at: 1 },
      { type: "presence.joined", id: "pub-x", name: "X" },
      { type: "idea.added", seq: 2, idea: "b", prompt: "p1", author: OTHER, text: "2", colour: "yellow", at: 2 },
      { type: "idea.edited", seq: 3, idea: "a", text: "1bis", colour: "pink", at: 3 },
      { type: "idea.deleted", seq: 4, idea: "b" },
    ];
    for (const event of events) {
      assert.ok(["next", "unsequenced"].includes(position(s, event)));
      apply(s, event);
    }
    assert.equal(s.seq, 4);
    assert.deepEqual([...s.ideas.values()].map((i) => [i.idea, i.text, i.colour]), [["a", "1bis", "pink"]]);
  });
});

describe("ideasOf", () => {
  test("ideas of one prompt, oldest first", () => {
    assert.deepEqual(ideasOf(state(), "p1").map((i) => i.idea), ["i2", "i1"]);
    assert.deepEqual(ideasOf(state(), "p2").map((i) => i.idea), ["i3"]);
    assert.deepEqual(ideasOf(state(), "nope"), []);
  });

  test("same time: ordered by id, whatever the insertion order", () => {
    const ideas = ["c", "a", "b"].map((id) => ({ idea: id, prompt: "p1", author: ME, text: id, colour: "yellow", at: 5 }));
    assert.deepEqual(ideasOf(state({ ideas }), "p1").map((i) => i.idea), ["a", "b", "c"]);
    assert.deepEqual(ideasOf(state({ ideas: [...ideas].reverse() }), "p1").map((i) => i.idea), ["a", "b", "c"]);
  });

  test("follows additions, edits and deletions", () => {
    const s = state();
    apply(s, { type: "idea.added", seq: 11, idea: "i0", prompt: "p1", author: OTHER, text: "old", colour: "yellow", at: 10 });
    apply(s, { type: "idea.deleted", seq: 12, idea: "i2" });
    assert.deepEqual(ideasOf(s, "p1").map((i) => i.idea), ["i0", "i1"]);
  });
});

describe("mayChange", () => {
  const mine = { idea: "i1", prompt: "p1", author: ME, text: "x", colour: "yellow", at: 1 };
  const theirs = { idea: "i2", prompt: "p1", author: OTHER, text: "y", colour: "yellow", at: 1 };
  const phases = ["lobby", "write", "group", "vote", "results", "roadmap", "closed"];
  // Mirrors app/phases.py: participants change their own ideas while writing; the facilitator any
  // idea in any phase but "closed".
  for (const phase of phases) {
    for (const role of ["participant", "facilitator"]) {
      for (const [whose, idea] of [["own", mine], ["other's", theirs]]) {
        const expected = phase !== "closed" && (role === "facilitator" || (whose === "own" && phase === "write"));
        test(`${role}, ${whose} idea, ${phase}: ${expected}`, () => {
          assert.equal(mayChange(state({ phase, role }), idea), expected);
        });
      }
    }
  }
});
