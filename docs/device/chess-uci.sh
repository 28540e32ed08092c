#!/bin/bash
# The UCI engine's speed on the device (docs/CHESS.md, "UCI engine"): a chess checkpoint of
# FILTERS x BLOCKS (default 64 x 6) made by one tiny training iteration, then `go movetime`
# from the start position at several batches, read from the engine's last info line. One
# JSON line per setting in $OUT/chess-uci.jsonl.
#   chess-uci.sh [BACKEND]   (default auto)
set -u
BIN=${BIN:-target/release/wgzero}
OUT=${OUT:-/tmp/chess-out}
FILTERS=${FILTERS:-64}
BLOCKS=${BLOCKS:-6}
MOVETIME=${MOVETIME:-3000}
BATCHES=${BATCHES:-1 16 64 256}
backend=${1:-auto}
mkdir -p "$OUT"
run=/tmp/chess-uci-run-$FILTERS-$BLOCKS
if [ ! -d "$run/checkpoints" ]; then
    "$BIN" train --game chess --backend "$backend" --iterations 1 --filters "$FILTERS" \
        --blocks "$BLOCKS" --sims 4 --games 8 --moves-per-iteration 8 --train-steps 1 \
        --eval-games 0 --out "$run" >"$OUT/chess-uci-train.log" 2>&1
fi
for batch in $BATCHES; do
    lines=$( (echo uci; echo "setoption name Batch value $batch"; echo isready
        echo "position startpos"; echo "go movetime $MOVETIME"
        sleep $((MOVETIME / 1000 + 3)); echo quit) \
        | "$BIN" uci --backend "$backend" --checkpoint "$run" 2>>"$OUT/chess-uci.log")
    info=$(echo "$lines" | grep '^info depth' | tail -1)
    nodes=$(echo "$info" | sed -n 's/.* nodes \([0-9]*\).*/\1/p')
    nps=$(echo "$info" | sed -n 's/.* nps \([0-9]*\).*/\1/p')
    echo "{\"backend\":\"$backend\",\"net\":\"${FILTERS}x${BLOCKS}\",\"batch\":$batch,\"movetime_ms\":$MOVETIME,\"nodes\":${nodes:-null},\"nps\":${nps:-null},\"bestmove\":\"$(echo "$lines" | grep '^bestmove' | tail -1)\"}" \
        >>"$OUT/chess-uci.jsonl"
done
