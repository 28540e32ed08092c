"""One line per run of an A/B file ($OUT/ab.jsonl): each line is a label, a space and a
`wgzero bench kernels` or `jax_train_step.py` JSON line. Called by `run.sh step-ab`."""
import json
import sys

for line in open(sys.argv[1]):
    name, _, rest = line.partition(' ')
    try:
        d = json.loads(rest)
    except ValueError:
        print(name, 'unparsed', rest[:120])
        continue
    if 'median_ms' in d:
        # record_ms and assign_copies are absent from builds before 0653aa7.
        print(f"{name:18} median {d['median_ms']:.3f} min {d['min_ms']:.3f} "
              f"record {d.get('record_ms', float('nan')):.3f} copies {d.get('assign_copies', '-')} "
              f"dispatches {d['dispatches']} steps/s {d['runs_per_s']:.1f}")
    else:
        print(f"{name:18} {1e3 / d['steps_per_s']:.3f} ms, {d['steps_per_s']:.1f} steps/s ({d['precision']})")
