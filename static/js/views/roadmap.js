// @ts-check
/**
 * The roadmap (feuille de route): a table of actions, in the order the server keeps
 * (by the votes of what they come from, until someone reorders), and, for whoever
 * may write it, one form to add or edit an action. Every change is one command;
 * the table redraws from the state when the server confirms it.
 */
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { actionsInOrder, mayPlan, ranking, sourceOf } from "../state-later.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("../state.js").Action} Action */
/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */

const STATUSES = ["todo", "doing", "done", "dropped"];
const HORIZONS = ["", "3m", "6m", "1y"];
/** Every key written out, so the catalogue tests see them. @type {Record<string, () => string>} */
const LABELS = {
  todo: () => t("js.roadmap.status.todo"), doing: () => t("js.roadmap.status.doing"),
  done: () => t("js.roadmap.status.done"), dropped: () => t("js.roadmap.status.dropped"),
  "": () => t("js.roadmap.horizon.none"), "3m": () => t("js.roadmap.horizon.3m"),
  "6m": () => t("js.roadmap.horizon.6m"), "1y": () => t("js.roadmap.horizon.1y"),
};
const label = (/** @type {string} */ key) => (LABELS[key] ?? (() => key))();

/**
 * What an action's row says beyond its own texts, in words: the room's table and the projector's
 * (screen.js) say the same. @param {State} state @param {Action} a
 */
export function actionTexts(state, a) {
  const source = sourceOf(state, a);
  return {
    when: [a.horizon ? label(a.horizon) : "", a.due ? new Date(`${a.due}T12:00:00`).toLocaleDateString(document.documentElement.lang || "fr") : ""]
      .filter(Boolean).join(" · "),
    status: label(a.status),
    source: source ? `${source.title}${source.votes !== null ? ` (${t("js.vote.total", { count: source.votes })})` : ""}` : "",
  };
}

/** Owners or partners typed as "Mairie, Centre social". @param {string} text */
function people(text) {
  return text.split(/[,;\n]/).map((p) => p.trim()).filter(Boolean);
}

