#!/bin/bash
# Device run 20: a 256-wide MLP where the default width met its bars: symmetric for 5
# minutes, beside the Ramsey hunt (avoid, k = 4, n = 9, 10, 11 for 1.5 minutes each, one
# after another); two lanes side by side.
source "$(dirname "$0")/side_by_side.sh" hidden256b 5
go symmetric-h256 --mode symmetric --hidden 256 &
(for n in 9 10 11; do MIN=1.5 go ramsey-h256-n$n --n $n --k 4 --mode avoid --hidden 256; done) &
wait
for n in 9 10 11; do $B clique verify $R/ramsey-h256-n$n 2>&1 | tail -1; done
collect 100
