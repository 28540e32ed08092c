#!/usr/bin/env bash
# The Search tab's frame rate in a real window (Xvfb, 1280x800) with a 100,000-node tree
# (`wgzero search --n 8 --k 4 --sims 100000 --tree`, uniform network, CPU): opened with
# --open-tree, its 1,000 most visited nodes expanded ("nodes: 1000", "Expand the most
# visited"), dragged for 4 s as it opened (root framed), then again after "Whole tree"
# (every expanded node on screen). Prints the frames/s the app logged while dragging.
#
#   docs/app/tree-fps.sh [WGZERO]      (default: target/release/wgzero)
set -euo pipefail
wgzero=$(realpath "${1:-target/release/wgzero}")
work=$(mktemp -d)
display=:96
cleanup() {
    kill "$app" "$xvfb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$wgzero" search --backend cpu --n 8 --k 4 --sims 100000 --tree "$work/tree.json" >/dev/null
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp &
xvfb=$!
sleep 1
unset WAYLAND_DISPLAY
export DISPLAY=$display
"$wgzero" app --tab search --open-tree "$work/tree.json" --frame-stats "$work/frames.jsonl" \
    >"$work/app.log" 2>&1 &
app=$!
sleep 30                                   # the 236 MB tree file loads
# PERF_OUT=FILE records a profile of the app (perf record -g) for 25 s of the run.
[[ -n "${PERF_OUT:-}" ]] && { perf record -g -p "$app" -o "$PERF_OUT" -- sleep 25 &>/dev/null & }
xdotool windowfocus --sync "$(xdotool search --name wgzero | head -1)"
xdotool mousemove 776 44 click 1 sleep 0.5 key --delay 150 BackSpace BackSpace BackSpace 1 0 0 0 Return
sleep 1
xdotool mousemove 624 44 click 1           # Expand the most visited (1,000)
sleep 5
drag() {
    local chain=""
    for _ in $(seq 400); do chain="$chain mousemove_relative -- 0 1 sleep 0.01"; done
    sleep 1.1
    wc -l <"$work/frames.jsonl" >>"$work/windows"
    # shellcheck disable=SC2086
    xdotool mousemove 600 300 mousedown 1 $chain mouseup 1
    wc -l <"$work/frames.jsonl" >>"$work/windows"
}
drag
xdotool mousemove 915 44 click 1           # Whole tree
sleep 5
drag
kill -0 "$app" || { echo "the app exited:"; cat "$work/app.log"; exit 1; }

python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
frames = [json.loads(l) for l in open(f"{work}/frames.jsonl")]
bounds = [int(n) for n in open(f"{work}/windows")]
# The seconds logged while each drag went on (a line is written when a second is full).
for view, (first, last) in zip(["framed", "whole tree"], [bounds[0:2], bounds[2:4]]):
    fps = [f["fps"] for f in frames[first + 1:last]]
    print(json.dumps({"bench": "tree-fps", "view": view, "nodes": 100001, "expanded": 1000,
        "fps_median": round(statistics.median(fps), 1), "fps_min": round(min(fps), 1),
        "seconds": len(fps)}))
PY
