#!/bin/bash
# Device run 10: the cooperative-matrix probe, then random openings and noise-free
# searches for asymmetric and avoid n=6,k=3, six settings side by side.
source "$(dirname "$0")/side_by_side.sh" runs3 4.5
.device-bin/main/coopmat_probe 4096 2048 > $R/coopmat.log 2>&1
cat $R/coopmat.log | grep -v "^ " | head -40
for mode in asymmetric avoid; do
  go $mode-open14 --mode $mode --random-opening 14 &
  go $mode-open14-nonoise --mode $mode --random-opening 14 --noise 0 &
done
go avoid-nonoise --mode avoid --noise 0 &
go asymmetric-nonoise --mode asymmetric --noise 0 &
wait
collect
