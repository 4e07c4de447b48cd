// The client twin of the server's rules, without a browser: `node --test tests/js/`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  apply, closedByTimer, doneOf, formatClock, fromSnapshot, ideasOf, isPrivateView, mayChange, mayHide, mayWrite, offersDone,
  participantsPresent, position, remaining, setClock, totalOf,
} from "../../static/js/state.js";

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
    assert.deepEqual(s.ideas.get("i2"), { idea: "i2", prompt: "p1", author: OTHER, text: "Un concert", colour: "blue", at: 50, cluster: null, position: 50 });
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
    assert.deepEqual(s.ideas.get("i9"), { idea: "i9", prompt: "p2", author: OTHER, text: "<b>Un bal</b>", colour: "green", at: 200, cluster: null, position: 200 });
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
    assert.deepEqual(s.ideas.get("i1"), { idea: "i1", prompt: "p1", author: ME, text: "Un grand pique-nique", colour: "orange", at: 100, cluster: null, position: 100 });
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

// --- facilitation: phases, settings, timer, moderation, private writing -----------------------

/** A snapshot with the facilitation fields (see app/service.py `_snapshot`). */
function facilitated({ phase = "write", role = "participant", settings = {}, timer = undefined, tallies = {},
  now = 1000, done = 0, ideas = undefined } = {}) {
  const frame = snapshot({ phase, role, ideas });
  frame.room = { ...frame.room, code: "K7M3QP", settings: { private_writing: false, show_authors: false,
    grouping: "everyone", add_after_write: false, locked: false, timer_closes_writing: false, ...settings },
  timer: timer ?? { state: "stopped", ends_at: null, remaining: null, duration: null } };
  return { ...frame, now, tallies, done };
}
const LOCAL = 1000; // the local clock when the snapshot arrived, in seconds
const fstate = (options) => fromSnapshot(facilitated(options), LOCAL);
const mine = (text = "x") => ({ type: "idea.added", seq: 11, op_id: "op-000000001", idea: "i9", prompt: "p1", author: ME, text, colour: "yellow", at: 9 });

describe("fromSnapshot with facilitation", () => {
  test("keeps settings, timer, code, tallies and done", () => {
    const s = fstate({ settings: { private_writing: true }, tallies: { p1: 4 }, done: 2 });
    assert.equal(s.room.code, "K7M3QP");
    assert.equal(s.room.settings.private_writing, true);
    assert.equal(s.room.timer.state, "stopped");
    assert.deepEqual([...s.tallies.entries()], [["p1", 4]]);
    assert.deepEqual(s.done, { done: 2, present: null });
    assert.equal(s.removed, false);
  });

  test("the clock offset is the server's now minus ours", () => {
    assert.equal(fromSnapshot(facilitated({ now: 1010 }), 1000).clockOffset, 10);
    assert.equal(fromSnapshot(facilitated({ now: 995 }), 1000).clockOffset, -5);
  });

  test("an older server's snapshot gets default settings and no timer", () => {
    const s = fromSnapshot(snapshot());
    assert.equal(s.room.settings.private_writing, false);
    assert.equal(s.room.timer.state, "stopped");
    assert.equal(s.tallies.size, 0);
    assert.equal(s.clockOffset, 0);
  });
});

describe("phases", () => {
  test("phase.changed moves the room, resets done and keeps the seq", () => {
    const s = fstate({ phase: "lobby", done: 3 });
    const change = apply(s, { type: "phase.changed", seq: 11, op_id: "op-00000001", phase: "write", reveal: false });
    assert.deepEqual(change, { kind: "phase", phase: "write", previous: "lobby", refetch: false });
    assert.equal(s.room.phase, "write");
    assert.equal(s.done.done, 0);
    assert.equal(s.seq, 11);
  });

  const refetches = [
    // [role, private writing, from, to, reveal, refetch]
    ["participant", true, "write", "group", true, true], // the reveal: everyone's ideas
    ["participant", true, "group", "write", false, true], // back to private: only one's own
    ["participant", true, "lobby", "write", false, true],
    ["participant", false, "write", "group", false, false], // nothing was private
    ["participant", false, "lobby", "write", false, false],
    ["participant", true, "group", "vote", false, false],
    ["facilitator", true, "write", "group", true, true], // what pages see changes: a fresh snapshot, facilitators too
    ["facilitator", true, "group", "write", false, false],
  ];
  for (const [role, privateWriting, from, to, reveal, refetch] of refetches) {
    test(`${role}, private ${privateWriting}, ${from} → ${to}${reveal ? " (reveal)" : ""}: refetch ${refetch}`, () => {
      const s = fstate({ phase: from, role, settings: { private_writing: privateWriting } });
      assert.equal(apply(s, { type: "phase.changed", seq: 11, phase: to, reveal }).refetch, refetch);
    });
  }
});

