#!/usr/bin/env bash
# The app's cost to training, measured: the README's main job (defaults, CPU backend)
# headless for SECONDS, then the same run started from the app (`wgzero app --train`)
# under Xvfb for SECONDS, with the app's frame rate logged (--frame-stats). Prints one
# JSON line: self-play positions/s of each (mean over the iterations that ended within
# SECONDS), their ratio, and the app's frames/s while training.
#
#   docs/app/measure.sh [SECONDS] [WGZERO]      (defaults: 90, target/release/wgzero)
set -euo pipefail
seconds=${1:-90}
wgzero=$(realpath "${2:-target/release/wgzero}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timeout --signal=INT $((seconds + 15)) "$wgzero" train --backend cpu --out "$work/headless" \
    >"$work/headless.log" 2>&1 || true
unset WAYLAND_DISPLAY
timeout $((seconds + 15)) xvfb-run -a -s "-screen 0 1280x800x24" \
    "$wgzero" app --backend cpu --train "$work/app" --frame-stats "$work/frames.jsonl" \
    >"$work/app.log" 2>&1 || true

python3 - "$work" "$seconds" <<'PY'
import json, statistics, sys
work, seconds = sys.argv[1], float(sys.argv[2])
def rate(run):
    lines = [json.loads(l) for l in open(f"{work}/{run}/metrics.jsonl")]
    within = [l for l in lines if l["elapsed_seconds"] <= seconds]
    return statistics.mean(l["positions_per_second"] for l in within), len(within)
headless, headless_iterations = rate("headless")
app, app_iterations = rate("app")
frames = [json.loads(l) for l in open(f"{work}/frames.jsonl")]
training = [f["fps"] for f in frames if f["iteration"] is not None]
print(json.dumps({
    "bench": "app-vs-headless",
    "seconds": seconds,
    "headless_positions_per_s": round(headless, 1),
    "headless_iterations": headless_iterations,
    "app_positions_per_s": round(app, 1),
    "app_iterations": app_iterations,
    "ratio": round(app / headless, 3),
    "app_fps_median": round(statistics.median(training), 1),
    "app_fps_min": round(min(training), 1),
    "fps_samples": len(training),
}))
PY
