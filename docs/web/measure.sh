#!/usr/bin/env bash
# The browser build against the native binary on the same adapter, on this machine:
# Chromium's WebGPU runs on SwiftShader, and so does the native binary when the Vulkan
# loader is pointed at Chromium's SwiftShader driver. Prints JSON lines: the .wasm's size,
# then per path (native on SwiftShader, native on the CPU backend, the tab on WebGPU, the
# tab without WebGPU) the self-play positions/s of a run of the default K_6 settings with
# 32 games in flight, and the tab's time to its first frame.
#   docs/web/measure.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/../.."
iterations=${1:-3}
web/build.sh | tail -n 1
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# native NAME FLAGS...: a run of the binary, summarised from its metrics.jsonl.
native() {
    local name=$1
    shift
    target/release/wgzero train --games 32 --iterations "$iterations" \
        --out "$scratch/$name" "$@" >/dev/null 2>&1
    python3 - "$name" "$scratch/$name/metrics.jsonl" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[2])]
rates = [record["positions_per_second"] for record in records]
later = sorted(rates[1:]) or rates
print(json.dumps({"path": sys.argv[1], "backend": records[0]["backend"],
                  "iterations": len(records), "positions_per_second": rates,
                  "median_positions_per_second": later[len(later) // 2]}))
PY
}
VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
    native native-swiftshader --backend gpu --adapter swiftshader
native native-cpu --backend cpu
node web/tests/measure.mjs "$iterations"
