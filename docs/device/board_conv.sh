#!/bin/bash
# The board-resident convolution on the H100: its correctness tests, the conv kernels
# (board template against the tuned implicit GEMM), and the train step with it (profiled)
# and with the implicit GEMM forced (WGZERO_COOP_TILES), in one call.
source "$(dirname "$0")/tensor_core_tests.sh"
tests 300 coop_kernels networks fusion_preserves_outputs
timeout 120 $D/wgzero bench kernels --only conv --conv-backward --precision f16 --conv-batches 1024,4096 > $OUT/conv.jsonl 2>&1
{
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile
timeout 60 $D/wgzero bench kernels --only train --precision f16
WGZERO_COOP_TILES=coop256x64x32_64x32_s1 timeout 60 $D/wgzero bench kernels --only train --precision f16
timeout 60 $D/wgzero bench kernels --only train --precision f32
} > $OUT/train.jsonl 2>&1
timeout 90 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
grep -h '"bench":"train_step"' $OUT/train.jsonl | cut -c1-300
grep -h '^{' $OUT/conv.jsonl | python3 -c "
import json,sys
for l in sys.stdin:
    r=json.loads(l); print(r.get('name'), r.get('shape',{}).get('batch'), r.get('tiles'), round(r['median_ms'],4), round(r.get('tflops',0),1), r.get('spot_check_error'))"
grep train_step_jax $OUT/jax.jsonl
