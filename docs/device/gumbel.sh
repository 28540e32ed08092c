#!/bin/bash
# Device run 8: Gumbel self-play on the GPU pipeline after the temperature change.
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
$B train --minutes 2 --policy gumbel --out /tmp/g > /tmp/g.log 2>&1
cp /tmp/g/metrics.jsonl $OUT/
tr '\r' '\n' < /tmp/g.log | grep -E '^(final)'
python3 -c "
import json
ms=[json.loads(l) for l in open('/tmp/g/metrics.jsonl')]
acc=[m['policy_accuracy'] for m in ms]
print(len(ms), [round(acc[i],3) for i in (49,99,149,199,299,399) if i<len(acc)], 'last50 %.4f'%(sum(acc[-50:])/50), 'max', max(acc))"
