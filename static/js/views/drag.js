// @ts-check
/**
 * Dragging, as a bonus to the buttons (never the only way): press the handle of
 * an idea with a mouse, a finger or a pen (Pointer Events), drop it onto another
 * idea (a new cluster of both, or into that idea's cluster), onto a cluster (it
 * joins), or onto a question's loose ideas (it leaves its cluster). The drop
 * target is outlined; near the top or bottom of the window the page scrolls.
 * Nothing moves for others until the drop: then it is one ordinary command.
 */

/** @typedef {(command: {type: string, [key: string]: unknown}) => void} Send */
/** @typedef {{kind: "idea", id: string, cluster: string | null} | {kind: "cluster", id: string} | {kind: "loose", id: string}} Target */

const THRESHOLD = 6; // pixels before a press becomes a drag (a tap stays a tap)
const EDGE = 60; // pixels from the window's edge where it scrolls
const SCROLL_STEP = 14;

export class Dragging {
  /**
   * @param {HTMLElement} root the board
   * @param {(id: string) => string | null} clusterOf the cluster an idea is in
   * @param {Send} send
   */
  constructor(root, clusterOf, send) {
    this.root = root;
    this.clusterOf = clusterOf;
    this.send = send;
    /** @type {{id: string, pointer: number, x: number, y: number, card: HTMLElement, ghost: HTMLElement | null, over: HTMLElement | null, lastY: number} | null} */
    this.drag = null;
    /** @type {number | null} */ this.scroller = null;
    root.addEventListener("pointerdown", (event) => this.down(event));
    root.addEventListener("pointermove", (event) => this.move(event));
    root.addEventListener("pointerup", (event) => this.up(event));
    root.addEventListener("pointercancel", () => this.cancel());
  }

  /** @param {PointerEvent} event */
  down(event) {
    const handle = /** @type {HTMLElement} */ (event.target).closest?.("[data-drag]");
    if (!(handle instanceof HTMLElement) || event.button > 0) return;
    const card = handle.closest(".idea");
    if (!(card instanceof HTMLElement)) return;
    event.preventDefault(); // no text selection, no scroll: this press is for dragging
    handle.setPointerCapture(event.pointerId);
    this.drag = { id: handle.dataset.drag ?? "", pointer: event.pointerId, x: event.clientX, y: event.clientY, card, ghost: null, over: null, lastY: event.clientY };
  }

  /** @param {PointerEvent} event */
  move(event) {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointer) return;
    drag.lastY = event.clientY;
    if (!drag.ghost) {
      if (Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < THRESHOLD) return;
      drag.ghost = /** @type {HTMLElement} */ (drag.card.cloneNode(true));
      drag.ghost.classList.add("drag-ghost");
      drag.ghost.removeAttribute("id");
      drag.ghost.setAttribute("aria-hidden", "true");
      drag.ghost.style.width = `${drag.card.offsetWidth}px`;
      document.body.append(drag.ghost);
      drag.card.classList.add("dragging");
      this.scroller = window.setInterval(() => this.autoscroll(), 30);
    }
    drag.ghost.style.transform = `translate(${event.clientX + 8}px, ${event.clientY + 8}px)`;
    const over = this.targetNode(event.clientX, event.clientY);
    if (over !== drag.over) {
      drag.over?.classList.remove("drop-target");
      over?.classList.add("drop-target");
      drag.over = over;
    }
  }

  /** @param {PointerEvent} event */
  up(event) {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointer) return;
    const target = drag.ghost && drag.over ? this.describe(drag.over) : null;
    this.cancel();
    if (target) this.drop(drag.id, target);
  }

  cancel() {
    const drag = this.drag;
    if (!drag) return;
    drag.ghost?.remove();
    drag.over?.classList.remove("drop-target");
    drag.card.classList.remove("dragging");
    if (this.scroller !== null) clearInterval(this.scroller);
    this.scroller = null;
    this.drag = null;
  }

  autoscroll() {
    const y = this.drag?.lastY;
    if (y === undefined) return;
    if (y < EDGE) window.scrollBy(0, -SCROLL_STEP);
    else if (y > window.innerHeight - EDGE) window.scrollBy(0, SCROLL_STEP);
  }

  /** The element under the pointer that can take the drop. @param {number} x @param {number} y */
  targetNode(x, y) {
    const under = document.elementFromPoint(x, y);
    if (!under || !this.root.contains(under)) return null;
    const idea = under.closest(".idea");
    if (idea instanceof HTMLElement && !idea.classList.contains("dragging") && !idea.classList.contains("pending")) return idea;
    const cluster = under.closest(".cluster");
    if (cluster instanceof HTMLElement) return cluster;
    const prompt = under.closest(".prompt");
    return prompt instanceof HTMLElement ? prompt : null;
  }

  /** @param {HTMLElement} node @returns {Target | null} */
  describe(node) {
    if (node.classList.contains("idea")) {
      const id = node.dataset.id ?? "";
      return { kind: "idea", id, cluster: this.clusterOf(id) };
    }
    if (node.classList.contains("cluster")) return { kind: "cluster", id: node.dataset.cluster ?? "" };
    const prompt = node.id.replace(/^prompt-/, "");
    return prompt ? { kind: "loose", id: prompt } : null;
  }

  /** One ordinary command, as the buttons would send. @param {string} id @param {Target} target */
  drop(id, target) {
    if (target.kind === "idea") {
      if (target.id === id) return;
      if (target.cluster) this.send({ type: "ideas.move", ideas: [id], cluster: target.cluster, before: target.id });
      else this.send({ type: "cluster.create", ideas: [target.id, id] });
    } else if (target.kind === "cluster") {
      this.send({ type: "ideas.move", ideas: [id], cluster: target.id });
    } else {
      this.send({ type: "ideas.move", ideas: [id], cluster: null, prompt: target.id });
    }
  }
}
