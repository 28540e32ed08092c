#!/bin/bash
# The device runs behind the H100 figures in docs/PERFORMANCE.md and
# docs/performance-history.md, one subcommand per kind of measurement. Run it from the
# repository root on the device machine, with the stripped release binaries in
# .device-bin/main/ and the Vulkan loader packages in .gl/ (both carried;
# ../shared/RECIPES.md), and OUT set to the folder that comes back. docs/device/README.md
# has the command line behind each figure.
#
#   run.sh tensor-core-tests SECONDS TEST...
#       each stripped test binary .device-bin/main/TEST under a time limit, failing rather
#       than skipping without a GPU or tensor cores; output in $OUT/test_TEST.txt
#   run.sh step-profile [BINARY]
#       the training step's kernels (BINARY bench kernels --only train): f16 profiled
#       inside the step with the kernel list, f16 with every kernel repeated 20 times back
#       to back, f32 profiled; $OUT/profile*.jsonl
#   run.sh step-ab [--rounds N] [--f32-rounds N] [--jax-seconds S]
#                  [--jax-after round|run|end] BINARY...
#       the training step's wall clock, the binaries alternating N rounds (default 3) in
#       f16, then N f32 rounds (default 1), with the JAX twin after each round (or each
#       run, or once at the end; --jax-seconds 0: none); $OUT/ab.jsonl and its table.
#       Run-to-run spread on the H100 is about ±50 µs and JAX's moves ±10 % between
#       calls, so only builds measured in one call compare.
#   run.sh tiles-in-step [TILES...]
#       the f16 step profiled with every tensor-core product forced to one tile shape
#       (WGZERO_COOP_TILES; "tuned" = the tuner's choice), per-pass GPU time in µs
#   run.sh kernels ARGS...
#       wgzero bench kernels ARGS, one line per kernel; $OUT/kernels.jsonl
#   run.sh jax [SECONDS]
#       the JAX twin of the step (examples/reference/jax_train_step.py); $OUT/jax.jsonl
#   run.sh jax-trace
#       JAX's step kernel by kernel from jax.profiler's trace (jax_trace.py)
#   run.sh train-side-by-side NAME MINUTES [--curve N] [--at I,I...] [--eval] LANE...
#       wgzero train runs side by side on the GPU, one per LANE: "RUN[@MINUTES] FLAGS..."
#       runs `wgzero train --minutes MINUTES --out /tmp/NAME/RUN FLAGS...`; runs separated
#       by ";" in one LANE run one after another. Then $OUT/NAME.tgz (metrics, logs,
#       latest checkpoints, Ramsey records, each re-checked by `wgzero clique verify`)
#       and one summary line per run (summarize.py; --curve and --at go to it). With
#       --eval, `wgzero eval --checkpoint RUN --json` of every run, what the run hands
#       out, into $OUT/NAME_eval.jsonl
#   run.sh bench-ab [--rounds N] BINARY...
#       self-play throughput (BINARY bench selfplay --seconds 8, its three configurations)
#       of the binaries alternating N rounds (default 2), then the training step
#       (bench kernels --only train --precision f16) alternating 3 rounds;
#       $OUT/selfplay_BINARY.jsonl, $OUT/kernels_BINARY.jsonl
#   run.sh smoke
#       wgzero info and two 3-iteration runs, to catch failures cheaply
#   run.sh bin BINARY ARGS...
#       any carried binary (e.g. wgzero bench kernels --only mlp, coopmat_probe 4096 2048)
set -u
shopt -s nullglob

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
D=.device-bin/main
B=$D/wgzero

usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

