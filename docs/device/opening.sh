#!/bin/bash
# Device run 10: the cooperative-matrix probe, then random openings and noise-free
# searches for asymmetric and avoid n=6,k=3, six settings side by side.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs3; mkdir -p $R
.device-bin/main/coopmat_probe 4096 2048 > $R/coopmat.log 2>&1
cat $R/coopmat.log | grep -v "^ " | head -40
go() { local name=$1; shift
  $B train --minutes ${MIN:-4.5} --out $R/$name "$@" > $R/$name.log 2>&1
}
for mode in asymmetric avoid; do
  go $mode-open14 --mode $mode --random-opening 14 &
  go $mode-open14-nonoise --mode $mode --random-opening 14 --noise 0 &
done
go avoid-nonoise --mode avoid --noise 0 &
go asymmetric-nonoise --mode asymmetric --noise 0 &
wait
cd $R && tar czf $OUT/runs3.tgz */metrics.jsonl *.log
for d in */; do d=${d%/}; python3 -c "
import json
ms=[json.loads(l) for l in open('$d/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$d', len(ms), 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/min(50,len(acc))), 'max', max(acc), 'final', acc[-1], 'search', ms[-1]['search_accuracy'])
"; done
