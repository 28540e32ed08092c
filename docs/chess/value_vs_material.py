#!/usr/bin/env python3
"""How much a chess network's value head sees material: the value `wgzero uci` reports
after one node (`go nodes 1`: the network's value of the position, as `score cp`)
against the material balance (pawn 1, knight and bishop 3, rook 5, queen 9), both from
the side to move's view, over positions of seeded uniformly random games at every depth
(each position given as `position startpos moves …`, so the network sees its history).

Prints one JSON object: the mean score per band of material balance and the correlation
of score with balance. With `--against CHECKPOINT`, that checkpoint is probed on the same
positions too, and the difference of the two correlations (this network's minus the
other's) gets a 95 % interval from resampling the positions.

    python3 docs/chess/value_vs_material.py [--games 40] [--every 4] [--seed 1] \
        [--wgzero target/release/wgzero] [--against CHECKPOINT] [-- extra `wgzero uci`
        arguments, e.g. --checkpoint RUN]
"""

import argparse
import json
import random
import statistics

import chess
import chess.engine

from material import BANDS, balance


def probe(args, uci_args):
    """(material balance, score in cp) of every probed position, for one network."""
    rng = random.Random(args.seed)
    engine = chess.engine.SimpleEngine.popen_uci([args.wgzero, "uci", *uci_args])
    engine.configure({"Backend": args.backend})
    samples = []
    try:
        for _ in range(args.games):
            board = chess.Board()
            while not board.is_game_over(claim_draw=True):
                board.push(rng.choice(list(board.legal_moves)))
                if board.ply() % args.every or board.is_game_over(claim_draw=True):
                    continue
                info = engine.analyse(board, chess.engine.Limit(nodes=1))
                score = info["score"].relative.score(mate_score=10_000)
                samples.append((balance(board), score))
    finally:
        engine.quit()
    return samples


def summary(samples):
    bands = []
    for low, high in BANDS:
        scores = [score for material, score in samples if low <= material < high]
        bands.append(
            {
                "material": f"{low}..{high - 1}",
                "positions": len(scores),
                "mean_cp": round(statistics.mean(scores), 1) if scores else None,
            }
        )
    materials = [material for material, _ in samples]
    scores = [score for _, score in samples]
    return {"bands": bands, "correlation": round(statistics.correlation(materials, scores), 3)}


def paired_difference(first, second, resamples=2000):
    """The second network's correlation minus the first's over the same positions, with a
    95 % interval from resampling the positions (both networks' scores together)."""
    materials = [material for material, _ in first]
    rng = random.Random(7)
    positions = range(len(materials))
    differences = []
    for _ in range(resamples):
        drawn = [rng.choice(positions) for _ in positions]
        balance_drawn = [materials[i] for i in drawn]
        differences.append(
            statistics.correlation(balance_drawn, [second[i][1] for i in drawn])
            - statistics.correlation(balance_drawn, [first[i][1] for i in drawn])
        )
    differences.sort()
    difference = statistics.correlation(materials, [s for _, s in second]) - statistics.correlation(
        materials, [s for _, s in first]
    )
    return {
        "correlation_difference": round(difference, 3),
        "interval_95": [
            round(differences[int(0.025 * resamples)], 3),
            round(differences[int(0.975 * resamples) - 1], 3),
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--every", type=int, default=4, help="probe every this many plies")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wgzero", default="target/release/wgzero")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument(
        "--against",
        metavar="CHECKPOINT",
        help="also probe this checkpoint on the same positions and compare the correlations",
    )
    parser.add_argument("uci_args", nargs="*", help="extra `wgzero uci` arguments")
    args = parser.parse_args()

    samples = probe(args, args.uci_args)
    result = {
        "positions": len(samples),
        "games": args.games,
        "seed": args.seed,
        "uci_args": args.uci_args,
        **summary(samples),
    }
    if args.against:
        other = probe(args, ["--checkpoint", args.against])
        assert [m for m, _ in other] == [m for m, _ in samples], "the same positions"
        result["against"] = {"checkpoint": args.against, **summary(other)}
        # Positive: the first network (uci_args) sees material better than --against.
        result.update(paired_difference(other, samples))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
