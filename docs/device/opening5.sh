#!/bin/bash
# Device run 14: avoid n=6,k=3 with the best settings of run 13 and a learning rate
# decaying over the run, hidden 256 and 512, two runs side by side for 9.5 minutes.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs7; mkdir -p $R
go() { local name=$1; shift
  $B train --minutes ${MIN:-9.5} --out $R/$name "$@" > $R/$name.log 2>&1
}
go avoid-open14-nonoise-h256-decay --mode avoid --random-opening 14 --noise 0 --hidden 256 --lr-decay-minutes 9.5 &
go avoid-open14-nonoise-h512-decay --mode avoid --random-opening 14 --noise 0 --hidden 512 --lr-decay-minutes 9.5 &
wait
cd $R && tar czf $OUT/runs7.tgz */metrics.jsonl *.log
for d in */; do d=${d%/}; python3 -c "
import json
ms=[json.loads(l) for l in open('$d/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$d', len(ms), 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/min(50,len(acc))), 'max', max(acc), 'final', acc[-1], 'search', ms[-1]['search_accuracy'])
print('  ', [(round(m['elapsed_seconds']), round(100*sum(x['policy_accuracy'] for x in ms[max(0,i-25):i+1])/len(ms[max(0,i-25):i+1]),1)) for i,m in enumerate(ms) if i%100==50])
"; done
