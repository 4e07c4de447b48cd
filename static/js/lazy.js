// @ts-check
/**
 * Modules a page fetches when it first needs them. A phone joining a room downloads what
 * its first screen draws (bench/phone.py measures it); the views of later phases, the
 * facilitator's panel, the downloads or the "leave" dialog come when the room gets there.
 *
 * The page asks on each draw (`when`): what the module made, if it is here; else null,
 * and the fetch starts; `ready` runs once it is here, and draws from the state as it is
 * then. Events are applied to the state at once and in order, whatever has arrived, so a
 * view that comes late draws what it would have drawn on time. A fetch that fails (a phone
 * losing its network) is tried again at the next need, under a fresh URL: a browser keeps
 * a failed module under its URL. A view may need a stylesheet: it comes with the module,
 * before anything is drawn (a stylesheet that fails to come does not hold the view back).
 * The strings of these views are not in the page either (app/i18n.py LATER_VIEWS): they
 * come once, with the first module fetched, and every view waits for them before it draws.
 */
import { addMessages } from "./i18n.js";

/** Where the later views' strings are (the page's config says); none in a test without a page. */
let stringsUrl = "";
/** @type {Promise<void> | null} */
let strings = null;

/** @param {string} url */
export function laterStringsFrom(url) {
  stringsUrl = url;
}

/** The later views' strings, fetched once; a failure is fetched again at the next need. @returns {Promise<void>} */
function laterStrings() {
  if (!stringsUrl) return Promise.resolve();
  strings ??= fetch(stringsUrl, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`${stringsUrl}: ${response.status}`);
      return response.json();
    })
    .then(addMessages, (error) => {
      strings = null;
      throw error;
    });
  return strings;
}

/** Stylesheets asked for, by URL: each is linked once, whichever view asks first. @type {Map<string, Promise<void>>} */
const sheets = new Map();

/** @param {string} href @returns {Promise<void>} */
function stylesheet(href) {
  let loaded = sheets.get(href);
  if (!loaded) {
    const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
    loaded = new Promise((resolve) => {
      link.addEventListener("load", () => resolve());
      link.addEventListener("error", () => {
        sheets.delete(href); // asked again by the next view that needs it
        link.remove();
        resolve();
      });
    });
    sheets.set(href, loaded);
    document.head.append(link);
  }
  return loaded;
}

/**
 * @template M the module
 * @template T what the page makes of it (a view, or the module itself)
 */
export class Lazy {
  /**
   * @param {string} path from static/js, e.g. "views/roadmap.js"
   * @param {(module: M) => T} make
   * @param {(made: T) => void} [ready] runs once, when it is here
   * @param {string} [style] a stylesheet its view needs, from static/css, e.g. "later.css"
   */
  constructor(path, make, ready = () => {}, style = "") {
    this.url = new URL(path, import.meta.url).href;
    this.style = style ? new URL(`../css/${style}`, import.meta.url).href : "";
    this.make = make;
    this.ready = ready;
    /** @type {T | null} */ this.made = null;
    this.here = false;
    this.loading = false;
    this.failures = 0;
  }

  /** What was made, if here; null else (nothing is fetched). @returns {T | null} */
  get() {
    return this.made;
  }

  /** What was made, if here; else null, and when `needed` it is on its way. @param {boolean} [needed] @returns {T | null} */
  when(needed = true) {
    if (this.here || this.loading || !needed) return this.made;
    this.loading = true;
    const url = this.failures ? `${this.url}?retry=${this.failures}` : this.url;
    Promise.all([import(url), laterStrings(), this.style ? stylesheet(this.style) : null]).then(
      ([module]) => {
        this.made = this.make(module);
        this.here = true;
        this.loading = false;
        this.ready(this.made);
      },
      (error) => {
        this.failures += 1;
        this.loading = false;
        console.warn(url, error);
      },
    );
    return null;
  }
}
