// @ts-check
/** The room page: wires the room client, the state and the views together. */
import { count, say } from "./announce.js";
import { RoomClient } from "./client.js";
import { byId, h } from "./dom.js";
import { setCatalogue, t } from "./i18n.js";
import { LeaveDialog } from "./leave.js";
import { phaseInstruction, phaseLabel } from "./phases.js";
import { setUpShare } from "./share.js";
import { setUpShortcuts } from "./shortcuts.js";
import { Board } from "./views/board.js";
import { Dragging } from "./views/drag.js";
import { GroupingBar } from "./views/grouping.js";
import { RoadmapView } from "./views/roadmap.js";
import { drawExports } from "./views/exports.js";
import { SimilarHints } from "./views/similar.js";
import { Results, VoteStatus } from "./views/voting.js";
import { dotsLeft, mayGroup } from "./state.js";
import { FacilitationPanel } from "./views/facilitation.js";
import { PhasePanel } from "./views/phase.js";
import { PresenceView } from "./views/presence.js";
import { drawConnection, drawPending, drawRevoked } from "./views/status.js";
import { TimerView } from "./views/timer.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").Change} Change */

const config = JSON.parse(byId("essaim-config").textContent ?? "{}");
setCatalogue(config.messages, config.lang);

const client = new RoomClient(config, {
  onReset: drawAll,
  onChange,
  onError,
  onStatus: drawConnection,
  onPending: (ops) => {
    drawPending(ops.length);
    board.showPending(ops);
  },
  onRemoved: showRemoved,
  onRevoked: drawRevoked,
  onReady: () => phasePanel.resend(),
});

/** @param {{type: string, [key: string]: unknown}} command */
const send = (command) => {
  const op = client.send(command);
  if (/^(cluster|ideas|group|action)\./.test(command.type)) mine.add(op.op_id);
  return op;
};
/** Op ids of my own grouping commands, to word what they did when they come back. @type {Set<string>} */
const mine = new Set();

const board = new Board(byId("board"), config, {
  add: (prompt, text, colour) => send({ type: "idea.add", prompt, text, colour }),
  edit: (idea, text) => send({ type: "idea.edit", idea, text }),
  remove: (idea) => send({ type: "idea.delete", idea }),
  hide: (idea, hidden) => send({ type: "idea.hide", idea, hidden }),
  addPrompt: (title) => send({ type: "prompt.add", title }),
  renamePrompt: (prompt, title) => send({ type: "prompt.rename", prompt, title }),
  deletePrompt: (prompt) => send({ type: "prompt.delete", prompt }),
  send,
  selectionChanged: () => client.state && drawGrouping(client.state),
});
const groupingBar = new GroupingBar(byId("group-bar"), board.selected, send, () => {
  board.selected.clear();
  for (const box of document.querySelectorAll("#board input[data-select]")) {
    /** @type {HTMLInputElement} */ (box).checked = false;
    box.closest(".idea")?.classList.remove("selected");
  }
  if (client.state) drawGrouping(client.state);
});
new Dragging(byId("board"), (id) => client.state?.ideas.get(id)?.cluster ?? null, send);
const voteStatus = new VoteStatus(byId("vote-status"));
const roadmapView = new RoadmapView(byId("roadmap"), send);
const hints = new SimilarHints(byId("similar"), config.room, send, () => client.state);
const results = new Results(byId("results"), (kind, id, title) => roadmapView.prefill(kind, id, title));

const leave = new LeaveDialog(config.room, () => {
  if (!client.connection.ready) return false; // leaving is not queued for later: the person is told now
  send({ type: "participant.leave" });
  return true;
});
const phasePanel = new PhasePanel((done) => client.connection.sendFrame({ type: "done", done }));
const facilitation = new FacilitationPanel(send);
const presence = new PresenceView(send);
const timer = new TimerView(
  { box: byId("timer"), clock: byId("timer-clock"), note: byId("timer-note") },
  { announce: true, onClosedWriting: () => redrawWriting() },
);
/** The role the page was drawn for (the template's, then each snapshot's). */
let drawnRole = config.role;

/** A fresh state: draw everything. @param {State} state */
function drawAll(state) {
  drawMe(state);
  drawExports(state);
  phasePanel.draw(state);
  facilitation.draw(state);
  timer.draw(state);
  board.reset(state);
  board.showPending(client.connection.queue); // kept from before a reload or a lost connection
  presence.draw(state);
  drawGrouping(state);
  voteStatus.draw(state);
  results.draw(state);
  roadmapView.draw(state);
}

/** @param {State} state */
function drawGrouping(state) {
  const open = mayGroup(state) && !["vote", "results", "roadmap", "closed"].includes(state.room.phase);
  groupingBar.draw(state, open);
  hints.show(open);
}

