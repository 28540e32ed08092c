#!/bin/bash
# Device run 7: asymmetric and avoid n=6,k=3, eight settings side by side.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs2; mkdir -p $R
go() { local name=$1; shift
  $B train --minutes ${MIN:-4} --out $R/$name "$@" > $R/$name.log 2>&1
}
for mode in asymmetric avoid; do
  go $mode-default --mode $mode &
  go $mode-sims128 --mode $mode --sims 128 &
  go $mode-h256 --mode $mode --hidden 256 &
  go $mode-gnn --mode $mode --net gnn &
done
wait
cd $R && tar czf $OUT/runs2.tgz */metrics.jsonl *.log
for d in */; do d=${d%/}; python3 -c "
import json
ms=[json.loads(l) for l in open('$d/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$d', len(ms), 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/min(50,len(acc))), 'max', max(acc), 'search', ms[-1]['search_accuracy'])
"; done
