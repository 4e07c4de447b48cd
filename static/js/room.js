// @ts-check
/**
 * The room page: wires the room client, the state and the views together.
 *
 * What the first screen draws is imported here (templates/room.html preloads exactly
 * that); the views of later phases, the facilitator's panel, the downloads and the
 * "leave" dialog come through `Lazy` (lazy.js) when the room first needs them.
 */
import { count, say } from "./announce.js";
import { RoomClient } from "./client.js";
import { byId, h } from "./dom.js";
import { setCatalogue, t } from "./i18n.js";
import { Lazy, laterStringsFrom } from "./lazy.js";
import { phaseInstruction, phaseLabel } from "./phases.js";
import { setUpShare } from "./share.js";
import { setUpShortcuts } from "./shortcuts.js";
import { Board } from "./views/board.js";
import { dotsLeft, mayGroup } from "./state.js";
import { PhasePanel } from "./views/phase.js";
import { PresenceView } from "./views/presence.js";
import { drawConnection, drawPending, drawRevoked } from "./views/status.js";
import { TimerView } from "./views/timer.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").Change} Change */

/** Phases that have dots or results; and those that show the roadmap (app/phases.py). */
const VOTING = new Set(["vote", "results", "roadmap", "closed"]);
const PLANNING = new Set(["results", "roadmap", "closed"]);

const config = JSON.parse(byId("essaim-config").textContent ?? "{}");
setCatalogue(config.messages, config.lang);
laterStringsFrom(config.laterMessages); // the strings of the views that come later, with them

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
  send,
  selectionChanged: () => client.state && drawGrouping(client.state),
  clusters: (needed) => clusterParts.when(needed),
  promptTools: (needed) => promptTools.when(needed),
});

/**
 * The views below come when the room first needs them (lazy.js); each then draws the state
 * as it is by then. @template T @param {(state: State) => void} draw @returns {(made: T) => void}
 */
const drawNow = (draw) => () => {
  if (client.state) draw(client.state);
};
/** The styles of all of them, in one file (static/css/later.css). */
const LATER_CSS = "later.css";
/** @typedef {typeof import("./views/clusters.js")} ClusterParts */
/** @type {Lazy<ClusterParts, ClusterParts>} */
const clusterParts = new Lazy("views/clusters.js", (module) => module, drawNow(redrawCards), LATER_CSS);
/** @type {Lazy<typeof import("./views/grouping.js"), import("./views/grouping.js").GroupingBar>} */
const groupingBar = new Lazy("views/grouping.js", (module) => new module.GroupingBar(byId("group-bar"), board.selected, send, () => {
  board.selected.clear();
  for (const box of document.querySelectorAll("#board input[data-select]")) {
    /** @type {HTMLInputElement} */ (box).checked = false;
    box.closest(".idea")?.classList.remove("selected");
  }
  if (client.state) drawGrouping(client.state);
}), drawNow(drawGrouping), LATER_CSS);
/** @type {Lazy<typeof import("./views/drag.js"), import("./views/drag.js").Dragging>} */
const dragging = new Lazy("views/drag.js",
  (module) => new module.Dragging(byId("board"), (id) => client.state?.ideas.get(id)?.cluster ?? null, send), undefined, LATER_CSS);
/** @type {Lazy<typeof import("./views/similar.js"), import("./views/similar.js").SimilarHints>} */
const hints = new Lazy("views/similar.js",
  (module) => new module.SimilarHints(byId("similar"), config.room, send, () => client.state), drawNow(drawGrouping), LATER_CSS);
/** @typedef {{status: import("./views/voting.js").VoteStatus, results: import("./views/voting.js").Results}} VoteViews */
/** @type {Lazy<typeof import("./views/voting.js"), VoteViews>} */
const voting = new Lazy("views/voting.js", (module) => ({
  status: new module.VoteStatus(byId("vote-status")),
  results: new module.Results(byId("results"), (kind, id, title) => roadmapView.when()?.prefill(kind, id, title)),
}), drawNow((state) => drawVotes(state)), LATER_CSS);
/** @type {Lazy<typeof import("./views/roadmap.js"), import("./views/roadmap.js").RoadmapView>} */
const roadmapView = new Lazy("views/roadmap.js", (module) => new module.RoadmapView(byId("roadmap"), send),
  drawNow(drawRoadmap), LATER_CSS);
/** Facilitators' pages alone have the panel's markup (room.html): they fetch its module at once. */
/** @type {Lazy<typeof import("./views/facilitation.js"), import("./views/facilitation.js").FacilitationPanel>} */
const facilitation = new Lazy("views/facilitation.js", (module) => new module.FacilitationPanel(send),
  drawNow((state) => facilitation.get()?.draw(state)));