describe("settings", () => {
  test("room.configured replaces the settings; participants refetch, facilitators only for the names", () => {
    const s = fstate();
    const settings = { private_writing: true, show_authors: true, grouping: "facilitators", add_after_write: true,
      locked: true, timer_closes_writing: true };
    assert.deepEqual(apply(s, { type: "room.configured", seq: 11, settings }), { kind: "settings", refetch: true });
    assert.deepEqual(s.room.settings, { ...settings, vote_budget: 5, vote_cap: 3, vote_on: "all", tallies: "hidden", roadmap: "facilitators" });
    assert.deepEqual(apply(fstate({ role: "facilitator" }), { type: "room.configured", seq: 11, settings }),
      { kind: "settings", refetch: true }); // the names of the authors come with a snapshot
    assert.deepEqual(apply(fstate({ role: "facilitator" }), { type: "room.configured", seq: 11, settings: { ...settings, show_authors: false } }),
      { kind: "settings", refetch: false });
  });
});

describe("timer", () => {
  test("timer.changed sets the timer and the clock offset", () => {
    const s = fstate();
    const timer = { state: "running", ends_at: 1300, remaining: null, duration: 180 };
    assert.deepEqual(apply(s, { type: "timer.changed", seq: 11, timer, now: 1120 }, 1100), { kind: "timer" });
    assert.deepEqual(s.room.timer, timer);
    assert.equal(s.clockOffset, 20);
    // Our clock says 1100 but the server's says 1120: 180 seconds left, not 200.
    assert.equal(remaining(s, 1100), 180);
    assert.equal(remaining(s, 1110), 170);
  });

  test("a replayed timer.changed keeps the clock offset: a phone that slept shows the time left now", () => {
    // A 60 s timer started at server time 1000; the phone slept and catches up at server time 1120.
    const s = fstate();
    const timer = { state: "running", ends_at: 1180, remaining: null, duration: 60 };
    setClock(s, 1120, 1120); // the catch-up frame's own now, when it came: clocks agree
    apply(s, { type: "timer.changed", seq: 11, timer, now: 1000 }, 1120, true);
    assert.equal(s.clockOffset, 0);
    assert.equal(remaining(s, 1120), 60); // not 180, as the logged now (1000) would say
    apply(s, { type: "timer.changed", seq: 12, timer, now: 1000 }, 1120); // a live one sets it
    assert.equal(s.clockOffset, -120);
  });

  test("a phase change that stopped the timer says so; one without a timer leaves it", () => {
    const running = { state: "running", ends_at: 1300, remaining: null, duration: 180 };
    const s = fstate({ timer: running });
    apply(s, { type: "phase.changed", seq: 11, phase: "group", reveal: false });
    assert.deepEqual(s.room.timer, running); // an event from a server that did not stop it
    const stopped = { state: "stopped", ends_at: null, remaining: null, duration: null };
    apply(s, { type: "phase.changed", seq: 12, phase: "vote", reveal: false, timer: stopped });
    assert.deepEqual(s.room.timer, stopped);
    assert.equal(remaining(s, LOCAL), null); // nothing shown any more
  });

  test("two clocks far apart show the same time", () => {
    const timer = { state: "running", ends_at: 5180, remaining: null, duration: 180 };
    const fast = fstate({ now: 5000 }); // arrived when the local clock said 1000
    const slow = fromSnapshot(facilitated({ now: 5000 }), 4000);
    fast.room.timer = slow.room.timer = timer;
    assert.equal(remaining(fast, 1000 + 30), remaining(slow, 4000 + 30));
  });

  test("paused shows its remaining time; stopped shows nothing", () => {
    assert.equal(remaining(fstate({ timer: { state: "paused", ends_at: null, remaining: 42.5, duration: 60 } }), 9999), 42.5);
    assert.equal(remaining(fstate(), LOCAL), null);
  });

  const clocks = [[180, "03:00"], [179.2, "03:00"], [179, "02:59"], [0.4, "00:01"], [0, "00:00"], [-5, "00:00"],
    [59.999, "01:00"], [3600, "1:00:00"], [7200, "2:00:00"], [3725, "1:02:05"]];
  for (const [left, shown] of clocks) {
    test(`formatClock(${left}) is ${shown}`, () => assert.equal(formatClock(left), shown));
  }

  test("a timer that ran out closes writing only when the room says so, and only in write", () => {
    const running = { state: "running", ends_at: 1060, remaining: null, duration: 60 };
    const closes = fstate({ timer: running, settings: { timer_closes_writing: true } });
    assert.equal(closedByTimer(closes, 1059), false);
    assert.equal(mayWrite(closes, 1059), true);
    assert.equal(closedByTimer(closes, 1060), true);
    assert.equal(mayWrite(closes, 1061), false);
    assert.equal(mayChange(closes, closes.ideas.get("i1"), 1061), false);
    const open = fstate({ timer: running });
    assert.equal(mayWrite(open, 2000), true);
    const facilitator = fstate({ timer: running, role: "facilitator", settings: { timer_closes_writing: true } });
    assert.equal(mayWrite(facilitator, 2000), true);
  });
});

