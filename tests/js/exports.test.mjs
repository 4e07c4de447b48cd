// The room page offers the downloads to whoever the server lets download (app/export_routes.py may_download).
import assert from "node:assert/strict";
import { test } from "node:test";

import { mayDownload } from "../../static/js/views/exports.js";

/** @param {string} role @param {string} phase @param {object} settings */
const state = (role, phase, settings) => /** @type {any} */ ({ me: { role }, room: { phase, settings } });

test("facilitators may always download", () => {
  assert.equal(mayDownload(state("facilitator", "write", { private_writing: true })), true);
});

test("participants only when the room allows, and never while writing is private", () => {
  assert.equal(mayDownload(state("participant", "results", {})), false);
  assert.equal(mayDownload(state("participant", "results", { exports_for_everyone: true })), true);
  assert.equal(mayDownload(state("participant", "write", { exports_for_everyone: true, private_writing: true })), false);
  assert.equal(mayDownload(state("participant", "group", { exports_for_everyone: true, private_writing: true })), true);
});
