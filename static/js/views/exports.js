// @ts-check
/**
 * The "Télécharger" section of the room: plain links to the exports, shown to whoever may
 * download them. The server decides too (app/export_routes.py `may_download`): this only
 * keeps the page from offering links that would answer 403.
 */

/** @typedef {import("../state.js").State} State */

/** Twin of `may_download`: never while writing is private. @param {State} state */
export function mayDownload(state) {
  const { phase, settings } = state.room;
  const privateNow = phase === "write" && Boolean(settings.private_writing);
  return state.me.role === "facilitator" || (Boolean(settings.exports_for_everyone) && !privateNow);
}

/** Show or hide the section; cheap, so it runs on every change. @param {State} state */
export function drawExports(state) {
  const section = document.getElementById("exports");
  if (section) section.hidden = !mayDownload(state);
}
