#!/bin/bash
# Correctness on the H100, then the train step (f16 with profile, f16, f32), the tuned f16
# conv and matmul kernels, and the JAX twin, in one call.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
D=.device-bin/main
export WGZERO_REQUIRE_GPU=1 WGZERO_REQUIRE_TENSOR_CORES=1
for t in coop_kernels networks fusion_preserves_outputs; do
  $D/$t > $OUT/tests.txt 2>&1; echo "$t rc=$?"; grep -E "test result|panicked" $OUT/tests.txt | head -3
done
{
$D/wgzero bench kernels --only train --precision f16 --profile
$D/wgzero bench kernels --only train --precision f16
$D/wgzero bench kernels --only train --precision f32
} > $OUT/train.jsonl 2>&1
{
$D/wgzero bench kernels --only conv --conv-backward --precision f16
$D/wgzero bench kernels --only matmul --sizes 1024,2048,4096,8192 --precision f16
} > $OUT/kernels.jsonl 2>&1
timeout 90 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
$D/wgzero bench kernels --only train --precision f16 >> $OUT/train.jsonl 2>&1
grep -h '"bench":"train' $OUT/train.jsonl | cut -c1-300
grep -h '^{' $OUT/kernels.jsonl | python3 -c "
import json,sys
for l in sys.stdin:
    r=json.loads(l); print(r.get('name'), r.get('shape'), r.get('tiles'), round(r['median_ms'],4), round(r.get('tflops',0),1), r.get('spot_check_error'))"
grep train_step_jax $OUT/jax.jsonl
