#!/usr/bin/env python3
"""f32 against f16 training on the same seed: draws docs/chess/precision.png (a row per
seed: the total, policy and value loss per iteration, both precisions) from the metrics
of `wgzero train --game chess --minutes 1.3 --precision f32|f16 --seed S --eval-games 0
--moves-per-iteration 32` (docs/chess/precision-seedS-f32.csv and -f16.csv), and prints
a JSON summary per run: iterations, median self-play positions/s, the mean loss over
its last five iterations and over the last five that both precisions reached (f16 runs
more iterations in the same minutes), and the first iteration whose value loss is under
0.2.

    python3 docs/chess/precision_plot.py [--seeds 7 8] [--out docs/chess/precision.png]
"""

import argparse
import csv
import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = [("loss", "loss"), ("policy_loss", "policy loss"), ("value_loss", "value loss")]


def read(seed, precision):
    with open(os.path.join(HERE, f"precision-seed{seed}-{precision}.csv")) as rows:
        # The first iteration trains on nothing (its losses are NaN).
        return [row for row in csv.DictReader(rows) if row["loss"] not in ("", "NaN", "nan")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--out", default=os.path.join(HERE, "precision.png"))
    args = parser.parse_args()
    figure, axes = plt.subplots(
        len(args.seeds), len(COLUMNS), figsize=(12, 3.2 * len(args.seeds)), squeeze=False
    )
    summary = []
    for row, seed in enumerate(args.seeds):
        runs = {precision: read(seed, precision) for precision in ("f32", "f16")}
        common = min(int(metrics[-1]["iteration"]) for metrics in runs.values())
        for precision, colour in [("f32", "tab:blue"), ("f16", "tab:orange")]:
            metrics = runs[precision]
            iterations = [int(m["iteration"]) for m in metrics]
            for column, (key, title) in enumerate(COLUMNS):
                axis = axes[row][column]
                axis.plot(iterations, [float(m[key]) for m in metrics], color=colour, label=precision)
                axis.set_title(f"seed {seed}: {title}")
                axis.set_xlabel("iteration")
                axis.grid(alpha=0.3)
            value_under = [int(m["iteration"]) for m in metrics if float(m["value_loss"]) < 0.2]
            summary.append(
                {
                    "seed": seed,
                    "precision": precision,
                    "iterations": iterations[-1],
                    "positions_per_second": round(
                        statistics.median(float(m["positions_per_second"]) for m in metrics)
                    ),
                    "loss_last_5": round(statistics.mean(float(m["loss"]) for m in metrics[-5:]), 3),
                    f"loss_iterations_{common - 4}_{common}": round(
                        statistics.mean(
                            float(m["loss"]) for m in metrics if common - 4 <= int(m["iteration"]) <= common
                        ),
                        3,
                    ),
                    "value_loss_under_0.2_from": value_under[0] if value_under else None,
                }
            )
        axes[row][0].legend()
        axes[row][2].set_ylim(0, 1)
    figure.tight_layout()
    figure.savefig(args.out, dpi=90)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
