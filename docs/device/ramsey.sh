#!/bin/bash
# The Ramsey search's H100 figures (docs/RAMSEY.md): every run is the user's command,
# `wgzero ramsey ... --json`, one JSON summary line each in $OUT/ramsey.jsonl (with a
# label), the progress lines in $OUT/ramsey.log.
#   ramsey.sh check|small|large|rates|moonshot   (several may be given)
# SEEDS, CHAINS, COUNT_MINUTES, RATE_MINUTES and MOONSHOT_SECONDS shorten or lengthen them.
set -u
BIN=${BIN:-target/release/wgzero}
OUT=${OUT:-/tmp/ramsey-out}
mkdir -p "$OUT"
case_n=0
run() {
    local label=$1 budget=$2
    shift 2
    case_n=$((case_n + 1))
    local dir=/tmp/ramsey-runs/$case_n
    rm -rf "$dir"; mkdir -p /tmp/ramsey-runs
    echo "== $label: wgzero ramsey $*" >>"$OUT/ramsey.log"
    local start=$(date +%s%N)
    timeout "$budget" "$BIN" ramsey "$@" --json --out "$dir" 2>>"$OUT/ramsey.log" \
        | grep '^{' | sed "s|^{|{\"label\":\"$label\",\"wall_seconds\":WALL,|" >"$dir.json"
    local wall_ms=$((($(date +%s%N) - start) / 1000000))
    sed "s/WALL/$((wall_ms / 1000)).$(printf %03d $((wall_ms % 1000)))/" "$dir.json" >>"$OUT/ramsey.jsonl"
}
for part in "$@"; do
    case $part in
    check)
        run "R(3,3)/K_5 cpu" 20 --s 3 --t 3 --n 5 --backend cpu
        ;;
    small)
        for target in "4 4 17" "4 5 24"; do
            set -- $target
            for method in circulant tabu anneal; do
                for chains in ${CHAINS:-4096 65536}; do
                    for seed in ${SEEDS:-1 2 3}; do
                        run "R($1,$2)/K_$3 $method gpu $chains" 30 --s $1 --t $2 --n $3 \
                            --backend gpu --method $method --chains $chains --seed $seed --minutes 0.1
                    done
                done
            done
            for seed in ${SEEDS:-1 2 3}; do
                run "R($1,$2)/K_$3 default auto" 60 --s $1 --t $2 --n $3 --seed $seed
            done
        done
        ;;
    large)
        for seed in ${SEEDS:-1 2}; do
            run "R(5,5)/K_36 circulant gpu" 80 --s 5 --t 5 --n 36 --backend gpu --seed $seed --minutes 1
        done
        run "R(5,5)/K_36 tabu gpu" 50 --s 5 --t 5 --n 36 --backend gpu --method tabu --minutes 0.6
        run "R(5,5)/K_36 anneal gpu" 50 --s 5 --t 5 --n 36 --backend gpu --method anneal --minutes 0.6
        for n in 38 40 42; do
            run "R(5,5)/K_$n default" 80 --s 5 --t 5 --n $n --minutes 1
        done
        run "R(5,5)/K_42 default count" 120 --s 5 --t 5 --n 42 --count 10000 --minutes ${COUNT_MINUTES:-1.5}
        ;;
    rates)
        for method in tabu anneal; do
            run "R(5,5)/K_42 $method gpu rate" 40 --s 5 --t 5 --n 42 --backend gpu --method $method --minutes ${RATE_MINUTES:-0.4}
            run "R(5,5)/K_42 $method one core rate" 40 --s 5 --t 5 --n 42 --backend cpu --chains 1 \
                --method $method --minutes ${RATE_MINUTES:-0.4}
        done
        ;;
    moonshot)
        seconds=${MOONSHOT_SECONDS:-200}
        run "R(5,5)/K_43 default" $((seconds + 30)) --s 5 --t 5 --n 43 --minutes $((seconds / 60))
        ;;
    esac
done