# The Vulkan loader packages (../shared/RECIPES.md), unpacked once per machine.
loader() {
    [ -e /tmp/.wgzero-loader ] && return
    for package in .gl/*.deb; do dpkg -x "$package" /; done
    ldconfig
    touch /tmp/.wgzero-loader
}

tensor_core_tests() {
    local seconds=$1 test
    shift
    for test in "$@"; do
        WGZERO_REQUIRE_GPU=1 WGZERO_REQUIRE_TENSOR_CORES=1 \
            timeout "$seconds" "$D/$test" > "$OUT/test_$test.txt" 2>&1
        echo "$test rc=$?"
        grep -E "test result|panicked" "$OUT/test_$test.txt" | head -3
    done
}

step_profile() {
    local binary=$D/${1:-wgzero}
    timeout 60 "$binary" bench kernels --only train --precision f16 --profile --list-kernels \
        > "$OUT/profile.jsonl" 2>&1
    timeout 90 "$binary" bench kernels --only train --precision f16 --profile \
        --profile-repeats 20 > "$OUT/profile_repeated.jsonl" 2>&1
    timeout 60 "$binary" bench kernels --only train --precision f32 --profile \
        > "$OUT/profile_f32.jsonl" 2>&1
    grep -H '"bench":"train_step"' "$OUT"/profile*.jsonl | cut -c1-300
}

# One `bench kernels --only train` line of BINARY in PRECISION, labelled, into ab.jsonl.
step_line() {
    local binary=$1 precision=$2 label=$3 line
    line=$(timeout 60 "$D/$binary" bench kernels --only train --precision "$precision" 2>&1 |
        grep -m1 '"train_step"')
    echo "$label ${line:-no train_step line}" >> "$OUT/ab.jsonl"
}

# The JAX twin's two lines (default and highest precision), labelled, into ab.jsonl.
jax_line() {
    timeout 120 python3 examples/reference/jax_train_step.py --seconds "$1" 2>&1 |
        grep train_step_jax | sed 's/^/jax /' >> "$OUT/ab.jsonl"
}

step_ab() {
    local rounds=3 f32_rounds=1 jax_seconds=3 jax_after=round
    while [ $# -gt 0 ]; do
        case $1 in
            --rounds) rounds=$2 ;;
            --f32-rounds) f32_rounds=$2 ;;
            --jax-seconds) jax_seconds=$2 ;;
            --jax-after) jax_after=$2 ;;
            *) break ;;
        esac
        shift 2
    done
    [ $# -gt 0 ] || usage
    [ "$jax_seconds" = 0 ] && jax_after=none
    # A forced tile shape shows in the label.
    local tag=${WGZERO_COOP_TILES:+@$WGZERO_COOP_TILES} round binary
    for ((round = 0; round < rounds; round++)); do
        for binary in "$@"; do
            step_line "$binary" f16 "$binary$tag"
            [ "$jax_after" = run ] && jax_line "$jax_seconds"
        done
        [ "$jax_after" = round ] && jax_line "$jax_seconds"
    done
    for ((round = 0; round < f32_rounds; round++)); do
        for binary in "$@"; do step_line "$binary" f32 "$binary$tag-f32"; done
    done
    [ "$jax_after" = end ] && jax_line "$jax_seconds"
    python3 "$HERE/ab_summary.py" "$OUT/ab.jsonl"
}

tiles_in_step() {
    local tiles
    [ $# -gt 0 ] || set -- tuned coop128x64x64_32x32_s1 coop256x64x32_64x32_s1 \
        coop64x64x64_32x16_s1 coop128x64x32_32x32 coop128x64x64_64x32_s1 \
        coop64x64x128_32x32_s1 coop64x64x64_32x32_s1
    for tiles in "$@"; do
        if [ "$tiles" = tuned ]; then
            timeout 60 "$B" bench kernels --only train --precision f16 --profile \
                > "$OUT/tiles_$tiles.jsonl" 2>&1
        else
            WGZERO_COOP_TILES=$tiles timeout 60 "$B" bench kernels --only train \
                --precision f16 --profile > "$OUT/tiles_$tiles.jsonl" 2>&1
        fi
        python3 - "$OUT/tiles_$tiles.jsonl" "$tiles" <<'PY'
import collections
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith('{')]
step = next(r for r in rows if r.get('bench') == 'train_step')
groups = collections.defaultdict(float)
for r in rows:
    if r.get('bench') != 'kernel_time':
        continue
    k = r['kernel']
    group = ('forward' if 'conv3x3 →' in k else 'grad input' if 'conv3x3_grad_input' in k
             else 'grad weight' if 'conv3x3_grad_weight' in k else 'conv1x1' if 'conv1x1' in k
             else 'other')
    groups[group] += r['ms'] * 1000
print(sys.argv[2], 'median_ms', round(step['median_ms'], 3),
      {g: round(us, 1) for g, us in groups.items()})
PY
    done
}

kernels() {
    local lines
    lines=$(timeout 300 "$B" bench kernels "$@" 2>&1)
    echo "$lines" >> "$OUT/kernels.jsonl"
    grep '^{' <<< "$lines" | python3 -c '
import json
import sys

for line in sys.stdin:
    r = json.loads(line)
    if "median_ms" not in r:
        continue
    print(r.get("name"), r.get("shape"), r.get("tiles"), round(r["median_ms"], 4),
          round(r.get("tflops", 0), 1), r.get("spot_check_error"))'
}

jax() {
    timeout 120 python3 examples/reference/jax_train_step.py --seconds "${1:-5}" 2>&1 |
        tee -a "$OUT/jax.jsonl" | grep train_step_jax
}

jax_trace() {
    timeout 200 python3 "$HERE/jax_trace.py" > "$OUT/jax_trace.txt" 2> "$OUT/jax_trace.err"
    echo "trace rc=$?"
    head -70 "$OUT/jax_trace.txt"
}

# The runs of one lane (separated by ";"), one after another, into DIR.
train_lane() {
    local dir=$1 minutes=$2 lane=$3 run label run_minutes
    local -a runs words flags stop
    IFS=';' read -ra runs <<< "$lane"
    for run in "${runs[@]}"; do
        read -ra words <<< "$run"
        label=${words[0]}
        flags=("${words[@]:1}")
        run_minutes=$minutes
        if [[ $label == *@* ]]; then
            run_minutes=${label#*@}
            label=${label%@*}
        fi
        stop=(--minutes "$run_minutes")
        [[ " ${flags[*]} " == *" --iterations "* ]] && stop=()
        "$B" train "${stop[@]}" --out "$dir/$label" "${flags[@]}" > "$dir/$label.log" 2>&1
        echo "$label rc=$?"
    done
}

# After the runs: NAME.tgz of every run's records under $OUT, and a summary line per run.
collect() {
    local name=$1 dir=$2 run
    shift 2
    local -a files checkpoints
    for run in "$dir"/*/; do
        run=${run%/}
        run=${run##*/}
        [ -f "$dir/$run/metrics.jsonl" ] && files+=("$run/metrics.jsonl")
        checkpoints=("$dir/$run"/checkpoints/*.json)
        if [ ${#checkpoints[@]} -gt 0 ]; then
            local last=${checkpoints[-1]##*/}
            files+=("$run/checkpoints/$last" "$run/checkpoints/${last%.json}.safetensors")
        fi
        if [ -f "$dir/$run/ramsey/counterexamples.jsonl" ]; then
            files+=("$run/ramsey/counterexamples.jsonl")
            echo "$run: $("$B" clique verify "$dir/$run" 2>&1 | tail -1)"
        fi
    done
    (cd "$dir" && tar czf "$OUT/$name.tgz" ./*.log "${files[@]}")
    python3 "$HERE/summarize.py" "$@" "$dir"/*/
}

train_side_by_side() {
    [ $# -ge 3 ] || usage
    local name=$1 minutes=$2 lane evaluate=no run
    shift 2
    local -a summary
    while [ $# -gt 0 ]; do
        case $1 in
            --curve | --at) summary+=("$1" "$2"); shift 2 ;;
            --eval) evaluate=yes; shift ;;
            *) break ;;
        esac
    done
    local dir=/tmp/$name
    mkdir -p "$dir"
    for lane in "$@"; do
        train_lane "$dir" "$minutes" "$lane" &
    done
    wait
    if [ $evaluate = yes ]; then
        for run in "$dir"/*/; do
            "$B" eval --checkpoint "$run" --json >> "$OUT/${name}_eval.jsonl" 2>&1
        done
    fi
    collect "$name" "$dir" "${summary[@]}"
}

bench_ab() {
    local rounds=2 round binary
    if [ "${1:-}" = --rounds ]; then
        rounds=$2
        shift 2
    fi
    [ $# -ge 1 ] || usage
    for round in $(seq "$rounds"); do
        for binary in "$@"; do
            echo "== selfplay $binary, round $round"
            timeout 120 "$D/$binary" bench selfplay --seconds 8 2>/dev/null |
                tee -a "$OUT/selfplay_$binary.jsonl"
        done
    done
    for round in 1 2 3; do
        for binary in "$@"; do
            echo "== train step $binary, round $round"
            timeout 120 "$D/$binary" bench kernels --only train --precision f16 2>/dev/null |
                tee -a "$OUT/kernels_$binary.jsonl" | grep -o '"median_ms":[0-9.]*'
        done
    done
}

smoke() {
    "$B" info 2>&1 | tail -3
    train_side_by_side smoke 1 's1 --iterations 3; s2 --n 11 --k 4 --mode avoid --iterations 3'
}

run_binary() {
    local name=$1
    shift
    "$D/$name" "$@" 2>&1 | tee -a "$OUT/$name.txt"
}

[ $# -gt 0 ] || usage
[ -n "${OUT:-}" ] || { echo "OUT must name the folder for the records" >&2; exit 2; }
subcommand=$1
shift
loader
case $subcommand in
    tensor-core-tests) [ $# -ge 2 ] || usage; tensor_core_tests "$@" ;;
    step-profile) step_profile "$@" ;;
    step-ab) step_ab "$@" ;;
    tiles-in-step) tiles_in_step "$@" ;;
    kernels) kernels "$@" ;;
    jax) jax "$@" ;;
    jax-trace) jax_trace ;;
    train-side-by-side) train_side_by_side "$@" ;;
    bench-ab) bench_ab "$@" ;;
    smoke) smoke ;;
    bin) [ $# -ge 1 ] || usage; run_binary "$@" ;;
    *) usage ;;
esac
