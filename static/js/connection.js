// @ts-check
/**
 * The socket's life: connect, say hello with the last seq, ping, reconnect with
 * backoff and jitter; and the queue of operations not yet confirmed, kept in
 * localStorage so that a reload or a sleeping phone loses nothing typed.
 *
 * An operation leaves the queue only when the server answers for its op_id:
 * the broadcast event (committed), an `ack` (it was already committed), or an
 * `error` (refused). Until then it is resent after every reconnection; the
 * server's op_id record makes the resend harmless.
 *
 * Frames that are not operations (`done`, `snapshot`) are sent only when the
 * socket is open and never queued. A close with code 4003 (this person was
 * removed from the room) ends the connection for good: no reconnection.
 * A close with 4001 (the facilitator link this browser used was regenerated)
 * is followed by reconnections as after any cut, since this browser's cookie
 * may be the fresh one (the browser that regenerated gets it, in the answer
 * that may arrive just after the close); when REFUSALS_AFTER_4001 handshakes
 * in a row are refused, the old identity is gone for good and the connection
 * ends too, rather than knocking on a closed door forever. Its queue is kept:
 * reopened with the new link, the same person sends it, harmlessly (op_ids).
 *
 * A ping that gets no answer within PONG_WITHIN_MS gives the socket up at once:
 * on a dead network a close handshake never completes, and waiting for the
 * browser's `close` event would add its own long timeout to the outage. A new
 * socket gets the same deadline for its first frame (the snapshot or catch-up):
 * a handshake into a dead network may hang for minutes, and meanwhile nothing,
 * not even the browser's `online` event, would start another one.
 */

/** Refusals that mean "not now" rather than "no": the op stays queued and is sent again. */
const RETRY_LATER = new Set(["command.rate_limited", "storage.unavailable", "storage.full"]);
const PING_EVERY_MS = 20000;
const PONG_WITHIN_MS = 10000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
/** The server closed the socket because this person was removed from the room. */
export const CLOSE_REMOVED = 4003;
/** The server closed the socket because the facilitator link it was opened with was regenerated. */
export const CLOSE_REVOKED = 4001;
/** What the browser reports for a socket that ended without a close frame (or never opened). */
const CLOSE_ABNORMAL = 1006;
/** Two, not one: a single refusal may be a network blip, or the fresh cookie not there yet. */
const REFUSALS_AFTER_4001 = 2;

/** @typedef {"connecting" | "online" | "offline"} Status */
/** @typedef {{op_id: string, type: string, [key: string]: unknown}} Op */

/** @returns {string} a random op id */
export function newOpId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

