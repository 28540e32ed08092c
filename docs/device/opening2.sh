#!/bin/bash
# Device run 11: random openings for asymmetric and avoid n=6,k=3 with more simulations,
# a decaying learning rate, longer openings and more noise, six settings side by side.
source "$(dirname "$0")/side_by_side.sh" runs4 4.5
go avoid-open14-nonoise-sims64 --mode avoid --random-opening 14 --noise 0 --sims 64 &
go avoid-open14-nonoise-decay --mode avoid --random-opening 14 --noise 0 --lr-decay-minutes 4.5 &
go avoid-open29-nonoise --mode avoid --random-opening 29 --noise 0 &
go asymmetric-open29 --mode asymmetric --random-opening 29 &
go asymmetric-open14-noise05 --mode asymmetric --random-opening 14 --noise 0.5 &
go asymmetric-open14-decay --mode asymmetric --random-opening 14 --lr-decay-minutes 4.5 &
wait
collect 50
