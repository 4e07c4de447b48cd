// @ts-check
/**
 * The "share" dialog: join link, QR code and short code. A facilitator's page also has
 * their own link and the way to make every earlier facilitator link stop working: that
 * part comes with share-facilitator.js, loaded for them alone.
 */
import { byId } from "./dom.js";
import { t } from "./i18n.js";
import { Lazy } from "./lazy.js";

/** @param {string} roomId @param {boolean} openNow */
export function setUpShare(roomId, openNow) {
  const dialog = /** @type {HTMLDialogElement} */ (byId("share-dialog"));
  const opener = byId("share-open");
  opener.addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", () => opener.focus());
  dialog.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-copy]");
    if (button instanceof HTMLElement) copy(byId(button.dataset.copy ?? ""));
  });
  if (document.getElementById("facilitator-section")) {
    /** @type {Lazy<typeof import("./share-facilitator.js"), void>} */
    const links = new Lazy("share-facilitator.js", (module) => module.setUpFacilitatorLinks(roomId));
    links.when();
  }
  if (openNow) {
    dialog.showModal();
    history.replaceState(null, "", location.pathname);
  }
}

/** @param {HTMLElement} field */
async function copy(field) {
  const input = /** @type {HTMLInputElement} */ (field);
  const status = byId("copy-status");
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = t("js.share.copied");
  } catch {
    input.select();
    status.textContent = t("js.share.copy_manually");
  }
}
