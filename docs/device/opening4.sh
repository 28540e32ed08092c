#!/bin/bash
# Device run 13: the best settings of runs 10-12 for asymmetric and avoid n=6,k=3
# (random openings up to 14 moves, hidden 256; no root noise in avoid mode), two runs
# side by side for 9.5 minutes.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs6; mkdir -p $R
go() { local name=$1; shift
  $B train --minutes ${MIN:-9.5} --out $R/$name "$@" > $R/$name.log 2>&1
}
go avoid-open14-nonoise-h256 --mode avoid --random-opening 14 --noise 0 --hidden 256 &
go asymmetric-open14-h256 --mode asymmetric --random-opening 14 --hidden 256 &
wait
cd $R && tar czf $OUT/runs6.tgz */metrics.jsonl *.log
for d in */; do d=${d%/}; python3 -c "
import json
ms=[json.loads(l) for l in open('$d/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$d', len(ms), 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/min(50,len(acc))), 'max', max(acc), 'final', acc[-1], 'search', ms[-1]['search_accuracy'])
print('  ', [(round(m['elapsed_seconds']), round(100*sum(x['policy_accuracy'] for x in ms[max(0,i-25):i+1])/len(ms[max(0,i-25):i+1]),1)) for i,m in enumerate(ms) if i%100==50])
"; done
