// @ts-check
/**
 * The polite live region. Bursts are batched: many new ideas in a short time
 * are announced once ("5 nouvelles idées"), not one by one.
 */
import { t } from "./i18n.js";

const DELAY_MS = 1500;
/** @type {Map<string, number>} */
const counts = new Map();
/** @type {string[]} */
const lines = [];
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;

/** Count an occurrence of a batched kind of news, e.g. "js.announce.new_ideas". @param {string} key */
export function count(key) {
  counts.set(key, (counts.get(key) ?? 0) + 1);
  schedule();
}

/** Say one sentence (batched with anything else pending). @param {string} text */
export function say(text) {
  lines.push(text);
  schedule();
}

function schedule() {
  if (timer === null) timer = setTimeout(flush, DELAY_MS);
}

function flush() {
  timer = null;
  const region = document.getElementById("announcer");
  const parts = [...lines];
  for (const [key, n] of counts) parts.push(t(key, { count: n }));
  counts.clear();
  lines.length = 0;
  if (region && parts.length) region.textContent = parts.join(" ");
}
