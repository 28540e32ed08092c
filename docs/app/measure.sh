#!/usr/bin/env bash
# The app's cost to training, measured: the README's main job (defaults, CPU backend)
# headless for SECONDS, then the same run started from the app (`wgzero app --train`, the
# Train tab showing) under Xvfb for SECONDS with its frame rate logged (--frame-stats);
# ROUNDS times, alternating, since the machine's speed drifts between runs. Prints one
# JSON line a round and one for all: self-play positions/s of each (mean over the
# iterations that ended within SECONDS), their ratio, and the app's frames/s while
# training.
#
#   docs/app/measure.sh [SECONDS] [ROUNDS] [WGZERO]   (defaults: 90, 2, target/release/wgzero)
set -euo pipefail
seconds=${1:-90}
rounds=${2:-2}
wgzero=$(realpath "${3:-target/release/wgzero}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset WAYLAND_DISPLAY

for round in $(seq "$rounds"); do
    timeout --signal=INT $((seconds + 15)) "$wgzero" train --backend cpu \
        --out "$work/$round/headless" >"$work/headless.log" 2>&1 || true
    timeout $((seconds + 15)) xvfb-run -a -s "-screen 0 1280x800x24" \
        "$wgzero" app --backend cpu --train "$work/$round/app" \
        --frame-stats "$work/$round/frames.jsonl" >"$work/app.log" 2>&1 || true
done

python3 - "$work" "$seconds" "$rounds" <<'PY'
import json, statistics, sys
work, seconds, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
def rate(run):
    lines = [json.loads(l) for l in open(f"{work}/{run}/metrics.jsonl")]
    within = [l for l in lines if l["elapsed_seconds"] <= seconds]
    return statistics.mean(l["positions_per_second"] for l in within)
ratios, fps = [], []
for r in range(1, rounds + 1):
    headless, app = rate(f"{r}/headless"), rate(f"{r}/app")
    frames = [json.loads(l) for l in open(f"{work}/{r}/frames.jsonl")]
    training = [f["fps"] for f in frames if f["iteration"] is not None]
    ratios.append(app / headless)
    fps += training
    print(json.dumps({"bench": "app-vs-headless", "round": r, "seconds": seconds,
        "headless_positions_per_s": round(headless, 1), "app_positions_per_s": round(app, 1),
        "ratio": round(app / headless, 3), "app_fps_median": round(statistics.median(training), 1),
        "app_fps_min": round(min(training), 1)}))
print(json.dumps({"bench": "app-vs-headless", "rounds": rounds,
    "ratio_mean": round(statistics.mean(ratios), 3), "ratio_min": round(min(ratios), 3),
    "app_fps_median": round(statistics.median(fps), 1), "app_fps_min": round(min(fps), 1),
    "fps_samples": len(fps)}))
PY
