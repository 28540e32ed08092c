#!/bin/bash
# JAX's train step kernel by kernel, from jax.profiler's CUPTI trace (docs/device/jax_trace.py;
# ncu segfaulted on the JAX process on this machine).
set -u
timeout 200 python3 docs/device/jax_trace.py > $OUT/jax_trace.txt 2> $OUT/jax_trace.err; echo "trace rc=$?"
head -70 $OUT/jax_trace.txt
