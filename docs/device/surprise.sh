#!/bin/bash
# Device run 15: policy-surprise weighting (--surprise-weight) with random openings whose
# positions take the search's value as target, avoid and asymmetric n=6,k=3, hidden 256,
# four runs side by side for 8.5 minutes.
source "$(dirname "$0")/side_by_side.sh" surprise1 8.5
go avoid-s05 --mode avoid --random-opening 14 --noise 0 --hidden 256 --surprise-weight 0.5 &
go avoid-s08 --mode avoid --random-opening 14 --noise 0 --hidden 256 --surprise-weight 0.8 &
go asymmetric-s05 --mode asymmetric --random-opening 14 --hidden 256 --surprise-weight 0.5 &
go asymmetric-s08 --mode asymmetric --random-opening 14 --hidden 256 --surprise-weight 0.8 &
wait
collect 100