describe("mayWrite", () => {
  const phases = ["lobby", "write", "group", "vote", "results", "roadmap", "closed"];
  for (const phase of phases) {
    for (const late of [false, true]) {
      const expected = phase === "write" || (late && !["lobby", "closed", "write"].includes(phase));
      test(`participant, ${phase}, add_after_write ${late}: ${expected}`, () => {
        assert.equal(mayWrite(fstate({ phase, settings: { add_after_write: late } }), LOCAL), expected);
      });
    }
    test(`facilitator, ${phase}: ${phase !== "closed"}`, () => {
      assert.equal(mayWrite(fstate({ phase, role: "facilitator" }), LOCAL), phase !== "closed");
    });
  }
});

describe("private writing", () => {
  const own = [{ idea: "i1", prompt: "p1", author: ME, text: "Un pique-nique", colour: "yellow", at: 100 }];

  test("only participants in write with the setting on see privately", () => {
    assert.equal(isPrivateView(fstate({ settings: { private_writing: true } })), true);
    assert.equal(isPrivateView(fstate({ settings: { private_writing: false } })), false);
    assert.equal(isPrivateView(fstate({ phase: "group", settings: { private_writing: true } })), false);
    assert.equal(isPrivateView(fstate({ role: "facilitator", settings: { private_writing: true } })), false);
  });

  test("a tally says how many ideas a prompt holds, everyone's", () => {
    const s = fstate({ settings: { private_writing: true }, tallies: { p1: 3 }, ideas: own });
    assert.equal(totalOf(s, "p1"), 3);
    assert.deepEqual(apply(s, { type: "tally", seq: 11, prompt: "p1", count: 5 }), { kind: "tally", prompt: "p1" });
    assert.equal(totalOf(s, "p1"), 5);
    assert.equal(s.seq, 11);
    assert.equal(s.ideas.size, 1); // counts, never texts
  });

  test("my own new idea counts at once; my own deletion too", () => {
    const s = fstate({ settings: { private_writing: true }, tallies: { p1: 3 }, ideas: own });
    apply(s, mine());
    assert.equal(totalOf(s, "p1"), 4);
    apply(s, { type: "idea.deleted", seq: 12, idea: "i1" });
    assert.equal(totalOf(s, "p1"), 3);
  });

  test("never fewer than my own ideas, whatever the tally", () => {
    const s = fstate({ settings: { private_writing: true }, tallies: {}, ideas: own });
    assert.equal(totalOf(s, "p1"), 1);
  });

  test("outside private writing the count is the visible ideas", () => {
    const s = fstate({ role: "facilitator", tallies: { p1: 99 } });
    assert.equal(totalOf(s, "p1"), 2);
    apply(s, { type: "idea.hidden", seq: 11, idea: "i2", hidden: true });
    assert.equal(totalOf(s, "p1"), 1);
  });

  test("skip: an event this person may not see only moves the seq", () => {
    const s = fstate({ settings: { private_writing: true } });
    assert.deepEqual(apply(s, { type: "skip", seq: 11 }), { kind: "none" });
    assert.equal(s.seq, 11);
    assert.equal(position(s, { type: "skip", seq: 12 }), "next");
  });
});