/** A facilitator's tools on the board's prompts and on the people here: their pages fetch them at once too. */
/** @type {Lazy<typeof import("./views/prompt-tools.js"), typeof import("./views/prompt-tools.js")>} */
const promptTools = new Lazy("views/prompt-tools.js", (module) => module, drawNow(redrawCards));
/** @type {Lazy<typeof import("./views/moderation.js"), typeof import("./views/moderation.js")>} */
const moderation = new Lazy("views/moderation.js", (module) => module, drawNow((state) => presence.draw(state)));
for (const facilitatorPart of [facilitation, promptTools, moderation]) facilitatorPart.when(config.role === "facilitator");
/** @type {Lazy<typeof import("./views/exports.js"), typeof import("./views/exports.js")>} */
const exportLinks = new Lazy("views/exports.js", (module) => module, drawNow(drawExports));

/** This person left (here or in another tab); then the server closed this page's socket. */
let leftHere = false;
let removedHere = false;
/** "Quitter l'atelier": its dialog comes when its button is first pressed, or when this person left from another tab. */
/** @type {Lazy<typeof import("./leave.js"), import("./leave.js").LeaveDialog>} */
const leave = new Lazy("leave.js", (module) => new module.LeaveDialog(config.room, () => {
  if (!client.connection.ready) return false; // leaving is not queued for later: the person is told now
  send({ type: "participant.leave" });
  return true;
}), (dialog) => {
  if (!leftHere) document.getElementById("leave-open")?.click(); // the press that fetched it: the dialog listens now
  else if (removedHere) dialog.done(); // forget the drafts
  else dialog.left();
});
document.getElementById("leave-open")?.addEventListener("click", () => leave.when());

const phasePanel = new PhasePanel((done) => client.connection.sendFrame({ type: "done", done }));
const presence = new PresenceView(send, (needed) => moderation.when(needed));
const timer = new TimerView(
  { box: byId("timer"), clock: byId("timer-clock"), note: byId("timer-note") },
  { announce: true, onClosedWriting: () => redrawWriting() },
);
/** The role the page was drawn for (the template's, then each snapshot's). */
let drawnRole = config.role;

/** A fresh state: draw everything. @param {State} state */
function drawAll(state) {
  if (drawMe(state)) return; // the page comes again, drawn for this person's new role
  drawExports(state);
  phasePanel.draw(state);
  facilitation.get()?.draw(state);
  timer.draw(state);
  redrawCards(state);
  presence.draw(state);
  drawGrouping(state);
  drawVotes(state);
  drawRoadmap(state);
}

/** @param {State} state */
function redrawCards(state) {
  board.reset(state);
  board.showPending(client.connection.queue); // kept from before a reload or a lost connection
}

/** @param {State} state */
function drawGrouping(state) {
  const open = mayGroup(state) && !VOTING.has(state.room.phase);
  groupingBar.when(open)?.draw(state, open);
  hints.when(open)?.show(open);
  dragging.when(open);
}

/** Dots left, voters, results. @param {State} state @param {{status?: boolean, results?: boolean}} [which] */
function drawVotes(state, which = { status: true, results: true }) {
  const views = voting.when(VOTING.has(state.room.phase));
  if (which.status) views?.status.draw(state);
  if (which.results) views?.results.draw(state);
}

/** @param {State} state */
function drawRoadmap(state) {
  roadmapView.when(PLANNING.has(state.room.phase))?.draw(state);
}

/** The downloads' links, for whoever may have them (views/exports.js says who). @param {State} state */
function drawExports(state) {
  const maybe = state.me.role === "facilitator" || Boolean(state.room.settings.exports_for_everyone);
  exportLinks.when(maybe)?.drawExports(state);
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
      if (change.erased && change.me) {
        leftHere = true;
        leave.get()?.left();
      } else if (change.erased) redrawBoard(state); // they left: their ideas, and what hung on them, went
      presence.draw(state);
      facilitation.get()?.drawDone(state);
      return;
    case "presence":
    case "role":
      presence.draw(state);
      facilitation.get()?.drawDone(state);
      return;
    case "phase":
      phasePanel.draw(state);
      facilitation.get()?.draw(state);
      timer.draw(state);
      if (!change.refetch) board.reset(state); // else the snapshot on its way redraws it
      drawGrouping(state);
      drawVotes(state);
      drawRoadmap(state);
      say(t("js.announce.phase", { phase: phaseLabel(change.phase), instruction: phaseInstruction(change.phase) }));
      return;
    case "settings":
      facilitation.get()?.drawSettings(state);
      phasePanel.draw(state);
      if (!change.refetch) board.reset(state);
      drawGrouping(state);
      drawVotes(state, { status: true });
      drawRoadmap(state);
      return;
    case "timer":
      timer.draw(state, true);
      facilitation.get()?.drawTimer(state);
      return;
    case "prompt":
      board.reset(state);
      drawGrouping(state);
      return;
    case "done":
      facilitation.get()?.drawDone(state);
      return;
    case "group": {
      board.arrange();
      for (const id of change.clusters) {
        const cluster = state.clusters.get(id);
        if (cluster) board.clusterBox(cluster);
      }
      drawGrouping(state);
      drawVotes(state, { results: true });
      const own = typeof event.op_id === "string" && mine.delete(event.op_id);
      if (own) say(change.action === "group.undo" ? t("js.announce.group.undone") : groupingBar.get()?.said(state, change) ?? t("js.announce.group.done"));
      else count("js.announce.grouping");
      return;
    }
    case "action":
      drawRoadmap(state);
      if (typeof event.op_id === "string" && mine.delete(event.op_id)) say(t("js.roadmap.saved"));
      return;
    case "vote":
      board.refreshDots(change.item);
      if (!change.item) board.refreshDots(null);
      drawVotes(state);
      if (change.mine) say(t("js.vote.left", { count: dotsLeft(state), budget: state.room.settings.vote_budget }));
      return;
  }
}

