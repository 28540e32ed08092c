#!/bin/bash
# The learned part's ablation (docs/RAMSEY.md): witness classes found in the same budget
# with the chains restarting from random colourings, from avoid games played by MCTS with
# uniform priors, with an untrained network, and with a network trained for part of the
# budget (its training time counted). One JSON line per arm in $OUT/guide.jsonl.
#   ramsey-guide.sh S T N MINUTES TRAIN_MINUTES [METHOD] [extra ramsey flags...]
set -u
BIN=${BIN:-target/release/wgzero}
OUT=${OUT:-/tmp/guide-out}
s=$1 t=$2 n=$3 minutes=$4 train_minutes=$5 method=${6:-tabu}
shift 6 2>/dev/null || shift $#
mkdir -p "$OUT"
work=/tmp/guide-runs
rm -rf "$work"
mkdir -p "$work"
arm() {
    local label=$1 budget=$2
    shift 2
    echo "== $label: wgzero ramsey $*" >>"$OUT/guide.log"
    "$BIN" ramsey --s "$s" --t "$t" --n "$n" --method "$method" --count 1000000 \
        --minutes "$budget" --json --out "$work/$label" "$@" 2>>"$OUT/guide.log" \
        | grep '^{' | sed "s|^{|{\"arm\":\"$label\",\"search_minutes\":$budget,|" \
        >>"$OUT/guide.jsonl"
}
arm random "$minutes" "$@"
arm uniform "$minutes" --starts uniform "$@"
start=$(date +%s)
"$BIN" train --game clique --mode avoid --n "$n" --k "$s,$t" --minutes "$train_minutes" \
    --out "$work/avoid-run" >>"$OUT/guide.log" 2>&1
trained=$(( $(date +%s) - start ))
echo "training took $trained s" >>"$OUT/guide.log"
left=$(python3 -c "print(max(0.05, $minutes - $trained / 60))")
arm untrained "$minutes" --starts untrained --guide-run "$work/avoid-run" "$@"
arm learned "$left" --starts learned --guide-run "$work/avoid-run" "$@"
echo "{\"arm\":\"training\",\"seconds\":$trained}" >>"$OUT/guide.jsonl"
