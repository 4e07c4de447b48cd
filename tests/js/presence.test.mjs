// Who is here and who facilitates, as the state keeps it: snapshot, catch-up events, role changes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { apply, doneOf, fromSnapshot, participantsPresent } from "../../static/js/state.js";

/** A snapshot as app/service.py sends it now: present people with their role, done as a pair. */
function snapshot({ role = "facilitator", done = { done: 1, present: 2 } } = {}) {
  return {
    type: "snapshot", v: 1, seq: 5, now: 1000,
    room: { id: "r", title: "Atelier", phase: "write", template: "journee-citoyenne" },
    prompts: [{ id: "p1", title: "Quelles activités ?" }], ideas: [], tallies: {},
    me: { id: "pub-co", author: "tag-co", name: "Sami", role },
    present: [
      { id: "pub-creator", name: "Nadia", role: "facilitator" },
      { id: "pub-co", name: "Sami", role },
      { id: "pub-a", name: "Camille", role: "participant" },
      { id: "pub-b", name: "Dominique", role: "participant" },
    ],
    done,
  };
}

describe("the snapshot", () => {
  test("keeps each present person's role", () => {
    const s = fromSnapshot(snapshot(), 1000);
    assert.equal(s.roles.get("pub-creator"), "facilitator");
    assert.equal(s.roles.get("pub-a"), "participant");
  });

  test("facilitators, the room's creator included, are not counted as participants", () => {
    assert.equal(participantsPresent(fromSnapshot(snapshot(), 1000)), 2);
    assert.equal(participantsPresent(fromSnapshot(snapshot({ role: "participant" }), 1000)), 3);
  });

  test("reads done as the {done, present} pair", () => {
    const s = fromSnapshot(snapshot({ done: { done: 1, present: 2 } }), 1000);
    assert.deepEqual(s.done, { done: 1, present: 2 });
    assert.deepEqual(doneOf(s), { done: 1, of: 2 });
  });

  test("still reads a bare number from an older server, counting the present participants itself", () => {
    const s = fromSnapshot(snapshot({ done: 1 }), 1000);
    assert.deepEqual(s.done, { done: 1, present: null });
    assert.deepEqual(doneOf(s), { done: 1, of: 2 });
  });

  test("without done at all, nobody is done", () => {
    const frame = snapshot();
    delete frame.done;
    assert.deepEqual(fromSnapshot(frame, 1000).done, { done: 0, present: null });
  });
});

describe("presence and roles as they change", () => {
  test("presence.joined brings the newcomer's role", () => {
    const s = fromSnapshot(snapshot({ done: 0 }), 1000);
    apply(s, { type: "presence.joined", id: "pub-c", name: "Chloé", role: "participant" });
    apply(s, { type: "presence.joined", id: "pub-f", name: "Fatou", role: "facilitator" });
    assert.equal(s.roles.get("pub-f"), "facilitator");
    assert.equal(participantsPresent(s), 3);
  });

  test("an appointment and a demotion move a person out of and back into the participants", () => {
    const s = fromSnapshot(snapshot({ done: 0 }), 1000);
    apply(s, { type: "participant.role", seq: 6, participant: "pub-a", role: "facilitator" });
    assert.equal(participantsPresent(s), 1);
    apply(s, { type: "participant.role", seq: 7, participant: "pub-a", role: "participant" });
    assert.equal(participantsPresent(s), 2);
  });

  test("done.changed replaces the pair, the server's count of participants winning over the page's", () => {
    const s = fromSnapshot(snapshot({ done: 0 }), 1000);
    apply(s, { type: "done.changed", done: 0, present: 1 });
    assert.deepEqual(doneOf(s), { done: 0, of: 1 });
  });
});
