#!/bin/bash
# The full training step on the H100 in one call: the tensor-core network tests, the f16
# step profiled (within the run, and each kernel repeated 20 times on warm caches), timed
# twice, the f32 step profiled, and the JAX reference step.
source "$(dirname "$0")/tensor_core_tests.sh"
tests 300 networks fusion_preserves_outputs
{
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile
timeout 60 $D/wgzero bench kernels --only train --precision f16
} > $OUT/train.jsonl 2>&1
timeout 60 $D/wgzero bench kernels --only train --precision f16 --profile --profile-repeats 20 > $OUT/train_repeated.jsonl 2>&1
timeout 60 $D/wgzero bench kernels --only train --precision f32 --profile > $OUT/train_f32.jsonl 2>&1
timeout 90 python3 $D/jax_train_step.py --seconds 5 > $OUT/jax.jsonl 2>&1
grep -h '"bench":"train_step"' $OUT/train*.jsonl | cut -c1-300
grep train_step_jax $OUT/jax.jsonl
