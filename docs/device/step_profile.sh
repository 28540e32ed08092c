#!/bin/bash
# The full training step on the H100 in one call: the tensor-core network tests, the f16
# step profiled (within the run, and each kernel repeated 20 times on warm caches), timed
# twice, the f32 step profiled, and the JAX reference step.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
D=.device-bin/main
export WGZERO_REQUIRE_GPU=1 WGZERO_REQUIRE_TENSOR_CORES=1
for t in networks fusion_preserves_outputs; do
  timeout 300 $D/$t > $OUT/test_$t.txt 2>&1; echo "$t rc=$?"; grep -E "test result|panicked" $OUT/test_$t.txt | head -3
done
{
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile
timeout 60 $D/wgzero bench kernels --only train --precision f16
} > $OUT/train.jsonl 2>&1
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --profile-repeats 20 > $OUT/train_repeated.jsonl 2>&1
timeout 60 $D/wgzero bench kernels --only train --precision f32 --profile > $OUT/train_f32.jsonl 2>&1
timeout 90 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
grep -h '"bench":"train_step"' $OUT/train*.jsonl | cut -c1-300
grep train_step_jax $OUT/jax.jsonl