export class RoadmapView {
  /** @param {HTMLElement} root @param {Send} send */
  constructor(root, send) {
    this.root = root;
    this.send = send;
    /** @type {State | null} */ this.state = null;
    /** The action being edited, if any. @type {string | null} */ this.editing = null;
    this.body = h("tbody", {});
    this.form = this.makeForm();
    root.replaceChildren(
      h("h2", { id: "roadmap-title" }, [t("js.roadmap.title")]),
      h("table", { class: "roadmap-table" }, [
        h("caption", { class: "visually-hidden" }, [t("js.roadmap.caption")]),
        h("thead", {}, [h("tr", {}, [
          h("th", { scope: "col" }, [t("js.roadmap.col.action")]),
          h("th", { scope: "col" }, [t("js.roadmap.col.owners")]),
          h("th", { scope: "col" }, [t("js.roadmap.col.partners")]),
          h("th", { scope: "col" }, [t("js.roadmap.col.when")]),
          h("th", { scope: "col" }, [t("js.roadmap.col.status")]),
          h("th", { scope: "col" }, [t("js.roadmap.col.source")]),
          h("th", { scope: "col", class: "roadmap-tools-head" }, [h("span", { class: "visually-hidden" }, [t("js.roadmap.col.tools")])]),
        ])]),
        this.body,
      ]),
      h("p", { class: "hint roadmap-empty", id: "roadmap-empty" }, [t("js.roadmap.empty")]),
      this.form,
      h("div", { class: "button-row", id: "roadmap-undo-row" }, [
        h("button", { type: "button", class: "button small", dataset: { roadmap: "undo" } }, [t("js.roadmap.undo")]),
      ]),
    );
    root.addEventListener("click", (event) => this.onClick(event));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  /** @param {State} state */
  draw(state) {
    this.state = state;
    const shown = ["results", "roadmap", "closed"].includes(state.room.phase) && (state.actions.size > 0 || mayPlan(state));
    this.root.hidden = !shown;
    if (!shown) return;
    const planning = mayPlan(state);
    this.root.classList.toggle("planning", planning);
    const order = actionsInOrder(state);
    this.body.replaceChildren(...order.map((a, i) => this.row(state, a, planning, i, order.length)));
    /** @type {HTMLElement} */ (this.root.querySelector("#roadmap-empty")).hidden = order.length > 0;
    this.form.hidden = !planning;
    /** @type {HTMLElement} */ (this.root.querySelector("#roadmap-undo-row")).hidden = !planning;
    if (this.editing && !state.actions.has(this.editing)) this.reset();
    this.fillSources(state);
  }

  /** @param {State} state @param {Action} a @param {boolean} planning @param {number} index @param {number} count */
  row(state, a, planning, index, count) {
    const { when, source } = actionTexts(state, a);
    const titleId = `action-${a.action}-title`;
    const tool = (/** @type {string} */ action, /** @type {string} */ text, extra = "", disabled = false) =>
      h("button", { type: "button", class: `button small ${extra}`, disabled, dataset: { roadmap: action, action: a.action },
        attrs: { "aria-describedby": titleId } }, [text]);
    return h("tr", { dataset: { action: a.action } }, [
      h("td", { dataset: { label: t("js.roadmap.col.action") } }, [
        h("strong", { id: titleId }, [a.title]),
        a.description ? h("p", { class: "roadmap-description" }, [a.description]) : null,
      ]),
      h("td", { dataset: { label: t("js.roadmap.col.owners") } }, [a.owners.join(", ")]),
      h("td", { dataset: { label: t("js.roadmap.col.partners") } }, [a.partners.join(", ")]),
      h("td", { dataset: { label: t("js.roadmap.col.when") } }, [when]),
      h("td", { dataset: { label: t("js.roadmap.col.status") } }, [h("span", { class: `status status-${a.status}` }, [label(a.status)])]),
      h("td", { dataset: { label: t("js.roadmap.col.source") } }, [source]),
      h("td", { class: "roadmap-tools" }, planning ? [
        tool("edit", t("js.roadmap.edit")),
        tool("up", t("js.cluster.up"), "", index === 0),
        tool("down", t("js.cluster.down"), "", index === count - 1),
        tool("delete", t("js.idea.delete"), "danger"),
      ] : []),
    ]);
  }

  makeForm() {
    const field = (/** @type {string} */ name, /** @type {string} */ text, /** @type {HTMLElement} */ input, hint = "") =>
      h("div", { class: "field" }, [h("label", { htmlFor: `roadmap-${name}` }, [text]), hint ? h("p", { class: "hint", id: `roadmap-${name}-hint` }, [hint]) : null, input]);
    const select = (/** @type {string} */ name, /** @type {string[]} */ values) =>
      h("select", { id: `roadmap-${name}`, name }, values.map((v) => h("option", { value: v }, [label(v)])));
    return h("form", { class: "roadmap-form panel", id: "roadmap-form" }, [
      h("h3", { id: "roadmap-form-title" }, [t("js.roadmap.add_title")]),
      field("source", t("js.roadmap.source"), h("select", { id: "roadmap-source", name: "source" })),
      field("title-field", t("js.roadmap.field.title"), h("input", { id: "roadmap-title-field", name: "title", maxLength: 200, required: true, autocomplete: "off" })),
      field("description", t("js.roadmap.field.description"), h("textarea", { id: "roadmap-description", name: "description", rows: 2, maxLength: 2000 })),
      field("owners", t("js.roadmap.field.owners"), h("input", { id: "roadmap-owners", name: "owners", autocomplete: "off",
        attrs: { "aria-describedby": "roadmap-owners-hint" } }), t("js.roadmap.people_hint")),
      field("partners", t("js.roadmap.field.partners"), h("input", { id: "roadmap-partners", name: "partners", autocomplete: "off",
        attrs: { "aria-describedby": "roadmap-partners-hint" } }), t("js.roadmap.people_hint")),
      field("horizon", t("js.roadmap.field.horizon"), select("horizon", HORIZONS)),
      field("due", t("js.roadmap.field.due"), h("input", { id: "roadmap-due", name: "due", type: "date" })),
      field("status", t("js.roadmap.field.status"), select("status", STATUSES)),
      h("div", { class: "button-row" }, [
        h("button", { type: "submit", class: "button primary", id: "roadmap-submit" }, [t("js.roadmap.add")]),
        h("button", { type: "button", class: "button", id: "roadmap-cancel", hidden: true, dataset: { roadmap: "cancel" } }, [t("js.idea.cancel")]),
      ]),
    ]);
  }

  /** The clusters and ideas an action may come from, best ranked first. @param {State} state */
  fillSources(state) {
    const select = /** @type {HTMLSelectElement} */ (this.form.querySelector("#roadmap-source"));
    const options = [["", t("js.roadmap.source.none")], ...ranking(state).map((r) => [`${r.kind}:${r.id}`,
      `${r.title.length > 60 ? `${r.title.slice(0, 59)}…` : r.title} (${t("js.vote.total", { count: r.votes })})`])];
    const key = JSON.stringify(options);
    if (select.dataset.key === key) return;
    const chosen = select.value;
    select.dataset.key = key;
    select.replaceChildren(...options.map(([value, text]) => h("option", { value }, [text])));
    if (options.some(([value]) => value === chosen)) select.value = chosen;
  }

  /** Start an action from a result: its source chosen, its title proposed. @param {string} kind @param {string} id @param {string} title */
  prefill(kind, id, title) {
    this.reset();
    const form = this.form;
    /** @type {HTMLSelectElement} */ (form.querySelector("#roadmap-source")).value = `${kind}:${id}`;
    const field = /** @type {HTMLInputElement} */ (form.querySelector("#roadmap-title-field"));
    field.value = title.slice(0, 200);
    field.focus();
    field.select();
  }

  submit() {
    const data = new FormData(this.form);
    const title = String(data.get("title") ?? "").trim();
    if (!title) return /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-title-field")).focus();
    const due = String(data.get("due") ?? "");
    const fields = {
      title, description: String(data.get("description") ?? ""), owners: people(String(data.get("owners") ?? "")),
      partners: people(String(data.get("partners") ?? "")), horizon: String(data.get("horizon") ?? ""),
      status: String(data.get("status") ?? "todo"),
    };
    if (this.editing) {
      this.send({ type: "action.edit", action: this.editing, ...fields, ...(due ? { due } : { clear_due: true }) });
    } else {
      const [kind, id] = String(data.get("source") ?? "").split(":");
      this.send({ type: "action.add", ...fields, ...(due ? { due } : {}), ...(kind && id ? { source: { kind, id } } : {}) });
    }
    this.reset();
  }

  /** @param {Event} event */
  onClick(event) {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-roadmap]");
    if (!(button instanceof HTMLElement) || !this.state) return;
    const id = button.dataset.action ?? "";
    const order = actionsInOrder(this.state).map((a) => a.action);
    const index = order.indexOf(id);
    switch (button.dataset.roadmap) {
      case "edit": return this.edit(id);
      case "delete": return this.send({ type: "action.delete", action: id });
      case "up": return index > 0 ? this.send({ type: "action.move", action: id, before: order[index - 1] }) : undefined;
      case "down":
        if (index < order.length - 2) this.send({ type: "action.move", action: id, before: order[index + 2] });
        else if (index === order.length - 2) this.send({ type: "action.move", action: id });
        return;
      case "undo": return this.send({ type: "action.undo" });
      case "cancel": return this.reset();
    }
  }

