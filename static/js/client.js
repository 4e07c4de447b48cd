// @ts-check
/**
 * One room, kept current: the connection, the snapshot, events applied in
 * order (holding those that come after a gap until the gap is filled), and
 * fresh snapshots when an event says that what this person may see changed.
 * Pages (room.js, screen.js) give it callbacks and draw; this module does not
 * touch the DOM.
 */
import { CLOSE_REVOKED, Connection } from "./connection.js";
import { apply, fromSnapshot, position, setClock } from "./state.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").Change} Change */
/** @typedef {import("./connection.js").Op} Op */
/** @typedef {import("./connection.js").Status} Status */

/**
 * @typedef {{
 *   onReset: (state: State) => void,
 *   onChange: (change: Change, state: State, event: any) => void,
 *   onError?: (frame: any, op: Op | undefined) => void,
 *   onStatus: (status: Status, retryInMs?: number) => void,
 *   onPending?: (ops: Op[]) => void,
 *   onRemoved: () => void,
 *   onRevoked?: () => void,
 *   onReady?: (state: State) => void,
 * }} Handlers
 */

export class RoomClient {
  /** @param {{room: string, version: number}} config @param {Handlers} handlers */
  constructor(config, handlers) {
    this.handlers = handlers;
    /** @type {State | null} */
    this.state = null;
    /** Sequenced events that arrived ahead of a gap, waiting for the missing ones. @type {any[]} */
    this.held = [];
    /** A snapshot was asked for and has not come yet. */
    this.refetching = false;
    /** A stale snapshot was asked for again. */
    this.again = false;
    this.ended = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.connection = new Connection({
      url: `${scheme}//${location.host}/rooms/${config.room}/ws`,
      roomId: config.room,
      version: config.version,
      since: () => (this.state ? this.state.seq : null),
      onFrame: (frame) => this.onFrame(frame),
      onStatus: handlers.onStatus,
      onPending: (ops) => handlers.onPending?.(ops),
      onEnded: (code) => (code === CLOSE_REVOKED ? this.revoked() : this.removed()),
    });
  }

  start() {
    this.connection.start();
  }

  /** Send a command (queued until the server answers for it). @param {Omit<Op, "op_id">} command */
  send(command) {
    return this.connection.send(command);
  }

  /** Ask the server for the room as it is now. */
  refetch() {
    if (this.refetching) return;
    this.refetching = this.connection.sendFrame({ type: "snapshot" });
  }

  /** @param {any} frame */
  onFrame(frame) {
    switch (frame.type) {
      case "snapshot": {
        const first = !this.connection.ready;
        // Read before an event this page has applied, sent after it (ws.py _resend): ask once more, not go back.
        if (!first && this.state && frame.seq < this.state.seq && !this.again) {
          this.again = true;
          this.refetching = this.connection.sendFrame({ type: "snapshot" });
          return;
        }
        this.again = false;
        this.state = fromSnapshot(frame);
        this.held = [];
        this.refetching = false;
        this.handlers.onReset(this.state);
        if (first) {
          this.connection.markReady();
          this.handlers.onReady?.(this.state);
        }
        return;
      }
      case "catchup": {
        const state = this.state;
        if (!state) return;
        setClock(state, frame.now);
        for (const event of frame.events) this.receive(event, true);
        state.present = new Map(frame.present.map((/** @type {{id: string, name: string}} */ p) => [p.id, p.name]));
        for (const p of frame.present) if (p.role) state.roles.set(p.id, p.role);
        this.handlers.onChange({ kind: "presence", id: "", op: "joined" }, state, frame);
        this.connection.markReady();
        this.handlers.onReady?.(state);
        return;
      }
      case "resync":
        if (!frame.complete) this.connection.socket?.close(); // too far behind: reconnect for a snapshot
        if (this.state) setClock(this.state, frame.now);
        for (const event of [...frame.events, ...this.held.splice(0)]) this.receive(event, true);
        return;
      case "error":
        this.handlers.onError?.(frame, this.connection.queue.find((queued) => queued.op_id === frame.op_id));
        return;
      case "ack":
      case "pong":
        return;
      default:
        this.receive(frame);
    }
  }

  /** Apply an event in order; hold it and ask for the gap if some came before it unseen. @param {any} event */
  receive(event, replayed = false) {
    const state = this.state;
    if (!state) return;
    const where = position(state, event);
    if (where === "stale") return;
    if (where === "gap") {
      if (!this.held.length) this.connection.resync(state.seq);
      this.held.push(event);
      this.held.sort((a, b) => a.seq - b.seq);
      return;
    }
    const change = apply(state, event, undefined, replayed);
    this.handlers.onChange(change, state, event);
    if (change.kind === "removed" && change.me) this.removed();
    else if ((change.kind === "phase" || change.kind === "settings" || change.kind === "role") && change.refetch) this.refetch();
    else if (event.votes_returned) this.refetch(); // dots went back to their voters: mine may have changed
    if (where === "next" && this.held.length && position(state, this.held[0]) === "next") this.receive(this.held.shift(), true);
  }

  /** The facilitator link this page came in with was regenerated: it is no longer let in. */
  revoked() {
    if (this.ended) return;
    this.ended = true;
    (this.handlers.onRevoked ?? this.handlers.onRemoved)();
  }

  /** This person was removed from the room: no more connection, ever (on this page). */
  removed() {
    if (this.ended) return;
    this.ended = true;
    if (this.state) this.state.removed = true;
    this.connection.end();
    this.handlers.onRemoved();
  }
}
