#!/bin/bash
# Tensor-core (cooperative-matrix) training step, f32 step and the JAX twin, plus the
# f16 convolution benchmarks: docs/PERFORMANCE.md, "With the convolutions on tensor cores".
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
D=.device-bin/main  # the release binary and examples/reference/jax_train_step.py
$D/wgzero bench kernels --only train --precision f16 --profile > $OUT/train_f16.jsonl 2>&1
$D/wgzero bench kernels --only train --precision f32 > $OUT/train_f32.jsonl 2>&1
$D/wgzero bench kernels --only train --precision f16 > $OUT/train_f16b.jsonl 2>&1
$D/wgzero bench kernels --only conv --conv-backward --precision f16 > $OUT/conv_f16.jsonl 2>&1
timeout 60 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
python3 - <<'PY'
import json,os
for f in ['conv_f16.jsonl']:
    for l in open(os.environ['OUT']+'/'+f):
        if l.startswith('{'):
            r=json.loads(l); print(r['name'], r['shape'].get('batch',r['shape'].get('m')), r['tiles'], round(r['median_ms'],4), round(r['tflops'],1), r.get('spot_check_error'))
PY
grep -h '"bench":"train' $OUT/train_f16.jsonl $OUT/train_f32.jsonl $OUT/train_f16b.jsonl; grep train_step_jax $OUT/jax.jsonl
