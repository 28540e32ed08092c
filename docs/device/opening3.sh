#!/bin/bash
# Device run 12: random openings for asymmetric and avoid n=6,k=3 with larger networks
# and more training steps, six settings side by side.
source "$(dirname "$0")/side_by_side.sh" runs5 4.5
go avoid-open14-nonoise-h256 --mode avoid --random-opening 14 --noise 0 --hidden 256 &
go avoid-open14-nonoise-gnn --mode avoid --random-opening 14 --noise 0 --net gnn &
go avoid-open14-nonoise-steps64 --mode avoid --random-opening 14 --noise 0 --train-steps 64 &
go asymmetric-open14-h256 --mode asymmetric --random-opening 14 --hidden 256 &
go asymmetric-open14-gnn --mode asymmetric --random-opening 14 --net gnn &
go asymmetric-open14-steps64-decay --mode asymmetric --random-opening 14 --train-steps 64 --lr-decay-minutes 4.5 &
wait
collect 50
