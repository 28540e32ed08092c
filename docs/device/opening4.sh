#!/bin/bash
# Device run 13: the best settings of runs 10-12 for asymmetric and avoid n=6,k=3
# (random openings up to 14 moves, hidden 256; no root noise in avoid mode), two runs
# side by side for 9.5 minutes.
source "$(dirname "$0")/side_by_side.sh" runs6 9.5
go avoid-open14-nonoise-h256 --mode avoid --random-opening 14 --noise 0 --hidden 256 &
go asymmetric-open14-h256 --mode asymmetric --random-opening 14 --hidden 256 &
wait
collect 100
