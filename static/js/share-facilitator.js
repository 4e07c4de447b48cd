// @ts-check
/**
 * The facilitator's part of the "share" dialog: their own link, and the way to make
 * every earlier facilitator link stop working (the creator's alone). Only a
 * facilitator's page has this markup (room.html), and only it loads this module.
 */
import { byId } from "./dom.js";
import { t } from "./i18n.js";

/** @param {string} roomId */
export function setUpFacilitatorLinks(roomId) {
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
