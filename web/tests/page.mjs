// Drives the browser build (web/dist) in Debian's Chromium through playwright-core: a
// static server for the folder, the browser with or without WebGPU, and the app's widgets
// found by their accessible labels (the page's window.wgzero.widgets()) and clicked where
// they are drawn.

import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

export const DIST = process.env.WGZERO_WEB_DIST ?? new URL("../dist", import.meta.url).pathname;
export const OUT = process.env.WGZERO_WEB_OUT ?? new URL("../../target/web-tests", import.meta.url).pathname;
const CHROMIUM = process.env.WGZERO_CHROMIUM ?? "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".safetensors": "application/octet-stream",
};

/** Serves `root` on 127.0.0.1 (a secure context, so navigator.gpu exists). */
export async function serve(root = DIST) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    const file = join(root, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/** Chromium without a GPU: WebGPU on SwiftShader when `webgpu`, else no WebGPU at all. */
export async function launch({ webgpu }) {
  const args = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ];
  if (webgpu) {
    args.push(
      "--enable-unsafe-webgpu",
      "--enable-features=Vulkan",
      "--use-vulkan=swiftshader",
      "--use-angle=swiftshader",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

/**
 * Opens the app at `url` + `query` and waits until it runs. Console errors and page errors
 * are collected in `page.problems`.
 */
export async function openApp(context, url, query = "") {
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(url + query);
  await page.waitForFunction(() => window.wgzeroTimings?.firstFrame || document.querySelector("#message.error"), null, { timeout: 120_000 });
  const failure = await page.$eval("#message", (element) => element.className === "error" ? element.textContent : null);
  if (failure) throw new Error(failure);
  await widgetsMatching(page, (widget) => widget.role === "Tab" || widget.label === "Train");
  return page;
}

/** The app's state (WgzeroApp::state_json). */
export async function state(page) {
  return JSON.parse(await page.evaluate(() => window.wgzero.state()));
}

/** The widgets of the last frame. */
export async function widgets(page) {
  return JSON.parse(await page.evaluate(() => window.wgzero.widgets()));
}

const text = (widget) => widget.label ?? widget.value ?? "";

/** Waits until some widgets satisfy `predicate`; returns them. */
export async function widgetsMatching(page, predicate, { timeout = 60_000, what = "widgets" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = (await widgets(page)).filter(predicate);
    if (found.length > 0) return found;
    if (Date.now() > deadline) {
      const seen = (await widgets(page)).map((widget) => `${widget.role} ${JSON.stringify(text(widget))}`);
      throw new Error(`no ${what} after ${timeout} ms; the frame shows: ${seen.join(", ")}`);
    }
    await page.mouse.move(1 + Math.random() * 4, 1 + Math.random() * 4);
    await page.waitForTimeout(100);
  }
}

/** The first widget whose label (or value) is exactly `label`. */
export async function widget(page, label, options = {}) {
  const [found] = await widgetsMatching(page, (widget) => text(widget) === label, { what: JSON.stringify(label), ...options });
  return found;
}

/** Waits for a widget whose label or value contains `fragment`. */
export async function widgetContaining(page, fragment, options = {}) {
  const [found] = await widgetsMatching(page, (widget) => text(widget).includes(fragment), { what: `text containing ${JSON.stringify(fragment)}`, ...options });
  return found;
}

function centre(widget) {
  const [x0, y0, x1, y1] = widget.bounds;
  return [(x0 + x1) / 2, (y0 + y1) / 2];
}

/**
 * Scrolls the widget `find()` returns into view, as a user would with the wheel over its
 * panel, and returns it. The widget tree gives a widget's bounds but not what covers it: a
 * tall side panel draws its lower widgets below the window or under the status bar at the
 * bottom, so a widget in the lowest BOTTOM_BAR pixels is scrolled up too, until it moves
 * no more (then its panel ends above the status bar and it is in view).
 */
const BOTTOM_BAR = 80;
async function scrolledIntoView(page, find) {
  const { height } = page.viewportSize();
  let last = null;
  for (let attempt = 0; attempt < 8; attempt++) {
    const target = await find();
    const [x, y] = centre(target);
    if ((y > 4 && y < height - BOTTOM_BAR) || y === last) return target;
    last = y;
    await page.mouse.move(x, height / 2);
    await page.mouse.wheel(0, y - height / 2);
    await page.waitForTimeout(250);
  }
  return find();
}

/** Clicks the widget labelled `label` where it is drawn (scrolled into view). */
export async function click(page, label, options = {}) {
  const target = await scrolledIntoView(page, () => widget(page, label, options));
  const [x, y] = centre(target);
  await page.mouse.click(x, y);
  await page.waitForTimeout(150);
}

const EDITABLE = ["TextInput", "SpinButton", "Slider", "MultilineTextInput"];

/** Replaces the text of the field (or drag value) labelled `label` with `value`. */
export async function fill(page, label, value) {
  // The field is the first editable widget after its label, in the tree's order.
  await widget(page, label);
  const field = await scrolledIntoView(page, async () => {
    const all = await widgets(page);
    const at = all.findIndex((candidate) => text(candidate) === label);
    const found = all.slice(at).find((candidate) => EDITABLE.includes(candidate.role) && candidate.bounds);
    if (!found) throw new Error(`no field after the label ${JSON.stringify(label)}`);
    return found;
  });
  const [x, y] = centre(field);
  await page.mouse.click(x, y);
  await page.waitForTimeout(150);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(String(value));
  await page.keyboard.press("Enter");
  await page.waitForTimeout(150);
}

/** Saves a screenshot of the page as OUT/<name>.png. */
export async function screenshot(page, name) {
  await mkdir(OUT, { recursive: true });
  // A page training on a software adapter can take long to present a frame.
  await page.screenshot({ path: join(OUT, `${name}.png`), timeout: 180_000 });
}

/** Waits until `check(state)` is true, up to `timeout` ms; returns the state. */
export async function until(page, what, check, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const current = await state(page);
    if (check(current)) return current;
    if (current?.run?.state?.startsWith("Failed")) throw new Error(`the run failed: ${current.run.state}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeout} ms; state: ${JSON.stringify(current).slice(0, 2000)}`);
    await page.waitForTimeout(500);
  }
}
