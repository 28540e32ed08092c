#!/bin/bash
# In-place assigns and pipelined bench submits. wgzero_base = main
# (2d1896a: old timing, 69 copies); wgzero_timing = new timing, copies kept; wgzero = new
# timing + in-place assigns. Tests of the new build first (tensor cores required).
source "$(dirname "$0")/tensor_core_tests.sh"
chmod +x $D/wgzero* $D/networks $D/fusion_preserves_outputs $D/optimizers $D/programs 2>/dev/null
tests 200 programs optimizers networks fusion_preserves_outputs
{ timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --list-kernels; } > $OUT/profile.jsonl 2>&1
grep '"train_step"' $OUT/profile.jsonl | cut -c1-300
for i in 1 2 3; do for b in wgzero_base wgzero_timing wgzero; do
  echo -n "$b " >> $OUT/ab.jsonl
  timeout 60 $D/$b bench kernels --only train --precision f16 | grep '"train_step"' >> $OUT/ab.jsonl
done
  timeout 120 python3 examples/reference/jax_train_step.py --seconds 3 2>&1 | grep train_step_jax | sed 's/^/jax /' >> $OUT/ab.jsonl
done
for i in 1 2; do for b in wgzero_base wgzero_timing wgzero; do echo -n "$b-f32 " >> $OUT/ab.jsonl; timeout 60 $D/$b bench kernels --only train --precision f32 | grep '"train_step"' >> $OUT/ab.jsonl; done; done
python3 "$(dirname "$0")/ab_summary.py" $OUT/ab.jsonl
