// The room's loader (static/js/lazy.js): a module comes when first needed, once, and a failed fetch is tried again.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { Lazy } from "../../static/js/lazy.js";

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Wait until `done()` holds (a loaded machine imports slowly), at most two seconds. */
async function until(done) {
  for (let waited = 0; !done() && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

test("nothing is fetched until needed; then it is made once and `ready` runs once", async () => {
  const made = [];
  const lazy = new Lazy("views/exports.js", (module) => {
    made.push(module);
    return { mayDownload: module.mayDownload };
  }, (view) => made.push(view));
  assert.equal(lazy.when(false), null);
  await settle();
  assert.equal(made.length, 0);
  assert.equal(lazy.when(), null); // on its way
  assert.equal(lazy.when(), null); // asked again meanwhile: one fetch
  await until(() => made.length >= 2);
  await settle();
  assert.equal(made.length, 2);
  assert.equal(typeof lazy.get()?.mayDownload, "function");
  assert.equal(lazy.when(), lazy.get()); // here now
  assert.equal(made.length, 2);
});

test("a module that failed to come is asked again at the next need, under a fresh URL", async () => {
  const folder = mkdtempSync(join(tmpdir(), "essaim-lazy-"));
  const file = join(folder, "later.js"); // an absolute URL: Lazy takes it as it is
  const warn = console.warn;
  console.warn = () => {};
  try {
    const ready = [];
    const lazy = new Lazy(pathToFileURL(file).href, (module) => module.value, (value) => ready.push(value));
    lazy.when();
    await until(() => lazy.failures > 0);
    assert.equal(lazy.failures, 1);
    assert.equal(lazy.get(), null);
    writeFileSync(file, "export const value = 42;\n"); // the network is back
    lazy.when();
    await until(() => ready.length > 0);
    assert.deepEqual(ready, [42]);
    assert.equal(lazy.get(), 42);
  } finally {
    console.warn = warn;
    rmSync(folder, { recursive: true, force: true });
  }
});
