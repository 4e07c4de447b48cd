// @ts-check
/** Strings come from the server's catalogue; nothing user-facing is written in the modules. */

/** @type {Record<string, string>} */
let messages = {};
let lang = "fr";

/** @param {Record<string, string>} catalogue @param {string} language */
export function setCatalogue(catalogue, language) {
  messages = catalogue;
  lang = language;
}

/** The strings of views that came later (lazy.js), added to those the page came with. @param {Record<string, string>} more */
export function addMessages(more) {
  messages = { ...messages, ...more };
}

/**
 * Translate `key`, filling `{name}` placeholders. With a numeric `count`, picks
 * `key.one` / `key.other` by the language's plural rules.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  let message = messages[key];
  if (typeof params.count === "number") {
    const form = new Intl.PluralRules(lang).select(params.count);
    message = messages[`${key}.${form}`] ?? messages[`${key}.other`] ?? message;
  }
  if (message === undefined) return key;
  return message.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}
