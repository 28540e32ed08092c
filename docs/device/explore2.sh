#!/bin/bash
# Device run 7: asymmetric and avoid n=6,k=3, eight settings side by side.
source "$(dirname "$0")/side_by_side.sh" runs2 4
for mode in asymmetric avoid; do
  go $mode-default --mode $mode &
  go $mode-sims128 --mode $mode --sims 128 &
  go $mode-h256 --mode $mode --hidden 256 &
  go $mode-gnn --mode $mode --net gnn &
done
wait
collect