/** @param {Change} change @param {State} state @param {any} event */
function onChange(change, state, event) {
  drawExports(state); // a setting or a role may open or close the downloads
  switch (change.kind) {
    case "idea":
      if (change.op === "deleted") {
        board.drop(change.id);
        board.arrange(); // a cluster its last idea left may be gone
      } else board.place(/** @type {any} */ (state.ideas.get(change.id)));
      board.refreshCounts();
      if (change.op === "added" && !change.mine) count("js.announce.new_ideas");
      return;
    case "tally":
      board.refreshCounts();
      return;
    case "removed":
      if (change.erased && change.me) leave.left();
      else if (change.erased) redrawBoard(state); // they left: their ideas, and what hung on them, went
      presence.draw(state);
      facilitation.drawDone(state);
      return;
    case "presence":
    case "role":
      presence.draw(state);
      facilitation.drawDone(state);
      return;
    case "phase":
      phasePanel.draw(state);
      facilitation.draw(state);
      timer.draw(state);
      if (!change.refetch) board.reset(state); // else the snapshot on its way redraws it
      drawGrouping(state);
      voteStatus.draw(state);
      results.draw(state);
      roadmapView.draw(state);
      say(t("js.announce.phase", { phase: phaseLabel(change.phase), instruction: phaseInstruction(change.phase) }));
      return;
    case "settings":
      facilitation.drawSettings(state);
      phasePanel.draw(state);
      if (!change.refetch) board.reset(state);
      drawGrouping(state);
      voteStatus.draw(state);
      roadmapView.draw(state);
      return;
    case "timer":
      timer.draw(state, true);
      facilitation.drawTimer(state);
      return;
    case "prompt":
      board.reset(state);
      return;
    case "done":
      facilitation.drawDone(state);
      return;
    case "group": {
      board.arrange();
      for (const id of change.clusters) {
        const cluster = state.clusters.get(id);
        if (cluster) board.clusterBox(cluster);
      }
      drawGrouping(state);
      results.draw(state);
      const own = typeof event.op_id === "string" && mine.delete(event.op_id);
      if (own) say(change.action === "group.undo" ? t("js.announce.group.undone") : t("js.announce.group.done"));
      else count("js.announce.grouping");
      return;
    }
    case "action":
      roadmapView.draw(state);
      if (typeof event.op_id === "string" && mine.delete(event.op_id)) say(t("js.roadmap.saved"));
      return;
    case "vote":
      board.refreshDots(change.item);
      if (!change.item) board.refreshDots(null);
      voteStatus.draw(state);
      results.draw(state);
      if (change.mine) say(t("js.vote.left", { count: dotsLeft(state), budget: state.room.settings.vote_budget }));
      return;
  }
}

/** Someone left: the board, the grouping tools, the dots and the results, as they are now. @param {State} state */
function redrawBoard(state) {
  board.reset(state);
  board.showPending(client.connection.queue);
  drawGrouping(state);
  voteStatus.draw(state);
  results.draw(state);
  roadmapView.draw(state);
}

/** The timer closed (or reopened) writing: composers and tools follow. */
function redrawWriting() {
  const state = client.state;
  if (!state) return;
  board.reset(state);
  board.showPending(client.connection.queue);
  phasePanel.draw(state);
}

/** "Vous êtes Camille · animation", redrawn when the role changes. @param {State} state */
function drawMe(state) {
  if (state.me.role === drawnRole) return;
  drawnRole = state.me.role;
  byId("me").replaceChildren(
    t("js.me", { name: state.me.name }),
    ...(state.me.role === "facilitator" ? [" · ", h("span", { class: "badge" }, [t("role.facilitator")])] : []),
  );
  byId("facilitator-section").hidden = state.me.role !== "facilitator";
  say(state.me.role === "facilitator" ? t("js.announce.now_facilitator") : t("js.announce.now_participant"));
}

/** @param {any} frame @param {import("./connection.js").Op | undefined} op */
function onError(frame, op) {
  if (op?.type === "participant.leave") {
    leave.failed(t(`error.${frame.code}`, frame.params ?? {}));
    return;
  }
  if (op?.type === "idea.add") board.restoreDraft(String(op.prompt), String(op.text));
  if (op?.type === "room.configure" && client.state) facilitation.drawSettings(client.state); // back to what is true
  showError(t(`error.${frame.code}`, frame.params ?? {}));
}

/** Removed by the facilitator, or left by choice: say which plainly, and stop. */
function showRemoved() {
  const left = leave.chosen;
  if (left) leave.done();
  const message = byId(left ? "left" : "removed");
  message.hidden = false;
  byId("me").hidden = left; // their pseudonym is gone from the workshop: from this page too
  for (const id of ["phase-panel", "private-note", "done-row", "facilitation", "room-layout", "pending-banner"]) byId(id).hidden = true;
  byId("share-open").hidden = true;
  const badge = byId("connection");
  badge.dataset.state = "offline";
  /** @type {HTMLElement} */ (badge.querySelector(".label")).textContent = left ? t("js.connection.left") : t("js.connection.removed");
  message.focus();
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

/**
 * The phase panel sticks to the top of the window: whatever gets the focus or is
 * scrolled to must land below it, not under it.
 */
function keepClearOfThePanel() {
  const panel = byId("phase-panel");
  const root = document.documentElement;
  const update = () => {
    const sticky = getComputedStyle(panel).position === "sticky" && !panel.hidden;
    root.style.scrollPaddingTop = sticky ? `${panel.offsetHeight + 16}px` : "";
  };
  new ResizeObserver(update).observe(panel);
  addEventListener("resize", update);
  update();
}

keepClearOfThePanel();
setUpShare(config.room, config.welcome);
setUpShortcuts(byId("board"), /** @type {HTMLDialogElement} */ (byId("shortcuts-dialog")), byId("shortcuts-open"));
client.start();
