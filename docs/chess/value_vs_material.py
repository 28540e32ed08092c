#!/usr/bin/env python3
"""How much a chess network's value head sees material: the value `wgzero uci` reports
after one node (`go nodes 1`: the network's value of the position, as `score cp`)
against the material balance (pawn 1, knight and bishop 3, rook 5, queen 9), both from
the side to move's view, over positions of seeded uniformly random games at every depth
(each position given as `position startpos moves …`, so the network sees its history).

Prints one JSON object: the mean score per band of material balance and the correlation
of score with balance.

    python3 docs/chess/value_vs_material.py [--games 40] [--every 4] [--seed 1] \
        [--wgzero target/release/wgzero] [-- extra `wgzero uci` arguments, e.g.
        --checkpoint RUN]
"""

import argparse
import json
import random
import statistics

import chess
import chess.engine

from material import BANDS, balance


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--every", type=int, default=4, help="probe every this many plies")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wgzero", default="target/release/wgzero")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("uci_args", nargs="*", help="extra `wgzero uci` arguments")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    engine = chess.engine.SimpleEngine.popen_uci([args.wgzero, "uci", *args.uci_args])
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
    print(
        json.dumps(
            {
                "positions": len(samples),
                "games": args.games,
                "seed": args.seed,
                "uci_args": args.uci_args,
                "bands": bands,
                "correlation": round(statistics.correlation(materials, scores), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
