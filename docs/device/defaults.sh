#!/bin/bash
# Device run 17: the new defaults (random openings up to the board's edges - 1, their
# positions valued by the search, policy-surprise weighting 0.8) with no flags: symmetric
# for 5 minutes, avoid and asymmetric for 8.5 minutes, and the Ramsey hunt (avoid, k = 4,
# n = 9, 10, 11 for 1.5 minutes each, one after another), four lanes side by side.
source "$(dirname "$0")/side_by_side.sh" defaults 8.5
MIN=5 go symmetric --mode symmetric &
go avoid --mode avoid &
go asymmetric --mode asymmetric &
(for n in 9 10 11; do MIN=1.5 go ramsey-n$n --n $n --k 4 --mode avoid; done) &
wait
for n in 9 10 11; do $B clique verify $R/ramsey-n$n 2>&1 | tail -2; done
collect 100
