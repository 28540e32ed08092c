#!/bin/bash
# Device run 19: the defaults with a 256-wide MLP on other seeds (avoid twice, asymmetric
# once), three runs side by side for 8.5 minutes: whether --hidden 256 holds avoid above
# 99 % where the default width (run 18) holds 98.5-99 %.
source "$(dirname "$0")/side_by_side.sh" hidden256 8.5
go avoid-h256-seed2 --mode avoid --hidden 256 --seed 2 &
go avoid-h256-seed3 --mode avoid --hidden 256 --seed 3 &
go asymmetric-h256-seed2 --mode asymmetric --hidden 256 --seed 2 &
wait
collect 100
