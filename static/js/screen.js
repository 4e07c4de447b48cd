// @ts-check
/**
 * The projector view: read-only, readable from the back of the room. Ideas
 * appear as they arrive (during private writing only the counts per prompt);
 * the layout picks a type size and columns so that about sixty ideas fit a
 * 1920×1080 screen without scrolling; beyond that it scrolls slowly, and the
 * scrolling can be paused.
 */
import { RoomClient } from "./client.js";
import { byId, h, keepTogether } from "./dom.js";
import { setCatalogue, t } from "./i18n.js";
import { phaseLabel, screenInstruction } from "./phases.js";
import {
  clustersOf, doneOf, isPrivateView, membersOf, offersDone, participantsPresent, talliesShown, totalOf,
} from "./state.js";
import { actionsInOrder, looseOf, ranking } from "./state-later.js";
import { sourceTag } from "./views/provenance.js";
import { actionTexts } from "./views/roadmap.js";
import { drawConnection } from "./views/status.js";
import { TimerView } from "./views/timer.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").Change} Change */

const config = JSON.parse(byId("essaim-config").textContent ?? "{}");
setCatalogue(config.messages, config.lang);

/**
 * Layouts, most readable first: a type size, and whether each question keeps its
 * ideas in one column ("grouped") or lets them flow on into the next ("flow").
 * The first that fits without scrolling wins.
 */
const LAYOUTS = [["xl", "grouped"], ["l", "grouped"], ["m", "grouped"], ["m", "flow"], ["s", "grouped"],
  ["s", "flow"], ["xs", "grouped"], ["xs", "flow"], ["xxs", "flow"]];
/** From this layout on, the header makes itself smaller. */
const DENSE_FROM = 4;
const SCROLL_PX_PER_SECOND = 30;
const PAUSE_AT_ENDS_MS = 4000;

const flow = byId("screen-flow");
const boardBox = byId("screen-board");
const timer = new TimerView({ box: byId("timer"), clock: byId("timer-clock"), note: byId("timer-note") });
/** Ideas already on screen: the ones arriving after get a short entrance. @type {Set<string>} */
let shown = new Set();
let firstDraw = true;

const client = new RoomClient(config, {
  onReset: (state) => {
    firstDraw = true;
    draw(state);
  },
  onChange,
  onStatus: drawConnection,
  onRemoved: () => location.reload(),
});

/** @param {Change} change @param {State} state */
function onChange(change, state) {
  if (change.kind === "timer") timer.draw(state, true);
  else if (change.kind === "removed" && change.erased) scheduleDraw(); // they left: their ideas went
  else if (change.kind === "presence" || change.kind === "done" || change.kind === "removed" || change.kind === "role") drawCounts(state);
  else if (change.kind !== "none") scheduleDraw();
}

/** A burst of events is drawn once, at the next frame. @type {number | undefined} */
let drawFrame;
function scheduleDraw() {
  if (drawFrame !== undefined) return;
  drawFrame = requestAnimationFrame(() => {
    drawFrame = undefined;
    if (client.state) draw(client.state);
  });
}

/** @param {State} state */
function draw(state) {
  const phase = state.room.phase;
  byId("screen").dataset.phase = phase;
  byId("phase-label").textContent = phaseLabel(phase);
  byId("phase-instruction").textContent = screenInstruction(phase);
  if (state.room.code) byId("screen-code").textContent = state.room.code;
  timer.draw(state);
  drawCounts(state);
  drawBoard(state);
}

/** @param {State} state */
function drawCounts(state) {
  const present = participantsPresent(state);
  byId("screen-present").textContent = t("js.screen.participants", { count: present });
  const doneLine = byId("screen-done");
  doneLine.hidden = !offersDone({ ...state, me: { ...state.me, role: "participant" } });
  const { done, of } = doneOf(state);
  doneLine.textContent = t("js.done.count", { done, present: of })
    + (state.room.phase === "vote" ? ` · ${t("js.vote.voters", { count: state.votes.voters })}` : "");
}

/**
 * What the projector shows, as a participant would see it: during private
 * writing, counts only (never texts, even though this socket receives them).
 * @param {State} state
 */
function privateOnScreen(state) {
  return isPrivateView({ ...state, me: { ...state.me, role: "participant" } });
}

