# Sourced by the scripts that run several `wgzero train` runs side by side on the device
# machine: `source "$(dirname "$0")/side_by_side.sh" NAME MINUTES`. It unpacks the
# Vulkan loader, and defines
#   go RUN ARGS...   one training run (in the background with `&`) for MIN minutes
#                    (default MINUTES) into /tmp/NAME/RUN, its output in RUN.log;
#   collect [EVERY]  after `wait`: NAME.tgz of every run's metrics.jsonl, log and latest
#                    checkpoint under $OUT, and each run's summary (summarize.py; EVERY
#                    adds its curve).
set -u
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
B=.device-bin/main/wgzero
NAME=$1
DEFAULT_MINUTES=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
R=/tmp/$NAME; mkdir -p $R
go() { local run=$1; shift
  $B train --minutes ${MIN:-$DEFAULT_MINUTES} --out $R/$run "$@" > $R/$run.log 2>&1
}
collect() {
  local latest=""
  for run in $R/*/; do
    local last=$(ls $run/checkpoints/*.json 2>/dev/null | tail -1)
    [ -n "$last" ] && latest="$latest ${last#$R/} ${last%.json}.safetensors"
  done
  latest=$(echo $latest | sed "s|$R/||g")
  (cd $R && tar czf $OUT/$NAME.tgz */metrics.jsonl *.log $latest)
  python3 "$HERE/summarize.py" ${1:+--curve $1} $R/*/
}
