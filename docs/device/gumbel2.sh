#!/bin/bash
# Device run 9: asymmetric and avoid n=6,k=3 with Gumbel self-play, side by side.
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
for mode in asymmetric avoid; do
  $B train --minutes ${MIN:-3} --mode $mode --policy gumbel --out /tmp/g-$mode > /tmp/g-$mode.log 2>&1 &
done
wait
for mode in asymmetric avoid; do
cp /tmp/g-$mode/metrics.jsonl $OUT/$mode.jsonl
tr '\r' '\n' < /tmp/g-$mode.log | grep -E '^(final)'
python3 -c "
import json
ms=[json.loads(l) for l in open('/tmp/g-$mode/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
f99=next((round(m['elapsed_seconds']) for m in ms if m['policy_accuracy']>=0.99),None)
print('$mode', len(ms), [round(acc[i],3) for i in (49,99,199,299,399,599,799) if i<len(acc)], 'first99', f99, 'last50 %.4f'%(sum(acc[-50:])/50), 'max', max(acc))"
done
