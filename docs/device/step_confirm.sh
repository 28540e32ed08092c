#!/bin/bash
# Confirmation of 0653aa7 (in-place assigns, pipelined bench submits)
# against JAX, five rounds alternating, then f32, the MLP bench and the profiles.
source "$(dirname "$0")/tensor_core_tests.sh"
chmod +x $D/wgzero
for i in 1 2 3 4 5; do
  echo -n "wgzero " >> $OUT/ab.jsonl
  timeout 60 $D/wgzero bench kernels --only train --precision f16 | grep '"train_step"' >> $OUT/ab.jsonl
  timeout 120 python3 examples/reference/jax_train_step.py --seconds 3 2>&1 | grep train_step_jax | sed 's/^/jax /' >> $OUT/ab.jsonl
done
for i in 1 2 3; do echo -n "wgzero-f32 " >> $OUT/ab.jsonl; timeout 60 $D/wgzero bench kernels --only train --precision f32 | grep '"train_step"' >> $OUT/ab.jsonl; done
timeout 60 $D/wgzero bench kernels --only mlp > $OUT/mlp.jsonl 2>&1
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --list-kernels > $OUT/profile.jsonl 2>&1
timeout 90 $D/wgzero bench kernels --only train --precision f16 --profile --profile-repeats 20 > $OUT/profile20.jsonl 2>&1
python3 "$(dirname "$0")/ab_summary.py" $OUT/ab.jsonl
grep -v '^#' $OUT/mlp.jsonl | cut -c1-260
