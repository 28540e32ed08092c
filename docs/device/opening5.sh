#!/bin/bash
# Device run 14: avoid n=6,k=3 with the best settings of run 13 and a learning rate
# decaying over the run, hidden 256 and 512, two runs side by side for 9.5 minutes.
source "$(dirname "$0")/side_by_side.sh" runs7 9.5
go avoid-open14-nonoise-h256-decay --mode avoid --random-opening 14 --noise 0 --hidden 256 --lr-decay-minutes 9.5 &
go avoid-open14-nonoise-h512-decay --mode avoid --random-opening 14 --noise 0 --hidden 512 --lr-decay-minutes 9.5 &
wait
collect 100
