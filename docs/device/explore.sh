#!/bin/bash
# Device run 6: four n=6,k=3 symmetric settings side by side, 3 minutes each.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs; mkdir -p $R
go() { local name=$1; shift
  $B train --minutes ${MIN:-3} --out $R/$name "$@" > $R/$name.log 2>&1
  mkdir -p $OUT/$name; cp $R/$name/metrics.jsonl $OUT/$name/
  tr '\r' '\n' < $R/$name.log | grep -E '^(iter|final)' | tail -2 > $OUT/$name/tail.txt
}
go default &
go games1024 --games 1024 --train-steps 64 &
go sims64 --sims 64 &
go gumbel --policy gumbel &
wait
for d in $OUT/*/; do echo "$d"; cat $d/tail.txt | cut -c1-12,140-; done