export class Connection {
  /**
   * @param {{
   *   url: string, roomId: string, version: number,
   *   since: () => number | null,
   *   onFrame: (frame: any) => void,
   *   onStatus: (status: Status, retryInMs?: number) => void,
   *   onPending: (ops: Op[]) => void,
   *   onEnded?: (code: number) => void,
   * }} options
   */
  constructor(options) {
    this.options = options;
    this.storageKey = `essaim:pending:${options.roomId}`;
    /** @type {Op[]} */
    this.queue = this.load();
    /** @type {WebSocket | null} */
    this.socket = null;
    this.ready = false;
    this.attempt = 0;
    /** Removed from the room, or its facilitator rights revoked: never connect again. */
    this.ended = false;
    /** Closed with 4001: the next handshakes say whether this browser's identity still holds. */
    this.revoked = false;
    /** Handshakes refused (never opened) in a row since the 4001. */
    this.refusals = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.pongTimer = undefined;
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  start() {
    this.connect();
    this.options.onPending(this.queue);
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.ended) return;
    this.ready = false;
    this.options.onStatus("connecting");
    const socket = new WebSocket(this.options.url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      socket.send(JSON.stringify({ type: "hello", v: this.options.version, since: this.options.since() }));
      this.startPing();
    });
    socket.addEventListener("message", (message) => this.receive(String(message.data)));
    socket.addEventListener("close", (event) => this.closed(socket, event.code, opened));
    socket.addEventListener("error", () => socket.close());
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.giveUp(), PONG_WITHIN_MS); // until the first frame comes
  }

  /** The snapshot or catch-up was applied: the room is current, so send what waits. */
  markReady() {
    this.ready = true;
    this.attempt = 0;
    this.revoked = false; // this browser's identity holds (its cookie was the fresh one)
    this.options.onStatus("online");
    for (const op of this.queue) this.transmit(op);
  }

  /** Queue an operation and send it if we can. @param {Omit<Op, "op_id">} command @returns {Op} */
  send(command) {
    const op = /** @type {Op} */ ({ ...command, op_id: newOpId() });
    this.queue.push(op);
    this.save();
    if (this.ready) this.transmit(op);
    return op;
  }

  /** The server answered for this op (event, ack or error). @param {string} opId */
  settle(opId) {
    const before = this.queue.length;
    this.queue = this.queue.filter((op) => op.op_id !== opId);
    if (this.queue.length !== before) this.save();
  }

  /** Ask again for the events after `since` (a gap was seen). @param {number} since */
  resync(since) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "sync", since }));
  }

  /**
   * Send a frame that is not an operation (`done`, `snapshot`): now or never.
   * @param {{type: string, [key: string]: unknown}} frame @returns {boolean} whether it left
   */
  sendFrame(frame) {
    if (!this.ready || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Stop for good: close, and do not come back.
   * @param {number} [code] CLOSE_REMOVED (the default: this person was removed) or CLOSE_REVOKED
   */
  end(code = CLOSE_REMOVED) {
    if (this.ended) return;
    this.ended = true;
    this.ready = false;
    if (code === CLOSE_REMOVED) {
      this.queue = []; // the server will take nothing more from this person
      this.save();
    }
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
    this.options.onEnded?.(code);
  }

  /** @param {Op} op */
  transmit(op) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(op));
  }

  /** @param {string} text */
  receive(text) {
    this.heardFromServer();
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return;
    }
    for (const frame of Array.isArray(data) ? data : [data]) {
      if (frame.type === "pong") continue;
      if (frame.type === "error" && RETRY_LATER.has(frame.code) && typeof frame.op_id === "string") {
        this.retryLater(frame.op_id, Number(frame.params?.retry_after) || 3);
        continue; // still pending, shown as "not yet sent": nothing typed is dropped
      }
      this.options.onFrame(frame);
      if (typeof frame.op_id === "string" && ["ack", "error"].includes(frame.type)) this.settle(frame.op_id);
      else if (typeof frame.op_id === "string" && typeof frame.seq === "number") this.settle(frame.op_id);
    }
  }

  /** Send an op again once the server says it may take it. @param {string} opId @param {number} seconds */
  retryLater(opId, seconds) {
    const delay = Math.min(60, Math.max(1, seconds)) * 1000 * (1 + Math.random() * 0.2);
    setTimeout(() => {
      const op = this.queue.find((queued) => queued.op_id === opId);
      if (op && this.ready) this.transmit(op);
    }, delay);
  }

  startPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.socket?.readyState !== WebSocket.OPEN) return;
      this.socket.send('{"type":"ping"}');
      clearTimeout(this.pongTimer);
      // No answer at all: the connection is dead even if the browser has not noticed.
      this.pongTimer = setTimeout(() => this.giveUp(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  heardFromServer() {
    clearTimeout(this.pongTimer);
  }

  /** The socket is dead: forget it now (its `close` event, whenever it comes, is ignored) and retry. */
  giveUp() {
    const socket = this.socket;
    if (!socket) return;
    this.closed(socket, CLOSE_ABNORMAL, true); // silence is not a refusal: `opened` as far as 4001 goes
    socket.close();
  }

  /** @param {WebSocket} socket @param {number} code @param {boolean} opened whether it ever opened */
  closed(socket, code, opened) {
    if (socket !== this.socket) return;
    if (code === CLOSE_REMOVED) {
      this.end(CLOSE_REMOVED);
      return;
    }
    if (this.revoked && !opened) {
      this.refusals += 1;
      if (this.refusals >= REFUSALS_AFTER_4001) {
        this.end(CLOSE_REVOKED); // refused again and again since the 4001: this identity is gone
        return;
      }
    } else {
      this.revoked = code === CLOSE_REVOKED;
      this.refusals = 0;
    }
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.ready = false;
    this.socket = null;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2)); // jitter: no thundering herd
    this.attempt += 1;
    this.options.onStatus("offline", delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.socket === null && !this.ended) this.connect();
  }

  /** @returns {Op[]} */
  load() {
    try {
      const stored = JSON.parse(localStorage.getItem(this.storageKey) ?? "[]");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.queue));
    } catch {
      /* storage full or disabled: the queue still lives in memory */
    }
    this.options.onPending(this.queue);
  }
}
