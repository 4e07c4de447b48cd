// @ts-check
/**
 * Keyboard shortcuts for the frequent actions of the room, listed in a help
 * dialog ("?"). Single letters, so they are never taken while a person types in
 * a field, nor with Ctrl, Alt or Meta (browser and screen reader keys stay theirs).
 * Every shortcut is a short cut only: each action is also a button or a field in
 * the tab order.
 */

/** @typedef {"new" | "next" | "previous" | "group" | "help"} Shortcut */

/** The one table of keys, read by the handler here and by the help dialog's tests. @type {Record<string, Shortcut>} */
export const KEYS = { n: "new", j: "next", k: "previous", g: "group", "?": "help" };

/** Field types in which a letter is text, not a command. */
const TEXT_INPUTS = new Set(["text", "search", "email", "number", "password", "tel", "url", "date", "time"]);

/** @param {EventTarget | null} target @returns {boolean} whether a key pressed there is typing */
export function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

/** @param {KeyboardEvent} event @returns {Shortcut | null} */
export function shortcutOf(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typing(event.target)) return null;
  if (document.querySelector("dialog[open]")) return null; // a modal dialog has the keyboard
  return Object.hasOwn(KEYS, event.key) ? KEYS[event.key] : null;
}

/**
 * @param {HTMLElement} board the board whose prompts and ideas the shortcuts reach
 * @param {HTMLDialogElement} dialog the help dialog
 * @param {HTMLElement} opener its button, which gets the focus back
 */
export function setUpShortcuts(board, dialog, opener) {
  /** Where the focus was when the dialog opened, to come back to. @type {HTMLElement | null} */
  let before = null;
  const openHelp = () => {
    before = /** @type {HTMLElement | null} */ (document.activeElement);
    dialog.showModal();
  };
  opener.addEventListener("click", openHelp);
  dialog.addEventListener("close", () => (before && before.isConnected && before !== document.body ? before : opener).focus());
  document.addEventListener("keydown", (event) => {
    const shortcut = shortcutOf(event);
    if (!shortcut) return;
    event.preventDefault();
    if (shortcut === "help") openHelp();
    else if (shortcut === "new") focusComposer(board);
    else if (shortcut === "group") document.getElementById("group-status")?.focus();
    else focusIdea(board, shortcut === "next" ? 1 : -1);
  });
}

/** The composer of the prompt the focus is in, else the first one open. @param {HTMLElement} board */
function focusComposer(board) {
  const here = /** @type {HTMLElement | null} */ (document.activeElement)?.closest?.("section.prompt");
  const open = [...board.querySelectorAll("form.composer:not([hidden]) textarea")];
  const field = open.find((f) => here && here.contains(f)) ?? open[0];
  if (field instanceof HTMLElement) field.focus();
}

/** Move the focus to the next (1) or previous (-1) idea of the board, in reading order. @param {HTMLElement} board @param {number} step */
function focusIdea(board, step) {
  const cards = /** @type {HTMLElement[]} */ ([...board.querySelectorAll("li.idea")]);
  if (!cards.length) return;
  const current = /** @type {HTMLElement | null} */ (document.activeElement)?.closest?.("li.idea");
  const index = current ? cards.indexOf(/** @type {HTMLElement} */ (current)) : -1;
  const next = index < 0 ? (step > 0 ? 0 : cards.length - 1) : Math.min(cards.length - 1, Math.max(0, index + step));
  const card = cards[next];
  card.tabIndex = -1; // focusable by script only: Tab still walks the card's own buttons
  card.focus();
}
