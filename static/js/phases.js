// @ts-check
/**
 * What each phase is called and what it asks of people, in one sentence.
 * Every key is written out (no computed keys) so the catalogue tests see them.
 */
import { keepTogether } from "./dom.js";
import { t } from "./i18n.js";

/** @type {Record<string, () => string>} */
const LABELS = {
  lobby: () => t("js.phase.lobby"),
  write: () => t("js.phase.write"),
  group: () => t("js.phase.group"),
  vote: () => t("js.phase.vote"),
  results: () => t("js.phase.results"),
  roadmap: () => t("js.phase.roadmap"),
  closed: () => t("js.phase.closed"),
};

/** @type {Record<string, () => string>} */
const INSTRUCTIONS = {
  lobby: () => t("js.instruction.lobby"),
  write: () => t("js.instruction.write"),
  group: () => t("js.instruction.group"),
  vote: () => t("js.instruction.vote"),
  results: () => t("js.instruction.results"),
  roadmap: () => t("js.instruction.roadmap"),
  closed: () => t("js.instruction.closed"),
};

/** What the projector says to the whole room. @type {Record<string, () => string>} */
const SCREEN_INSTRUCTIONS = {
  lobby: () => t("js.screen.instruction.lobby"),
  write: () => t("js.screen.instruction.write"),
  group: () => t("js.screen.instruction.group"),
  vote: () => t("js.screen.instruction.vote"),
  results: () => t("js.screen.instruction.results"),
  roadmap: () => t("js.screen.instruction.roadmap"),
  closed: () => t("js.screen.instruction.closed"),
};

/** @param {string} phase */
export function phaseLabel(phase) {
  return (LABELS[phase] ?? (() => phase))();
}

/** @param {string} phase */
export function phaseInstruction(phase) {
  return keepTogether((INSTRUCTIONS[phase] ?? (() => ""))());
}

/** @param {string} phase */
export function screenInstruction(phase) {
  return keepTogether((SCREEN_INSTRUCTIONS[phase] ?? (() => ""))());
}