describe("moderation", () => {
  test("idea.hidden marks and unmarks an idea (facilitators)", () => {
    const s = fstate({ role: "facilitator" });
    assert.deepEqual(apply(s, { type: "idea.hidden", seq: 11, idea: "i2", hidden: true }),
      { kind: "idea", id: "i2", op: "hidden", mine: false });
    assert.equal(s.ideas.get("i2").hidden, true);
    apply(s, { type: "idea.hidden", seq: 12, idea: "i2", hidden: false });
    assert.equal("hidden" in s.ideas.get("i2"), false);
    assert.deepEqual(apply(s, { type: "idea.hidden", seq: 13, idea: "nope", hidden: true }), { kind: "none" });
  });

  test("facilitators hide ideas in every phase but closed, and not during private writing", () => {
    for (const phase of ["lobby", "write", "group", "vote", "results", "roadmap", "closed"]) {
      assert.equal(mayHide(fstate({ phase, role: "facilitator" })), phase !== "closed", phase);
      assert.equal(mayHide(fstate({ phase, role: "facilitator", settings: { private_writing: true } })),
        phase !== "closed" && phase !== "write", phase);
      assert.equal(mayHide(fstate({ phase })), false, phase);
    }
  });

  test("ideas keep the author's name and the hidden flag they come with", () => {
    const s = fromSnapshot(facilitated({ role: "facilitator", ideas: [
      { idea: "a", prompt: "p1", author: OTHER, text: "t", colour: "yellow", at: 1, hidden: true, name: "Sami" }] }), LOCAL);
    assert.equal(s.ideas.get("a").hidden, true);
    assert.equal(s.ideas.get("a").name, "Sami");
    apply(s, { type: "idea.added", seq: 11, idea: "b", prompt: "p1", author: OTHER, text: "u", colour: "blue", at: 2, name: "Lou" });
    assert.equal(s.ideas.get("b").name, "Lou");
  });

  test("prompts are added, renamed and deleted with their ideas", () => {
    const s = fstate({ tallies: { p1: 2 } });
    assert.deepEqual(apply(s, { type: "prompt.added", seq: 11, prompt: { id: "p3", title: "Où ?" } }),
      { kind: "prompt", id: "p3", op: "added" });
    apply(s, { type: "prompt.added", seq: 12, prompt: { id: "p3", title: "Où ?" } }); // twice: once
    assert.deepEqual(s.prompts.map((p) => p.id), ["p1", "p2", "p3"]);
    apply(s, { type: "prompt.renamed", seq: 13, prompt: "p3", title: "Où et quand ?" });
    assert.equal(s.prompts[2].title, "Où et quand ?");
    assert.deepEqual(apply(s, { type: "prompt.deleted", seq: 14, prompt: "p1" }), { kind: "prompt", id: "p1", op: "deleted" });
    assert.deepEqual(s.prompts.map((p) => p.id), ["p2", "p3"]);
    assert.deepEqual([...s.ideas.keys()], ["i3"]);
    assert.equal(s.tallies.has("p1"), false);
    assert.equal(s.seq, 14);
  });

  test("participant.removed: someone else leaves the list; me, I am out", () => {
    const s = fstate({ role: "facilitator" });
    assert.deepEqual(apply(s, { type: "participant.removed", seq: 11, participant: "pub-other" }),
      { kind: "removed", id: "pub-other", me: false });
    assert.equal(s.present.has("pub-other"), false);
    assert.equal(s.removed, false);
    const p = fstate();
    assert.deepEqual(apply(p, { type: "participant.removed", seq: 11, participant: "pub-me" }),
      { kind: "removed", id: "pub-me", me: true });
    assert.equal(p.removed, true);
    assert.equal(mayWrite(p, LOCAL), false);
    assert.equal(mayChange(p, p.ideas.get("i1"), LOCAL), false);
    assert.equal(offersDone(p), false);
  });

  test("participant.role: about me, refetch (the snapshot says my role); about others, remember it", () => {
    const s = fstate();
    assert.deepEqual(apply(s, { type: "participant.role", seq: 11, participant: "pub-me", role: "facilitator" }),
      { kind: "role", id: "pub-me", role: "facilitator", me: true, refetch: true });
    assert.equal(s.me.role, "participant"); // until the snapshot comes
    const f = fstate({ role: "facilitator" });
    assert.deepEqual(apply(f, { type: "participant.role", seq: 11, participant: "pub-other", role: "facilitator" }),
      { kind: "role", id: "pub-other", role: "facilitator", me: false, refetch: false });
    assert.equal(f.roles.get("pub-other"), "facilitator");
  });
});

describe("J'ai fini", () => {
  test("done.changed is ephemeral: it keeps the seq", () => {
    const s = fstate({ role: "facilitator" });
    assert.deepEqual(apply(s, { type: "done.changed", done: 12, present: 30 }), { kind: "done" });
    assert.deepEqual(doneOf(s), { done: 12, of: 30 });
    assert.equal(s.seq, 10);
  });

  test("until the server says how many, the participants present are counted (facilitators left out)", () => {
    const s = fstate({ role: "facilitator", done: 1 });
    assert.equal(participantsPresent(s), 1); // Dominique; not me
    assert.deepEqual(doneOf(s), { done: 1, of: 1 });
    apply(s, { type: "participant.role", seq: 11, participant: "pub-other", role: "facilitator" });
    assert.equal(participantsPresent(s), 0);
  });

  test("offered to participants while writing and voting", () => {
    for (const phase of ["lobby", "write", "group", "vote", "results", "roadmap", "closed"]) {
      assert.equal(offersDone(fstate({ phase })), phase === "write" || phase === "vote", phase);
      assert.equal(offersDone(fstate({ phase, role: "facilitator" })), false, phase);
    }
  });
});