  /** @param {string} id */
  edit(id) {
    const a = this.state?.actions.get(id);
    if (!a) return;
    this.editing = id;
    const set = (/** @type {string} */ selector, /** @type {string} */ value) => {
      /** @type {HTMLInputElement} */ (this.form.querySelector(selector)).value = value;
    };
    set("#roadmap-title-field", a.title);
    set("#roadmap-description", a.description);
    set("#roadmap-owners", a.owners.join(", "));
    set("#roadmap-partners", a.partners.join(", "));
    set("#roadmap-horizon", a.horizon);
    set("#roadmap-due", a.due ?? "");
    set("#roadmap-status", a.status);
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-source")).closest(".field")?.setAttribute("hidden", "");
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-form-title")).textContent = t("js.roadmap.edit_title", { title: a.title });
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-submit")).textContent = t("js.idea.save");
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-cancel")).hidden = false;
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-title-field")).focus();
  }

  reset() {
    this.editing = null;
    this.form.reset();
    this.form.querySelector("#roadmap-source")?.closest(".field")?.removeAttribute("hidden");
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-form-title")).textContent = t("js.roadmap.add_title");
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-submit")).textContent = t("js.roadmap.add");
    /** @type {HTMLElement} */ (this.form.querySelector("#roadmap-cancel")).hidden = true;
  }
}
