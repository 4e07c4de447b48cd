// @ts-check
/**
 * A facilitator's prompt tools on the board: rename, delete (it asks first) and add prompts.
 * Only facilitators use them, so a participant's phone never downloads them: the room page
 * fetches this module on a facilitator's page (lazy.js), and the board redraws once it is here.
 */
import { h, keepTogether } from "../dom.js";
import { t } from "../i18n.js";
import { totalOf } from "../state.js";

/** @typedef {import("./board.js").Board} Board */

/**
 * The tools follow the board's prompts: each section gets its buttons once, the adder comes
 * last. Called by the board at each redraw of its sections. @param {Board} board @param {boolean} facilitator
 */
export function syncPromptTools(board, facilitator) {
  if (!facilitator) return;
  for (const [id, nodes] of board.prompts) {
    if (!nodes.tools.firstChild) nodes.tools.append(...toolButtons(id));
  }
  board.addPromptForm ??= promptAdder(board);
  board.root.append(board.addPromptForm);
}

/** @param {string} promptId */
function toolButtons(promptId) {
  const headingId = `prompt-title-${promptId}`;
  return [
    h("button", { type: "button", class: "button small", dataset: { action: "rename-prompt", prompt: promptId },
      attrs: { "aria-describedby": headingId } }, [t("js.prompt.rename"), h("span", { class: "visually-hidden" }, [` ${t("js.prompt.the_prompt")}`])]),
    h("button", { type: "button", class: "button small danger", dataset: { action: "delete-prompt", prompt: promptId },
      attrs: { "aria-describedby": headingId } }, [t("js.prompt.delete"), h("span", { class: "visually-hidden" }, [` ${t("js.prompt.the_prompt")}`])]),
  ];
}

/** @param {Board} board */
function promptAdder(board) {
  return h("form", { class: "prompt-adder", id: "prompt-adder" }, [
    h("label", { htmlFor: "new-prompt" }, [t("js.prompt.add_label")]),
    h("div", { class: "copy-row" }, [
      h("input", { id: "new-prompt", name: "title", maxLength: board.config.promptMax ?? 200, autocomplete: "off", required: true }),
      h("button", { type: "submit", class: "button" }, [t("js.prompt.add")]),
    ]),
  ]);
}

/** A rename form or the adder was submitted (the board prevented the default). @param {Board} board @param {HTMLFormElement} form */
export function submitPromptForm(board, form) {
  const field = /** @type {HTMLInputElement} */ (form.elements.namedItem("title"));
  if (form.classList.contains("rename-form")) {
    const id = form.dataset.prompt ?? "";
    if (field.value.trim()) board.actions.send({ type: "prompt.rename", prompt: id, title: field.value });
    closePromptForm(board, id, "rename-prompt");
  } else {
    if (!field.value.trim()) return field.focus();
    board.actions.send({ type: "prompt.add", title: field.value });
    field.value = "";
  }
}

/** A prompt tool's button was pressed. @param {Board} board @param {string | undefined} action @param {string} prompt */
export function promptAction(board, action, prompt) {
  switch (action) {
    case "rename-prompt": return openRename(board, prompt);
    case "cancel-rename": return closePromptForm(board, prompt, "rename-prompt");
    case "delete-prompt": return confirmDeletePrompt(board, prompt);
    case "cancel-delete-prompt": return closePromptForm(board, prompt, "delete-prompt");
    case "confirm-delete-prompt":
      board.actions.send({ type: "prompt.delete", prompt });
      return closePromptForm(board, prompt, "delete-prompt");
  }
}

/** @param {Board} board @param {string} promptId */
function openRename(board, promptId) {
  const nodes = board.prompts.get(promptId);
  const prompt = board.state?.prompts.find((p) => p.id === promptId);
  if (!nodes || !prompt) return;
  const fieldId = `rename-${promptId}`;
  const form = h("form", { class: "rename-form", dataset: { prompt: promptId } }, [
    h("label", { htmlFor: fieldId }, [t("js.prompt.rename_label")]),
    h("input", { id: fieldId, name: "title", value: prompt.title, maxLength: board.config.promptMax ?? 200, autocomplete: "off", required: true }),
    h("div", { class: "idea-tools" }, [
      h("button", { type: "submit", class: "button small primary" }, [t("js.idea.save")]),
      h("button", { type: "button", class: "button small", dataset: { action: "cancel-rename", prompt: promptId } }, [t("js.idea.cancel")]),
    ]),
  ]);
  nodes.tools.hidden = true;
  nodes.tools.after(form);
  /** @type {HTMLInputElement} */ (form.querySelector("input")).select();
}

/** @param {Board} board @param {string} promptId */
function confirmDeletePrompt(board, promptId) {
  const nodes = board.prompts.get(promptId);
  if (!nodes || !board.state) return;
  const count = totalOf(board.state, promptId);
  const questionId = `delete-prompt-question-${promptId}`;
  const yes = h("button", { type: "button", class: "button small danger", dataset: { action: "confirm-delete-prompt", prompt: promptId },
    attrs: { "aria-describedby": questionId } }, [t("js.prompt.delete_confirm")]);
  const box = h("div", { class: "prompt-confirm confirm-box" }, [
    h("p", { class: "confirm-text", id: questionId }, [count ? t("js.prompt.delete_question", { count }) : t("js.prompt.delete_question_empty")]),
    h("div", { class: "idea-tools" }, [
      yes,
      h("button", { type: "button", class: "button small", dataset: { action: "cancel-delete-prompt", prompt: promptId } }, [t("js.idea.cancel")]),
    ]),
  ]);
  nodes.tools.hidden = true;
  nodes.tools.after(box);
  yes.focus();
}

/** @param {Board} board @param {string} promptId @param {string} focusAction the tool that gets the focus back */
export function closePromptForm(board, promptId, focusAction) {
  const nodes = board.prompts.get(promptId);
  if (!nodes) return;
  nodes.section.querySelector(".rename-form, .prompt-confirm")?.remove();
  const prompt = board.state?.prompts.find((p) => p.id === promptId);
  if (prompt) nodes.title.textContent = keepTogether(prompt.title);
  nodes.tools.hidden = false;
  /** @type {HTMLElement | null} */ (nodes.tools.querySelector(`[data-action="${focusAction}"]`))?.focus();
}
