// @ts-check
/** Who is here: a live count and the list of pseudonyms, one item per person. */
import { byId, h } from "../dom.js";
import { t } from "../i18n.js";

/** @param {import("../state.js").State} state */
export function drawPresence(state) {
  const list = byId("presence-list");
  const people = [...state.present.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  list.replaceChildren(
    ...people.map(([id, name]) => h("li", { dataset: { id } }, [name, id === state.me.id ? ` (${t("js.presence.you")})` : ""])),
  );
  byId("presence-count").textContent = String(people.length);
  byId("presence-label").textContent = t("js.presence.label", { count: people.length });
}