/** @param {State} state */
function drawBoard(state) {
  const mode = state.room.phase === "lobby" ? "lobby" : privateOnScreen(state) ? "counts" : "ideas";
  boardBox.dataset.mode = mode;
  if (mode === "lobby") {
    flow.replaceChildren(
      h("h3", { class: "screen-lobby-title" }, [t("js.screen.prompts")]),
      h("ol", { class: "screen-lobby-prompts" }, state.prompts.map((prompt) => h("li", {}, [keepTogether(prompt.title)]))),
    );
    boardBox.style.removeProperty("--rows");
    byId("screen").dataset.dense = "false";
    fit(state.prompts.length * 3);
    return;
  }
  if (mode === "counts") {
    const rows = state.prompts.length <= 3 ? 1 : state.prompts.length <= 8 ? 2 : 3;
    boardBox.style.setProperty("--rows", String(rows));
    boardBox.style.setProperty("--cols", String(Math.ceil(state.prompts.length / rows)));
    flow.replaceChildren(...state.prompts.map((prompt) => {
      const total = totalOf({ ...state, me: { ...state.me, role: "facilitator" } }, prompt.id);
      return h("section", { class: "screen-prompt counts" }, [
        h("h3", { class: "screen-prompt-title" }, [keepTogether(prompt.title)]),
        h("p", { class: "screen-tally" }, [h("span", { class: "screen-tally-number" }, [String(total)]), " ",
          t("js.screen.ideas_word", { count: total })]),
      ]);
    }));
    boardBox.dataset.scale = "l";
    boardBox.dataset.flow = "grouped";
    byId("screen").dataset.dense = "false";
    setScrolling(false);
    return;
  }
  if (talliesShown(state) && ["results", "roadmap", "closed"].includes(state.room.phase)) {
    drawResults(state);
    return;
  }
  /** @type {Set<string>} */
  const now = new Set();
  let count = 0;
  const totals = talliesShown(state) ? state.votes.totals : null;
  const dots = (/** @type {string} */ id) => totals
    ? h("span", { class: "screen-idea-dots" }, [t("js.vote.total", { count: totals.get(id) ?? 0 })]) : null;
  const ideaCard = (/** @type {import("./state.js").Idea} */ idea) => {
    now.add(idea.idea);
    count += 1;
    const fresh = !firstDraw && !shown.has(idea.idea);
    return h("li", { class: `screen-idea colour-${idea.colour}${fresh ? " new" : ""}` }, [
      h("span", { class: "screen-idea-text" }, [keepTogether(idea.text)]),
      idea.name ? h("span", { class: "screen-idea-author" }, [t("js.idea.by", { name: idea.name })]) : null,
      idea.cluster ? null : dots(idea.idea),
      sourceTag(state, idea), // a capitalisation: the group it came from
    ]);
  };
  const blocks = state.prompts.map((prompt) => {
    const clusters = clustersOf(state, prompt.id).map((cluster) => {
      count += 1;
      return h("li", { class: "screen-cluster" }, [
        h("p", { class: "screen-cluster-title" }, [keepTogether(cluster.title), " ", dots(cluster.cluster), " ", sourceTag(state, cluster)]),
        h("ul", { class: "screen-cluster-ideas" }, membersOf(state, cluster.cluster).filter((i) => !i.hidden).map(ideaCard)),
      ]);
    });
    const ideas = looseOf(state, prompt.id).filter((idea) => !idea.hidden);
    const cards = [...clusters, ...ideas.map(ideaCard)];
    return h("section", { class: `screen-prompt${cards.length ? "" : " empty"}` }, [
      h("div", { class: "screen-prompt-head" }, [
        h("h3", { class: "screen-prompt-title" }, [keepTogether(prompt.title)]),
        h("p", { class: "screen-prompt-count" }, [t("js.prompt.count", { count: [...state.ideas.values()].filter((i) => i.prompt === prompt.id && !i.hidden).length })]),
      ]),
      cards.length ? h("ul", { class: "screen-ideas" }, cards) : null,
    ]);
  });
  flow.replaceChildren(...blocks);
  boardBox.style.removeProperty("--rows");
  if (state.prompts.length > 1) boardBox.style.setProperty("--count", String(state.prompts.length));
  else boardBox.style.removeProperty("--count");
  shown = now;
  firstDraw = false;
  fit(count + state.prompts.length * 2);
}

/** The ranked results, ties said as ties, the ideas of each cluster under it. @param {State} state */
function drawResults(state) {
  const ranked = ranking(state);
  const actions = actionsInOrder(state);
  const roadmap = actions.length && state.room.phase !== "results"
    ? h("section", { class: "screen-prompt screen-roadmap" }, [
      h("div", { class: "screen-prompt-head" }, [h("h3", { class: "screen-prompt-title" }, [t("js.roadmap.title")])]),
      h("table", { class: "screen-roadmap-table" }, [ // the room's table, as the projector can show it
        h("thead", {}, [h("tr", {}, [t("js.roadmap.col.action"), t("js.roadmap.col.owners"), t("js.roadmap.col.when"),
          t("js.roadmap.col.status"), t("js.roadmap.col.source")].map((head) => h("th", { scope: "col" }, [head])))]),
        h("tbody", {}, actions.map((a) => {
          const { when, status, source } = actionTexts(state, a);
          return h("tr", {}, [h("td", {}, [keepTogether(a.title)]), h("td", {}, [a.owners.join(", ")]), h("td", {}, [when]),
            h("td", {}, [status]), h("td", {}, [source])]);
        })),
      ]),
    ])
    : null;
  flow.replaceChildren(roadmap ?? "", h("section", { class: "screen-prompt screen-results" }, [
    h("div", { class: "screen-prompt-head" }, [
      h("h3", { class: "screen-prompt-title" }, [t("js.results.title")]),
      h("p", { class: "screen-prompt-count" }, [t("js.vote.voters", { count: state.votes.voters })]),
    ]),
    h("ol", { class: "screen-ranking" }, ranked.map((item) => h("li", { class: "screen-result" }, [
      h("span", { class: "screen-result-rank" }, [item.tied ? t("js.results.rank_tied", { rank: item.rank }) : t("js.results.rank", { rank: item.rank })]),
      " ",
      h("span", { class: "screen-result-title" }, [keepTogether(item.title)]),
      " ",
      h("span", { class: "screen-result-votes" }, [t("js.vote.total", { count: item.votes })]),
      " ", sourceTag(state, /** @type {any} */ (state.clusters.get(item.id) ?? state.ideas.get(item.id) ?? {})),
      item.ideas.length ? h("span", { class: "screen-result-ideas" }, [item.ideas.map((i) => i.text).join(" · ")]) : null,
    ]))),
  ]));
  boardBox.style.removeProperty("--count");
  fit(ranked.length * 2 + actions.length * 2 + 2);
}

