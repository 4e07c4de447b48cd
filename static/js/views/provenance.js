// @ts-check
/** Provenance in a capitalisation room: which group an idea or cluster came from. */
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { provenanceOf } from "../state.js";

/** @typedef {import("../state.js").State} State */
/**
 * "Groupe A · 3 gommettes là-bas": the provenance of an idea or cluster in a capitalisation
 * room, in words, with a border style per group as a second sign.
 * @param {State} state @param {{source?: string, source_votes?: number | null}} item
 */
export function sourceTag(state, item) {
  const from = provenanceOf(state, item);
  if (!from) return null;
  const text = from.votes === null ? t("js.source.tag", { label: from.label })
    : t("js.source.tag_votes", { label: from.label, count: from.votes });
  return h("span", { class: `tag source source-${from.index % 6}`, title: from.date }, [text]);
}
