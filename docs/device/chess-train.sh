#!/bin/bash
# One slice of the long chess training run on the device (docs/CHESS.md): resume RUN_DIR
# (carried in, as the last slice's $OUT left it) for MINUTES, or start it with the flags
# given, then measure the network it hands out against the built-in rungs of the ladder
# (the random mover, the one-ply material-greedy player) with `wgzero arena`, and copy the
# run back out through $OUT for the next slice. Stockfish does not travel to the device
# (its binary and the wgzero binary exceed the carry limit together): its rungs are played
# on the development machine from the run brought back. The run comes back as one file,
# $OUT/run.tar.gz ($OUT returns at most 8 files): its latest checkpoint (a new run keeps
# one) and the newest REPLAY_MB MiB of its replay (default 12), so that it fits the 64 MiB
# a call carries beside the binary; unpack it next to RUN_DIR and carry it on.
#   chess-train.sh RUN_DIR MINUTES [wgzero train flags: a new run's, or the changes a
#   resumed run takes from here on (its schedule and search: `--train-steps 256`)]
# MINUTES 0 trains nothing: the arena alone, on the run as it is (its results come back
# in the run's arena/results.jsonl).
# FROM names a run to copy into RUN_DIR first when RUN_DIR holds none (assets/runs/chess).
# GAMES, ARENA_SIMS, CONCURRENCY and ARENA_SECONDS set the arena's games per opponent,
# simulations per move, games at once and time limit.
set -u
BIN=${BIN:-target/release/wgzero}
OUT=${OUT:-/tmp/chess-train-out}
run=$1
minutes=$2
shift 2
mkdir -p "$OUT"
# FROM: a run directory to continue when RUN_DIR holds none yet (the committed
# assets/runs/chess, which a fresh checkout has and runs/ does not).
if [ ! -d "$run/checkpoints" ] && [ -n "${FROM:-}" ]; then
    mkdir -p "$(dirname "$run")"
    cp -r "$FROM" "$run"
fi
if [ "$minutes" = 0 ]; then
    echo "no training (MINUTES 0)" >"$OUT/train.log"
elif [ -d "$run/checkpoints" ]; then
    "$BIN" train --resume "$run" --minutes "$minutes" --replay-save-mb "${REPLAY_MB:-12}" \
        "$@" 2>&1 | tail -n 40 >"$OUT/train.log"
else
    "$BIN" train --game chess --out "$run" --minutes "$minutes" --keep-checkpoints 1 \
        --replay-save-mb "${REPLAY_MB:-12}" "$@" 2>&1 | tail -n 40 >"$OUT/train.log"
fi
# The two matches share ARENA_SECONDS (default 150), half each (`--match-minutes`: the
# games finished by then are the result), so that the run still comes back; the timeout
# is a guard. The PGN (written as games end) comes back with the run.
match_minutes=$(awk "BEGIN { print ${ARENA_SECONDS:-150} / 120 }")
timeout $((${ARENA_SECONDS:-150} + 60)) "$BIN" arena --checkpoint "$run" --opponent random \
    --opponent greedy --openings random --games "${GAMES:-200}" --sims "${ARENA_SIMS:-800}" \
    --concurrency "${CONCURRENCY:-16}" --match-minutes "$match_minutes" --json \
    >"$OUT/arena.jsonl" 2>"$OUT/arena.log"
tar -czf "$OUT/run.tar.gz" -C "$(dirname "$run")" "$(basename "$run")"