/** Someone left: the board, the grouping tools, the dots and the results, as they are now. @param {State} state */
function redrawBoard(state) {
  redrawCards(state);
  drawGrouping(state);
  drawVotes(state);
  drawRoadmap(state);
}

/** The timer closed (or reopened) writing: composers and tools follow. */
function redrawWriting() {
  const state = client.state;
  if (!state) return;
  redrawCards(state);
  phasePanel.draw(state);
}

/**
 * "Vous êtes Camille · animation", redrawn when the role changes. A page is drawn for one
 * role (room.html gives the facilitator's panel and strings to facilitators alone), so a
 * new role of mine reloads it; unsent ops and drafts wait in localStorage meanwhile.
 * @param {State} state @returns {boolean} the page is being reloaded
 */
function drawMe(state) {
  if (state.me.role === drawnRole) return false;
  if (reloadFor(state.me.role)) return true;
  drawnRole = state.me.role; // the server drew the page for the other role again: make do with it
  byId("me").replaceChildren(
    t("js.me", { name: state.me.name }),
    ...(state.me.role === "facilitator" ? [" · ", h("span", { class: "badge" }, [t("role.facilitator")])] : []),
  );
  const section = document.getElementById("facilitator-section");
  if (section) section.hidden = state.me.role !== "facilitator";
  sayRole(state.me.role);
  return false;
}

/** Where a reload for a new role is remembered, to say it once the page is back, and to do it once. */
const ROLE_KEY = `essaim:role:${config.room}`;
const RELOAD_GUARD_MS = 30_000;

/** @param {string} role @returns {boolean} whether the page reloads */
function reloadFor(role) {
  try {
    const [before, at] = (sessionStorage.getItem(ROLE_KEY) ?? "").split("@");
    if (before === role && Date.now() - Number(at) < RELOAD_GUARD_MS) return false; // just tried: no loop
    sessionStorage.setItem(ROLE_KEY, `${role}@${Date.now()}`);
  } catch {
    return false; // no storage: no way to tell a loop, stay
  }
  location.reload();
  return true;
}

/** Back from a reload for my new role: say it. */
function sayNewRole() {
  try {
    const [role] = (sessionStorage.getItem(ROLE_KEY) ?? "").split("@");
    if (role !== config.role) return; // nothing to say, or the reload did not bring it (the guard stays)
    sessionStorage.removeItem(ROLE_KEY);
    sayRole(role);
  } catch {
    /* storage disabled: nothing was kept */
  }
}

/** @param {string} role */
function sayRole(role) {
  say(role === "facilitator" ? t("js.announce.now_facilitator") : t("js.announce.now_participant"));
}

/** @param {any} frame @param {import("./connection.js").Op | undefined} op */
function onError(frame, op) {
  if (op?.type === "participant.leave") {
    leave.get()?.failed(t(`error.${frame.code}`, frame.params ?? {}));
    return;
  }
  if (op?.type === "idea.add") board.restoreDraft(String(op.prompt), String(op.text));
  if (op?.type === "room.configure" && client.state) facilitation.get()?.drawSettings(client.state); // back to what is true
  showError(t(`error.${frame.code}`, frame.params ?? {}));
}

/** Removed by the facilitator, or left by choice: say which plainly, and stop. */
function showRemoved() {
  const left = leftHere || Boolean(leave.get()?.chosen);
  removedHere = true;
  if (left) {
    leftHere = true;
    leave.get()?.done();
    leave.when(); // in a tab that never opened the dialog, leave.js forgets the drafts once it is here
  }
  const message = byId(left ? "left" : "removed");
  message.hidden = false;
  byId("me").hidden = left; // their pseudonym is gone from the workshop: from this page too
  document.getElementById("leave-open")?.setAttribute("hidden", ""); // out either way: nothing left to leave
  for (const id of ["phase-panel", "private-note", "done-row", "facilitation", "room-layout", "pending-banner"]) {
    const node = document.getElementById(id); // a participant's page has no facilitation panel
    if (node) node.hidden = true;
  }
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
sayNewRole();
setUpShare(config.room, config.welcome);
setUpShortcuts(byId("board"), /** @type {HTMLDialogElement} */ (byId("shortcuts-dialog")), byId("shortcuts-open"));
client.start();
