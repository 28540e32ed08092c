#!/usr/bin/env python3
"""How well a chess network's value head predicts the outcome of self-play games it did
not train on: the value `wgzero uci` reports after one node (`go nodes 1`, as `score cp`,
turned back into q ∈ [−1, 1] by inverting lc0's mapping that `wgzero uci` uses) at the
positions of recorded self-play games (`games.jsonl`), each given with its moves so that
the history planes are real, against the game's outcome, both for the side to move.

Prints one JSON object: the mean squared error of q against the outcome next to the
outcome's variance (the error of predicting its mean), the correlations of q with the
outcome and with the material balance, and the same per band of material and per range
of plies. A value head that has learned the games it trained on rather than positions
predicts the training replay well (the run's value loss) and these games poorly.

    python3 docs/chess/value_vs_outcome.py [--every 3] [--wgzero target/release/wgzero] \
        [--checkpoint RUN] games.jsonl[.gz] [...]

docs/chess/selfplay-games.jsonl.gz holds 20 games of iterations 320-940: no replay after
about iteration 956 holds them (networks since iteration 320 trained on some of them
earlier).
"""

import argparse
import json
import math
import statistics

import chess
import chess.engine

from material import BANDS, balance
from selfplay_material import correlation, self_play_games


def q_of(cp):
    """Inverse of `wgzero::uci::centipawns`: 290.680623072 · tan(1.548090806 · q)."""
    return math.atan(cp / 290.680623072) / 1.548090806


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=3, help="probe every this many plies")
    parser.add_argument("--wgzero", default="target/release/wgzero")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--checkpoint", help="the network (`wgzero uci --checkpoint`); default the bundled one")
    parser.add_argument("games", nargs="+", help="games.jsonl files")
    args = parser.parse_args()
    uci_args = ["--checkpoint", args.checkpoint] if args.checkpoint else []
    engine = chess.engine.SimpleEngine.popen_uci([args.wgzero, "uci", *uci_args])
    engine.configure({"Backend": args.backend})
    rows = []  # (material, outcome, q, ply)
    try:
        for record, moves in self_play_games(args.games):
            board = chess.Board()
            for move in moves:
                if board.ply() % args.every == 0:
                    # The recorded outcome is white's.
                    outcome = record["outcome"] if board.turn == chess.WHITE else -record["outcome"]
                    info = engine.analyse(board, chess.engine.Limit(nodes=1))
                    cp = info["score"].relative.score(mate_score=10_000)
                    rows.append((balance(board), outcome, q_of(cp), board.ply()))
                board.push(move)
    finally:
        engine.quit()

    def fit(part):
        outcomes = [z for _, z, _, _ in part]
        return {
            "positions": len(part),
            "mse": round(statistics.mean((z - q) ** 2 for _, z, q, _ in part), 4),
            "outcome_variance": round(statistics.pvariance(outcomes), 4),
            "correlation_q_outcome": correlation([q for _, _, q, _ in part], outcomes),
            "correlation_q_material": correlation([q for _, _, q, _ in part], [m for m, _, _, _ in part]),
        }

    bands = []
    for low, high in BANDS:
        part = [row for row in rows if low <= row[0] < high]
        if part:
            bands.append(
                {
                    "material": f"{low}..{high - 1}",
                    "positions": len(part),
                    "mean_outcome": round(statistics.mean(z for _, z, _, _ in part), 3),
                    "mean_q": round(statistics.mean(q for _, _, q, _ in part), 3),
                }
            )
    by_ply = [
        {"plies": f"{low}..{high - 1}", **fit([row for row in rows if low <= row[3] < high])}
        for low, high in [(0, 60), (60, 150), (150, 10_000)]
        if sum(low <= row[3] < high for row in rows) > 2
    ]
    print(
        json.dumps(
            {
                "uci_args": uci_args,
                **fit(rows),
                "correlation_outcome_material": correlation(
                    [z for _, z, _, _ in rows], [m for m, _, _, _ in rows]
                ),
                "bands": bands,
                "by_ply": by_ply,
            }
        )
    )


if __name__ == "__main__":
    main()
