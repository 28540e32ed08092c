#!/bin/bash
# A/B of the training step in one call: the tensor-core tests of the new build, its f16
# step profiled inside the step (with its kernel and dispatch lists) and with every
# kernel repeated 20 times, then the old binary (.device-bin/main/wgzero_base, built from
# the commit before) and the new one alternating three times, the new f32 step, and the
# JAX twin. Run-to-run spread on the H100 is about ±50 µs, so only an A/B within one call
# compares two builds.
source "$(dirname "$0")/tensor_core_tests.sh"
tests 200 networks fusion_preserves_outputs coop_kernels
{ timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --list-kernels; timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --profile-repeats 20; } > $OUT/profile.jsonl 2>&1
for i in 1 2 3; do for b in wgzero_base wgzero; do
  timeout 60 $D/$b bench kernels --only train --precision f16 | grep '"train_step"' >> $OUT/ab.jsonl
  echo $b >> $OUT/ab.jsonl
done; done
timeout 60 $D/wgzero bench kernels --only train --precision f32 >> $OUT/ab.jsonl 2>&1
timeout 90 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
cut -c1-200 $OUT/ab.jsonl; grep train_step_jax $OUT/jax.jsonl
