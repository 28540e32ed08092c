#!/bin/bash
# Device run 5: the training bars of issue 6 (wgzero train on the H100).
#   smoke: one short run of each kind, to catch failures cheaply;
#   full:  n=6,k=3 symmetric for 5 minutes alone; asymmetric and avoid n=6,k=3 side by
#          side; avoid n=9,10,11 with k=4 side by side.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs
mkdir -p $R
keep() { # copy a run's records to $OUT/<name>
  mkdir -p $OUT/$1
  cp $R/$1/metrics.jsonl $R/$1/metrics.csv $R/$1/plots.png $OUT/$1/ 2>/dev/null
  [ -f $R/$1/ramsey/counterexamples.jsonl ] && gzip -c $R/$1/ramsey/counterexamples.jsonl > $OUT/$1/counterexamples.jsonl.gz
  tr '\r' '\n' < $R/$1.log | grep -v '^ *$' | grep -v '\[' > $OUT/$1/log.txt
}
train() { # name minutes args...
  local name=$1 minutes=$2; shift 2
  $B train --minutes $minutes --out $R/$name "$@" > $R/$name.log 2>&1
  keep $name
}
case ${1:-smoke} in
smoke)
  $B info 2>&1 | tail -3
  $B train --iterations 3 --out $R/s1 > $R/s1.log 2>&1; keep s1; tail -4 $OUT/s1/log.txt
  $B train --n 11 --k 4 --mode avoid --iterations 3 --out $R/s2 > $R/s2.log 2>&1; keep s2; tail -3 $OUT/s2/log.txt
  ;;
sym)
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  train sym6 ${SYM_MINUTES:-5}; tail -3 $OUT/sym6/log.txt
  ;;
rest)
  train asym6 ${PAIR_MINUTES:-2.5} --mode asymmetric &
  train avoid6 ${PAIR_MINUTES:-2.5} --mode avoid &
  wait; tail -2 $OUT/asym6/log.txt $OUT/avoid6/log.txt
  for n in 9 10 11; do train avoid$n ${RAMSEY_MINUTES:-1.5} --n $n --k 4 --mode avoid & done
  wait; tail -n 2 $OUT/avoid9/log.txt $OUT/avoid10/log.txt $OUT/avoid11/log.txt
  ;;
esac