/**
 * Pick the most readable layout that fits without scrolling: start from a guess
 * made from the amount of content, then measure. Nothing fits: scroll.
 * @param {number} weight ideas, plus a little for each prompt heading
 */
function fit(weight) {
  let i = weight <= 10 ? 0 : weight <= 24 ? 1 : weight <= 40 ? 2 : weight <= 56 ? 4 : weight <= 80 ? 5 : 7;
  boardBox.classList.remove("scrolling");
  const use = (/** @type {number} */ n) => {
    boardBox.dataset.scale = LAYOUTS[n][0];
    boardBox.dataset.flow = LAYOUTS[n][1];
    byId("screen").dataset.dense = String(n >= DENSE_FROM);
  };
  use(i);
  if (!overflows()) {
    while (i > 0) { // more readable while it still fits
      use(i - 1);
      if (overflows()) {
        use(i);
        break;
      }
      i -= 1;
    }
    setScrolling(false);
    return;
  }
  while (i < LAYOUTS.length - 1) { // smaller until it fits
    i += 1;
    use(i);
    if (!overflows()) {
      setScrolling(false);
      return;
    }
  }
  setScrolling(true);
}

function overflows() {
  return flow.scrollWidth > flow.clientWidth + 2 || flow.scrollHeight > flow.clientHeight + 2;
}

// -- scrolling, when even the smallest type does not fit -------------------------------------

let scrolling = false;
let paused = matchMedia("(prefers-reduced-motion: reduce)").matches;
/** @type {number | undefined} */ let frame;
let lastTime = 0;
let holdUntil = 0;
const scrollButton = byId("scroll-toggle");

/** @param {boolean} on */
function setScrolling(on) {
  scrolling = on;
  boardBox.classList.toggle("scrolling", on);
  scrollButton.hidden = !on;
  if (!on) boardBox.scrollTop = 0;
  drawScrollButton();
  if (on && frame === undefined) {
    holdUntil = performance.now() + PAUSE_AT_ENDS_MS;
    lastTime = performance.now();
    frame = requestAnimationFrame(step);
  }
}

/** @param {number} time */
function step(time) {
  frame = undefined;
  if (!scrolling) return;
  const elapsed = Math.min(100, time - lastTime);
  lastTime = time;
  if (!paused && time >= holdUntil) {
    const bottom = boardBox.scrollHeight - boardBox.clientHeight;
    if (boardBox.scrollTop >= bottom - 1) {
      boardBox.scrollTo({ top: 0, behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
      holdUntil = time + PAUSE_AT_ENDS_MS * 2;
    } else {
      position += (SCROLL_PX_PER_SECOND * elapsed) / 1000;
      if (Math.abs(position - boardBox.scrollTop) > 2) position = boardBox.scrollTop; // someone scrolled by hand
      boardBox.scrollTop = position;
      if (boardBox.scrollTop >= bottom - 1) holdUntil = time + PAUSE_AT_ENDS_MS;
    }
  } else {
    position = boardBox.scrollTop;
  }
  frame = requestAnimationFrame(step);
}
let position = 0;

function drawScrollButton() {
  scrollButton.setAttribute("aria-pressed", String(paused));
  scrollButton.textContent = paused ? t("js.screen.scroll.resume") : t("js.screen.scroll.pause");
}

scrollButton.addEventListener("click", () => {
  paused = !paused;
  position = boardBox.scrollTop;
  drawScrollButton();
});

// -- full screen -------------------------------------------------------------------------------

const fullscreen = byId("fullscreen");
if (document.fullscreenEnabled) {
  fullscreen.hidden = false;
  fullscreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  document.addEventListener("fullscreenchange", () => {
    fullscreen.textContent = document.fullscreenElement ? t("js.screen.fullscreen_exit") : t("js.screen.fullscreen");
  });
}

// The screen changes size (full screen, window moved to the projector): fit again.
let resizeTimer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => client.state && drawBoard(client.state), 150);
});

client.start();
