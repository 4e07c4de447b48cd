// @ts-check
/** Tiny DOM helpers: elements are built with properties and text, never from HTML strings. */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props] properties; `class`, `dataset` and `attrs` are special
 * @param {(Node | string | null | undefined | false)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "attrs") for (const [name, v] of Object.entries(value)) node.setAttribute(name, String(v));
    else /** @type {any} */ (node)[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing`);
  return node;
}

/**
 * French typography: the space before "?", "!", ":", ";" and "»" becomes a narrow
 * no-break space, so that a question mark never starts a line on its own.
 * @param {string} text
 */
export function keepTogether(text) {
  return text.replace(/ ([?!:;»])/g, "\u202f$1").replace(/« /g, "«\u202f");
}
