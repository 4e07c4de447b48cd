// @ts-check
/** The connection badge and the "not yet sent" banner: said in words, not only in colour. */
import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { say } from "../announce.js";

let previous = "connecting";

/** @param {"connecting" | "online" | "offline"} status @param {number} [retryInMs] */
export function drawConnection(status, retryInMs) {
  const badge = byId("connection");
  badge.dataset.state = status;
  const label = /** @type {HTMLElement} */ (badge.querySelector(".label"));
  label.textContent =
    status === "offline" ? t("js.connection.offline", { seconds: Math.ceil((retryInMs ?? 0) / 1000) }) : t(`js.connection.${status}`);
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
