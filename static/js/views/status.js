// @ts-check
/** The connection badge and the "not yet sent" banner: said in words, not only in colour. */
import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { say } from "../announce.js";

let previous = "connecting";

/**
 * Short words that fit a phone's header; no countdown (it would have to tick to stay true).
 * @param {"connecting" | "online" | "offline"} status
 */
export function drawConnection(status) {
  // A retry is still a lost connection until it succeeds: no flicker, no repeated announcement
  // (the badge is a live region).
  if (status === "connecting" && previous === "offline") return;
  const badge = byId("connection");
  badge.dataset.state = status;
  const label = /** @type {HTMLElement} */ (badge.querySelector(".label"));
  const text = t(`js.connection.${status}`);
  if (label.textContent !== text) label.textContent = text;
  if (status === "offline" && previous === "online") say(t("js.announce.offline"));
  if (status === "online" && previous !== "online" && previous !== "connecting") say(t("js.announce.online"));
  if (status !== "connecting") previous = status;
}

/** @param {number} waiting */
export function drawPending(waiting) {
  const banner = byId("pending-banner");
  banner.hidden = waiting === 0;
  banner.textContent = waiting ? t("js.pending", { count: waiting }) : "";
}
