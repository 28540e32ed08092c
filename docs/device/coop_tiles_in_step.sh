#!/bin/bash
# The train step's per-kernel GPU times with every tensor-core product forced to one tile
# shape (WGZERO_COOP_TILES), against the tuned choice.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
D=.device-bin/main
for t in tuned coop128x64x64_32x32_s1 coop256x64x32_64x32_s1 coop64x64x64_32x16_s1 coop128x64x32_32x32 coop128x64x64_64x32_s1 coop64x64x128_32x32_s1 coop64x64x64_32x32_s1; do
  if [ $t = tuned ]; then unset WGZERO_COOP_TILES; else export WGZERO_COOP_TILES=$t; fi
  $D/wgzero bench kernels --only train --precision f16 --profile > $OUT/p_$t.jsonl 2>&1
  python3 - $OUT/p_$t.jsonl $t <<'PY'
import json,sys,collections
rows=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
head=[r for r in rows if r.get('bench')=='train_step'][0]
g=collections.defaultdict(float)
for r in rows:
    if r.get('bench')!='kernel_time': continue
    k=r['kernel']
    cat='fwd' if 'conv3x3 →' in k else 'gi' if 'conv3x3_grad_input' in k else 'gw' if 'conv3x3_grad_weight' in k else 'conv1x1' if 'conv1x1' in k else 'other'
    g[cat]+=r['ms']*1000
print(sys.argv[2], 'median_ms', round(head['median_ms'],3), {k:round(v,1) for k,v in g.items()})
PY
done
