// @ts-check
/** The facilitator link: its secret lives in the URL fragment, which browsers never send to servers. */
const statusLine = /** @type {HTMLElement} */ (document.getElementById("claim-status"));
const roomId = statusLine.dataset.room ?? "";
const token = decodeURIComponent(location.hash.slice(1));
history.replaceState(null, "", location.pathname); // do not leave the secret in history

if (!token) {
  statusLine.textContent = statusLine.dataset.missing ?? "";
} else {
  fetch(`/rooms/${roomId}/claim`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
    credentials: "same-origin",
  }).then(async (response) => {
    if (!response.ok) throw new Error(String(response.status));
    const { url } = await response.json();
    location.replace(url);
  }).catch(() => {
    statusLine.textContent = statusLine.dataset.failed ?? "";
  });
}
