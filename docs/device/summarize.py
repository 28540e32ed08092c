"""One line per training run directory from its metrics.jsonl: iterations, the first
second raw accuracy reached 99 %, the mean raw accuracy of the last 50 iterations, the
best, the final raw and search accuracies; with --curve N, also the raw accuracy's mean
over 26 iterations at every N-th iteration (seconds, percent); with --at I,I..., the raw
accuracy at those iterations (counted from 1). Called by `run.sh train-side-by-side`.

python3 summarize.py [--curve N] [--at I,I...] RUN_DIR ...
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--curve", type=int)
parser.add_argument("--at", type=lambda text: [int(i) for i in text.split(",")], default=[])
parser.add_argument("runs", nargs="+")
args = parser.parse_args()
for run in args.runs:
    name = os.path.basename(os.path.normpath(run))
    if not os.path.exists(os.path.join(run, "metrics.jsonl")):
        print(name, "no metrics.jsonl (see its log)")
        continue
    ms = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
    if ms and ms[-1]["policy_accuracy"] is None:
        # A board the solver does not measure (n > 7): the Ramsey counts instead.
        first = next((m for m in ms if m["counterexamples_total"]), None)
        print(name, len(ms), "seconds %.1f" % ms[-1]["elapsed_seconds"],
              "counterexamples", ms[-1]["counterexamples_total"],
              "distinct", ms[-1]["counterexamples_distinct"],
              "first at iteration", first and first["iteration"],
              "second", first and round(first["elapsed_seconds"], 1))
        continue
    acc = [m["policy_accuracy"] for m in ms]
    f99 = next((round(m["elapsed_seconds"]) for m in ms if m["policy_accuracy"] >= 0.99), None)
    print(name, len(ms), "first99", f99, "last50 %.4f" % (sum(acc[-50:]) / min(50, len(acc))),
          "max", max(acc), "final", acc[-1], "search", ms[-1]["search_accuracy"])
    if args.at:
        print("   raw at", {i: round(acc[i - 1], 4) for i in args.at if i <= len(acc)})
    if args.curve:
        every = args.curve
        windows = [(round(m["elapsed_seconds"]),
                    round(100 * sum(acc[max(0, i - 25):i + 1]) / len(acc[max(0, i - 25):i + 1]), 1))
                   for i, m in enumerate(ms) if i % every == every // 2]
        print("  ", windows)
