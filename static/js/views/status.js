// @ts-check
/** The connection badge and the "not yet sent" banner: said in words, not only in colour. */
import { byId, h } from "../dom.js";
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

/**
 * The facilitator link this page came in with was regenerated, and this browser is not let
 * back in: say so where the "removed" notice goes, with the way on (a reload leads to the
 * join page, or to the room for whoever opens the new link), and stop calling it a lost connection.
 */
export function drawRevoked() {
  const badge = byId("connection");
  badge.dataset.state = "offline";
  /** @type {HTMLElement} */ (badge.querySelector(".label")).textContent = t("js.connection.revoked");
  previous = "offline";
  const reload = h("a", { class: "button", href: location.pathname }, [t("js.revoked.reload")]);
  const notice = h("div", { id: "revoked", class: "removed alert", attrs: { role: "alert", tabindex: "-1" } }, [
    h("h2", {}, [t("js.revoked.title")]),
    h("p", {}, [t("js.revoked.text")]),
    h("p", {}, [reload]),
  ]);
  byId("removed").after(notice);
  notice.focus();
}
