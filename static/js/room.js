// @ts-check
/** The room page: wires the connection, the state and the views together. */
import { count } from "./announce.js";
import { Connection } from "./connection.js";
import { byId } from "./dom.js";
import { setCatalogue, t } from "./i18n.js";
import { setUpShare } from "./share.js";
import { apply, fromSnapshot, position } from "./state.js";
import { Board } from "./views/board.js";
import { drawPresence } from "./views/presence.js";
import { drawConnection, drawPending } from "./views/status.js";

/** @typedef {import("./state.js").State} State */

const config = JSON.parse(byId("essaim-config").textContent ?? "{}");
setCatalogue(config.messages, config.lang);

/** @type {State | null} */
let state = null;
/** Sequenced events that arrived ahead of a gap, waiting for the missing ones. @type {any[]} */
let held = [];

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const connection = new Connection({
  url: `${scheme}//${location.host}/rooms/${config.room}/ws`,
  roomId: config.room,
  version: config.version,
  since: () => (state ? state.seq : null),
  onFrame,
  onStatus: drawConnection,
  onPending: (ops) => {
    drawPending(ops.length);
    board.showPending(ops);
  },
});

const board = new Board(byId("board"), config, {
  add: (prompt, text, colour) => connection.send({ type: "idea.add", prompt, text, colour }),
  edit: (idea, text) => connection.send({ type: "idea.edit", idea, text }),
  remove: (idea) => connection.send({ type: "idea.delete", idea }),
});

/** @param {any} frame */
function onFrame(frame) {
  switch (frame.type) {
    case "snapshot":
      state = fromSnapshot(frame);
      held = [];
      board.reset(state);
      board.showPending(connection.queue); // kept from before a reload or a lost connection
      drawPresence(state);
      connection.markReady();
      return;
    case "catchup":
      if (!state) return;
      for (const event of frame.events) receive(event);
      state.present = new Map(frame.present.map((/** @type {{id: string, name: string}} */ p) => [p.id, p.name]));
      drawPresence(state);
      connection.markReady();
      return;
    case "resync":
      if (!frame.complete) connection.socket?.close(); // too far behind: reconnect for a snapshot
      for (const event of frame.events) receive(event);
      for (const event of held.splice(0)) receive(event);
      return;
    case "error": {
      const op = connection.queue.find((queued) => queued.op_id === frame.op_id);
      if (op?.type === "idea.add") board.restoreDraft(String(op.prompt), String(op.text));
      showError(t(`error.${frame.code}`, frame.params ?? {}));
      return;
    }
    case "ack":
      return;
    default:
      receive(frame);
  }
}

/** Apply an event in order; hold it and ask for the gap if some came before it unseen. @param {any} event */
function receive(event) {
  if (!state) return;
  const where = position(state, event);
  if (where === "stale") return;
  if (where === "gap") {
    if (!held.length) connection.resync(state.seq);
    held.push(event);
    held.sort((a, b) => a.seq - b.seq);
    return;
  }
  const change = apply(state, event);
  if (change.kind === "idea") {
    if (change.op === "deleted") board.drop(change.id);
    else board.place(/** @type {any} */ (state.ideas.get(change.id)));
    board.refreshCounts();
    if (change.op === "added" && !change.mine) count("js.announce.new_ideas");
  } else if (change.kind === "presence") {
    drawPresence(state);
  }
  if (where === "next" && held.length && position(state, held[0]) === "next") receive(held.shift());
}

/** Say it on screen and to screen readers (the banner is an alert). @param {string} message */
function showError(message) {
  const banner = byId("error-banner");
  banner.textContent = message;
  banner.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => (banner.hidden = true), 8000);
}
/** @type {ReturnType<typeof setTimeout> | undefined} */
let errorTimer;

setUpShare(config.room, config.welcome);
connection.start();
