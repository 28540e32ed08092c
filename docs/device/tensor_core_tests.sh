# Sourced by the tensor-core scripts (`source "$(dirname "$0")/tensor_core_tests.sh"`).
# It unpacks the Vulkan loader, sets D (the carried binaries) and the variables that make
# the tests fail rather than skip without a GPU or tensor cores, and defines
#   tests SECONDS NAME...   each stripped test binary $D/NAME under a time limit, its
#                           output in $OUT/test_NAME.txt; prints its exit status and
#                           result lines.
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
D=.device-bin/main
export WGZERO_REQUIRE_GPU=1 WGZERO_REQUIRE_TENSOR_CORES=1
tests() { local seconds=$1; shift
  for t in "$@"; do
    timeout $seconds $D/$t > $OUT/test_$t.txt 2>&1; echo "$t rc=$?"
    grep -E "test result|panicked" $OUT/test_$t.txt | head -3
  done
}
