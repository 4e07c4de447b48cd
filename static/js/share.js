// @ts-check
/** The "share" dialog: join link, QR code and, for facilitators, their own link. */
import { byId } from "./dom.js";
import { t } from "./i18n.js";

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
  document.getElementById("facilitator-reveal")?.addEventListener("click", () => revealFacilitatorLink(roomId));
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

/** @param {string} roomId */
async function revealFacilitatorLink(roomId) {
  const response = await fetch(`/rooms/${roomId}/facilitator-link`, {
    method: "POST", headers: { "content-type": "application/json" }, body: "{}", credentials: "same-origin",
  });
  const status = byId("copy-status");
  if (!response.ok) {
    status.textContent = t("error.auth.forbidden");
    return;
  }
  const { url } = await response.json();
  const field = /** @type {HTMLInputElement} */ (byId("facilitator-link"));
  field.value = url;
  byId("facilitator-row").hidden = false;
  byId("facilitator-reveal").hidden = true;
  field.focus();
  field.select();
}
