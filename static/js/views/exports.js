// @ts-check
/**
 * The "Télécharger" section of the room: plain links to the exports, shown to whoever may
 * download them. The server decides too (app/export_routes.py `may_download`): this only
 * keeps the page from offering links that would answer 403.
 */

/** @typedef {import("../state.js").State} State */

/** @param {State} state */
export function mayDownload(state) {
  return state.me.role === "facilitator" || Boolean(state.room.settings.exports_for_everyone);
}

/** Show or hide the section; cheap, so it runs on every change. @param {State} state */
export function drawExports(state) {
  const section = document.getElementById("exports");
  if (section) section.hidden = !mayDownload(state);
}
