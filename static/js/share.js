// @ts-check
/**
 * The "share" dialog: join link, QR code, short code and, for facilitators,
 * their own link and the way to make every earlier facilitator link stop working.
 */
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
  const regenerate = document.getElementById("facilitator-regenerate");
  const confirmBox = document.getElementById("regenerate-confirm");
  if (regenerate && confirmBox) {
    regenerate.addEventListener("click", () => {
      confirmBox.hidden = false;
      regenerate.hidden = true;
      byId("regenerate-yes").focus();
    });
    const closeConfirm = () => {
      confirmBox.hidden = true;
      regenerate.hidden = false;
      regenerate.focus();
    };
    byId("regenerate-no").addEventListener("click", closeConfirm);
    byId("regenerate-yes").addEventListener("click", async () => {
      await regenerateFacilitatorLink(roomId);
      confirmBox.hidden = true;
      regenerate.hidden = false;
    });
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

/** @param {string} url @returns {Promise<string | null>} the link, or null (said in the status line) */
async function fetchLink(url) {
  const status = byId("copy-status");
  try {
    const response = await fetch(url, {
      method: "POST", headers: { "content-type": "application/json" }, body: "{}", credentials: "same-origin",
    });
    if (!response.ok) {
      status.textContent = t("error.auth.forbidden");
      return null;
    }
    return String((await response.json()).url);
  } catch {
    status.textContent = t("js.connection.offline");
    return null;
  }
}

/** @param {string} roomId */
async function revealFacilitatorLink(roomId) {
  const url = await fetchLink(`/rooms/${roomId}/facilitator-link`);
  if (url) showLink(url);
}

/** A new link: every earlier one stops working. @param {string} roomId */
async function regenerateFacilitatorLink(roomId) {
  const url = await fetchLink(`/rooms/${roomId}/facilitator-link/regenerate`);
  if (!url) return;
  showLink(url);
  byId("copy-status").textContent = t("js.share.regenerated");
}

/** @param {string} url */
function showLink(url) {
  const field = /** @type {HTMLInputElement} */ (byId("facilitator-link"));
  field.value = url;
  byId("facilitator-row").hidden = false;
  byId("facilitator-reveal").hidden = true;
  field.focus();
  field.select();
}
