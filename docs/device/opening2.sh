#!/bin/bash
# Device run 11: random openings for asymmetric and avoid n=6,k=3 with more simulations,
# a decaying learning rate, longer openings and more noise, six settings side by side.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
R=/tmp/runs4; mkdir -p $R
go() { local name=$1; shift
  $B train --minutes ${MIN:-4.5} --out $R/$name "$@" > $R/$name.log 2>&1
}
go avoid-open14-nonoise-sims64 --mode avoid --random-opening 14 --noise 0 --sims 64 &
go avoid-open14-nonoise-decay --mode avoid --random-opening 14 --noise 0 --lr-decay-minutes 4.5 &
go avoid-open29-nonoise --mode avoid --random-opening 29 --noise 0 &
go asymmetric-open29 --mode asymmetric --random-opening 29 &
go asymmetric-open14-noise05 --mode asymmetric --random-opening 14 --noise 0.5 &
go asymmetric-open14-decay --mode asymmetric --random-opening 14 --lr-decay-minutes 4.5 &
wait
cd $R && tar czf $OUT/runs4.tgz */metrics.jsonl *.log
for d in */; do d=${d%/}; python3 -c "
import json
ms=[json.loads(l) for l in open('$d/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$d', len(ms), 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/min(50,len(acc))), 'max', max(acc), 'final', acc[-1], 'search', ms[-1]['search_accuracy'])
print('  ', [(round(m['elapsed_seconds']), round(100*sum(x['policy_accuracy'] for x in ms[max(0,i-25):i+1])/len(ms[max(0,i-25):i+1]),1)) for i,m in enumerate(ms) if i%50==25])
"; done
