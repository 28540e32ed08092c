#!/bin/bash
# Device run 16: avoid n=6,k=3 with policy-surprise weighting, random openings and hidden
# 256, now with root exploration: Dirichlet noise (the default 0.25) or the Gumbel root.
# Run 15's avoid networks priced one early position class's winning moves under 1 % and
# the 50-simulation search never tried them (docs/TRAINING.md). Four runs side by side,
# 8.5 minutes.
source "$(dirname "$0")/side_by_side.sh" surprise2 8.5
go avoid-noise-s08 --mode avoid --random-opening 14 --hidden 256 --surprise-weight 0.8 &
go avoid-noise-s05 --mode avoid --random-opening 14 --hidden 256 --surprise-weight 0.5 &
go avoid-noise-s08-sims64 --mode avoid --random-opening 14 --hidden 256 --surprise-weight 0.8 --sims 64 &
go avoid-gumbel-s05 --mode avoid --random-opening 14 --hidden 256 --surprise-weight 0.5 --policy gumbel &
wait
collect 100
