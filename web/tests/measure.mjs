// Measures the browser build (web/dist) in Debian's Chromium and prints one JSON line per
// path: WebGPU (SwiftShader here) and the fallback without WebGPU (WebGL2 + the CPU
// backend in wasm). Each line has the time to the first frame and the self-play
// positions/s of the iterations of a run of the app's default K_6 settings with 32 games
// in flight. docs/web/measure.sh runs it beside the native binary on the same adapter.
//
//   node web/tests/measure.mjs [iterations]

import { serve, launch, openApp, state, click, fill, until } from "./page.mjs";

const iterations = Number(process.argv[2] ?? 3);
const server = await serve();
try {
  for (const webgpu of [true, false]) {
    const browser = await launch({ webgpu });
    try {
      // With WebGPU, ?backend=gpu: by default a software adapter leaves compute to the CPU.
      const page = await openApp(await browser.newContext(), server.url, webgpu ? "?backend=gpu" : "");
      const timings = await page.evaluate(() => window.wgzeroTimings);
      const first = await state(page);
      await fill(page, "Games in flight", 32);
      await click(page, "Start");
      const done = await until(page, `${iterations} iterations`, (current) => current.run?.history.length >= iterations, 3_600_000);
      const history = done.run.history;
      const rates = history.map((record) => record.positions_per_second);
      const later = rates.slice(1).sort((a, b) => a - b);
      console.log(JSON.stringify({
        path: webgpu ? "webgpu" : "no-webgpu",
        compute: first.compute,
        adapter: first.render_adapter,
        wasm_ready_ms: timings.wasmReady,
        first_frame_ms: timings.firstFrame,
        iterations: history.length,
        positions_per_second: rates,
        // The first iteration includes compiling the kernels: the median of the others.
        median_positions_per_second: later[Math.floor(later.length / 2)] ?? rates[0],
        seconds_per_iteration: history[history.length - 1].elapsed_seconds / history.length,
      }));
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}
