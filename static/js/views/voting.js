// @ts-check
/**
 * The vote in words: dots left and how many people voted while voting; the
 * ranked results once they are out (ties said as ties, the ideas of each
 * cluster listed). The placing itself is on each item (see board.js).
 */
import { say } from "../announce.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { dotsLeft, mayVote, talliesShown } from "../state.js";
import { mayPlan, ranking } from "../state-later.js";

/** @typedef {import("../state.js").State} State */

export class VoteStatus {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.left = h("p", { class: "vote-left" });
    this.voters = h("p", { class: "vote-voters" });
    root.replaceChildren(this.left, this.voters);
    /** The state last drawn, and my dots in it (see `draw`). @type {State | null} */
    this.seen = null;
    this.placed = 0;
  }

  /** @param {State} state */
  draw(state) {
    const open = mayVote(state);
    this.root.hidden = !open;
    if (!open) return;
    const left = dotsLeft(state);
    // Fewer dots in a fresh snapshot than this page last showed: some came back (an item they
    // were on went, or a lower budget or cap). A snapshot is what follows `votes_returned`;
    // one's own "− Retirer" changes the same state and is said by room.js.
    const placed = [...state.votes.mine.values()].reduce((sum, n) => sum + n, 0);
    if (this.seen && state !== this.seen && placed < this.placed) say(t("js.vote.returned", { count: this.placed - placed }));
    this.seen = state;
    this.placed = placed;
    this.left.textContent = t("js.vote.left", { count: left, budget: state.room.settings.vote_budget });
    this.voters.textContent = t("js.vote.voters", { count: state.votes.voters })
      + (talliesShown(state) ? "" : ` ${t("js.vote.hidden")}`);
  }
}

export class Results {
  /** @param {HTMLElement} root @param {(kind: string, id: string, title: string) => void} plan start an action from a result */
  constructor(root, plan) {
    this.root = root;
    root.addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest("button[data-plan]");
      if (button instanceof HTMLElement) plan(button.dataset.kind ?? "", button.dataset.plan ?? "", button.dataset.title ?? "");
    });
  }

  /** @param {State} state */
  draw(state) {
    const shown = talliesShown(state) && ["results", "roadmap", "closed"].includes(state.room.phase);
    this.root.hidden = !shown;
    if (!shown) return;
    const ranked = ranking(state);
    const planning = mayPlan(state);
    const list = h("ol", { class: "results-list" }, ranked.map((item) => h("li", { class: `result result-${item.kind}` }, [
      h("p", { class: "result-head" }, [
        h("span", { class: "result-rank" }, [item.tied ? t("js.results.rank_tied", { rank: item.rank }) : t("js.results.rank", { rank: item.rank })]),
        " ",
        h("span", { class: "result-title" }, [item.title]),
        " ",
        h("span", { class: "result-votes" }, [t("js.vote.total", { count: item.votes })]),
      ]),
      item.ideas.length
        ? h("ul", { class: "result-ideas", attrs: { "aria-label": t("js.results.ideas_of", { title: item.title }) } },
          item.ideas.map((idea) => h("li", {}, [idea.text])))
        : null,
      planning
        ? h("button", { type: "button", class: "button small", dataset: { plan: item.id, kind: item.kind, title: item.title },
          attrs: { "aria-label": t("js.roadmap.from_result", { title: item.title.slice(0, 60) }) } }, [t("js.roadmap.from_result_short")])
        : null,
    ])));
    this.root.replaceChildren(
      h("h2", { id: "results-title" }, [t("js.results.title")]),
      h("p", { class: "hint" }, [t("js.vote.voters", { count: state.votes.voters })]),
      ranked.length ? list : h("p", {}, [t("js.results.empty")]),
    );
  }
}
