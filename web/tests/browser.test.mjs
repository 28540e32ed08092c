// The browser build in Debian's Chromium (run by tests/browser.rs, or by hand:
// `node --test web/tests/` after web/build.sh). Screenshots go to target/web-tests/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { serve, launch, openApp, state, click, fill, widget, widgetContaining, screenshot, until, OUT } from "./page.mjs";

let server;
before(async () => {
  server = await serve();
  await rm(join(OUT, "downloaded"), { recursive: true, force: true });
});
after(() => server?.close());

/** Each tab and a widget that only it draws. */
const TABS = [
  ["Train", "Start"],
  ["Search", "Run search"],
  ["Play", "New game"],
  ["Ramsey", "Reload"],
  ["Games", "Run directory"],
];

test("the page loads on WebGPU without console errors and every tab renders", async () => {
  const browser = await launch({ webgpu: true });
  try {
    const context = await browser.newContext();
    // By default a software WebGPU adapter (SwiftShader here) leaves compute to the CPU
    // backend, the faster of the two, and says so.
    const automatic = await openApp(context, server.url);
    const chosen = await state(automatic);
    assert.equal(chosen.compute, "cpu", chosen.compute_reason);
    assert.match(chosen.compute_reason, /software fallback.*\?backend=gpu forces WebGPU/);
    await automatic.close();
    const page = await openApp(context, server.url, "?backend=gpu");
    const first = await state(page);
    assert.match(first.compute, /^gpu/, `compute: ${first.compute} (${first.compute_reason})`);
    assert.match(first.compute_reason, /WebGPU in this browser, as \?backend=gpu asks/);
    // SwiftShader's WebGPU has neither f16 nor subgroups: the line says the kernels fall back.
    assert.match(first.compute_reason, /baseline kernels \(the device has no f16 and no subgroups\)/);
    for (const [tab, content] of TABS) {
      await click(page, tab);
      await widget(page, content);
      assert.equal((await state(page)).tab, tab);
      await screenshot(page, `tab-${tab.toLowerCase()}`);
    }
    // The status bar names the adapter and where compute runs, and why.
    await widgetContaining(page, "compute: gpu");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

/** Sets up a small run in the Train tab and starts it; returns when it runs. */
async function startSmallRun(page) {
  await click(page, "Train");
  await fill(page, "Games in flight", 32);
  await click(page, "Start");
  await until(page, "a running run", (current) => current.run?.state === "Running", 120_000);
}

/** Asserts a run's history shows learning: the loss falls and the accuracy plot has points. */
function assertLearns(history, iterations) {
  assert.ok(history.length >= iterations, `${history.length} iterations`);
  // The first iteration only plays (the replay buffer fills): its loss is null.
  const losses = history.map((record) => record.loss).filter(Number.isFinite);
  assert.ok(losses.length >= iterations - 1, `losses ${JSON.stringify(history.map((record) => record.loss))}`);
  const [first, last] = [losses[0], losses[losses.length - 1]];
  assert.ok(last < first, `the loss did not fall: ${losses.join(" → ")}`);
  const accuracy = history.filter((record) => record.policy_accuracy !== null);
  assert.ok(accuracy.length >= iterations, `${accuracy.length} accuracy points`);
}

test("the tab trains K_6 on WebGPU: three iterations, the loss falls", async () => {
  const browser = await launch({ webgpu: true });
  try {
    const page = await openApp(await browser.newContext(), server.url, "?backend=gpu");
    await startSmallRun(page);
    const done = await until(page, "three iterations", (current) => current.run.history.length >= 3, 900_000);
    assertLearns(done.run.history, 3);
    assert.match(done.run.history[0].backend, /gpu/i);
    // Paused, the page presents frames at once again (for the screenshot).
    await click(page, "Pause");
    await until(page, "the pause", (current) => current.run.state === "Paused", 300_000);
    await screenshot(page, "train-webgpu");
    // The run's latest checkpoint leaves as its two files; tests/browser.rs loads them
    // with the native CLI.
    const downloads = [];
    page.on("download", (download) => downloads.push(download));
    await click(page, "Download checkpoint");
    const deadline = Date.now() + 30_000;
    while (downloads.length < 2 && Date.now() < deadline) await page.waitForTimeout(200);
    const names = downloads.map((download) => download.suggestedFilename()).sort();
    assert.equal(names.length, 2, `downloads: ${names}`);
    assert.match(names[0], /^ckpt-\d{8}\.json$/);
    assert.match(names[1], /^ckpt-\d{8}\.safetensors$/);
    await mkdir(join(OUT, "downloaded"), { recursive: true });
    for (const download of downloads) await download.saveAs(join(OUT, "downloaded", download.suggestedFilename()));
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("without WebGPU the page draws with WebGL2, computes on the CPU and still trains", async () => {
  const browser = await launch({ webgpu: false });
  try {
    const page = await openApp(await browser.newContext(), server.url);
    const first = await state(page);
    assert.equal(first.compute, "cpu");
    assert.match(first.compute_reason, /no compute shaders.*CPU backend \(compiled to wasm, single-threaded\)/);
    await startSmallRun(page);
    const done = await until(page, "three iterations", (current) => current.run.history.length >= 3, 900_000);
    assertLearns(done.run.history, 3);
    await click(page, "Pause");
    await until(page, "the pause", (current) => current.run.state === "Paused", 300_000);
    await screenshot(page, "train-cpu-fallback");
  } finally {
    await browser.close();
  }
});

const REFERENCE = process.env.WGZERO_WEB_REFERENCE;

/** The tab's search, once it has searched `moves` to at least `simulations`. */
async function searchInTab(page, moves, simulations) {
  await fill(page, "Moves (edge indices)", moves.join(", "));
  await click(page, "Set position");
  await until(page, "the position", (current) => JSON.stringify(current.search.position) === JSON.stringify(moves), 30_000);
  await fill(page, "Simulations", simulations);
  await click(page, "Run search");
  const done = await until(
    page,
    `the search of ${moves}`,
    (current) => current.search.error || (!current.search.searching && JSON.stringify(current.search.tree?.position) === JSON.stringify(moves) && current.search.tree.simulations_done >= simulations),
    120_000,
  );
  assert.equal(done.search.error, null, done.search.error);
  return done.search.tree;
}

test("a checkpoint trained by the native CLI gives the tab the CLI's raw-policy moves and visit counts", { skip: !REFERENCE && "WGZERO_WEB_REFERENCE is not set (tests/browser.rs sets it)" }, async () => {
  const reference = JSON.parse(await readFile(REFERENCE, "utf8"));
  const browser = await launch({ webgpu: true });
  try {
    const page = await openApp(await browser.newContext(), server.url, "?tab=search&backend=gpu");
    await click(page, "checkpoint");
    const [chooser] = await Promise.all([page.waitForEvent("filechooser"), click(page, "Upload checkpoint files…")]);
    await chooser.setFiles(reference.files);
    const loaded = await until(page, "the uploaded network", (current) => current.search.network?.includes("uploaded-") || current.search.error, 120_000);
    assert.equal(loaded.search.error, null, loaded.search.error);
    for (const { moves, chosen } of reference.raw_moves) {
      const tree = await searchInTab(page, moves, 1);
      const best = tree.root.children.reduce((a, b) => (b.prior > a.prior ? b : a));
      assert.equal(best.action, chosen, `raw-policy move at ${JSON.stringify(moves)}`);
    }
    const { moves, simulations, children } = reference.search;
    const tree = await searchInTab(page, moves, simulations);
    const visits = (list) => list.map((child) => [child.action, child.visits]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(visits(tree.root.children), visits(children));
    await screenshot(page, "search-uploaded-checkpoint");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("a run in the tab survives a reload: the page offers it, and its iterations continue", async () => {
  const browser = await launch({ webgpu: true });
  try {
    const context = await browser.newContext();
    // The page's default compute here (the CPU backend: SwiftShader is a software adapter).
    const page = await openApp(context, server.url);
    await startSmallRun(page);
    const before = await until(page, "one iteration", (current) => current.run.history.length >= 1, 900_000);
    const saved = before.run.history.length;
    // The iteration's checkpoint was written before it entered the history; a reload keeps
    // it once IndexedDB has stored it (a reload aborts transactions still under way).
    await until(page, "the checkpoint stored", (current) => current.pending_stores === 0, 120_000);
    await page.reload();
    await page.waitForFunction(() => window.wgzeroTimings?.firstFrame, null, { timeout: 120_000 });
    await widgetContaining(page, "This browser keeps the run");
    await click(page, "Resume last run");
    const resumed = await until(page, "the next iteration", (current) => current.run?.history.length > saved, 900_000);
    const iterations = resumed.run.history.map((record) => record.iteration);
    assert.deepEqual(iterations, iterations.map((_, index) => index + 1), `iterations ${iterations}`);
    assert.ok(resumed.run.iteration > saved, `iteration ${resumed.run.iteration} after ${saved}`);
    await click(page, "Pause");
    await until(page, "the pause", (current) => current.run.state === "Paused", 300_000);
    await screenshot(page, "train-resumed-after-reload");
  } finally {
    await browser.close();
  }
});

/** The run's state, once it has failed (`until` stops at failures, so it is polled here). */
async function failure(page, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const current = await state(page);
    if (current.run?.state?.startsWith("Failed")) return current.run.state;
    if (Date.now() > deadline) throw new Error(`the run did not fail within ${timeout} ms: ${current.run?.state}`);
    await page.waitForTimeout(250);
  }
}

test("running out of GPU memory or losing the device ends the run with a message and keeps its checkpoint", async () => {
  const browser = await launch({ webgpu: true });
  try {
    const context = await browser.newContext();
    // The page's devices, for the out-of-memory error below.
    await context.addInitScript(() => {
      const request = GPUAdapter.prototype.requestDevice;
      window.wgzeroDevices = [];
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        window.wgzeroDevices.push(device);
        return device;
      };
    });
    const page = await openApp(context, server.url, "?backend=gpu");
    await startSmallRun(page);
    await until(page, "one iteration", (current) => current.run.history.length >= 1, 900_000);
    // SwiftShader takes what memory the machine has, so a real exhaustion is out of reach:
    // the device reports the out-of-memory error as a browser would, through its
    // uncapturederror event, and everything from there on is the app's own.
    await page.evaluate(() => {
      const [device] = window.wgzeroDevices;
      const error = new GPUOutOfMemoryError("test: allocation failed");
      device.dispatchEvent(new GPUUncapturedErrorEvent("uncapturederror", { error }));
    });
    const outOfMemory = await failure(page, 120_000);
    assert.match(outOfMemory, /the GPU ran out of memory; use fewer games in flight/);
    const kept = await widgetContaining(page, "is kept; Resume last run continues from there");
    assert.match(kept.label ?? kept.value, /checkpoint of iteration [1-9]/);
    await screenshot(page, "train-out-of-memory");
    // The kept checkpoint resumes in the same page; then the GPU process dies mid-run.
    await click(page, "Resume last run");
    await until(page, "the resumed run", (current) => current.run?.state === "Running", 120_000);
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send("Browser.crashGpuProcess");
    const lost = await failure(page, 120_000);
    assert.match(lost, /the GPU device was lost .*reload the page \(the checkpoints are kept\)/);
    // The canvas cannot draw any more: the page says so itself.
    await page.waitForSelector("#message.error", { state: "visible", timeout: 30_000 });
    const message = await page.textContent("#message");
    assert.match(message, /The GPU device this page draws with was lost/);
    assert.match(message, /keeps its checkpoint of iteration [1-9] in this browser\. Reload the page/);
    await screenshot(page, "device-lost");
    // A reload finds the run and resumes it from that checkpoint.
    await page.reload();
    await page.waitForFunction(() => window.wgzeroTimings?.firstFrame, null, { timeout: 120_000 });
    const offer = await widgetContaining(page, "This browser keeps the run");
    assert.match(offer.label ?? offer.value, /checkpoint of iteration [1-9]/);
    await click(page, "Resume last run");
    const resumed = await until(page, "the resumed run", (current) => current.run?.state === "Running", 120_000);
    assert.ok(resumed.run.history.length >= 1, `history ${resumed.run.history.length}`);
    await click(page, "Pause");
    await until(page, "the pause", (current) => current.run.state === "Paused", 300_000);
  } finally {
    await browser.close();
  }
});
