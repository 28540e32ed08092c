#!/bin/bash
# Device run 18: the defaults again with other seeds (avoid twice, asymmetric once),
# three runs side by side for 8.5 minutes, to see how much of run 17 was its seed.
source "$(dirname "$0")/side_by_side.sh" defaults2 8.5
go avoid-seed2 --mode avoid --seed 2 &
go avoid-seed3 --mode avoid --seed 3 &
go asymmetric-seed2 --mode asymmetric --seed 2 &
wait
collect 100
