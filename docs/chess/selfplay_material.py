#!/usr/bin/env python3
"""What a chess run's self-play teaches its value head about material: over the self-play
games a run recorded (`games.jsonl`, `wgzero train --record-games`), the game's outcome
(the value target) against the material balance (pawn 1, knight and bishop 3, rook 5,
queen 9), both from the side to move's view, at every position, and how the games ended.

The recorded actions are decoded with an encoding written here from docs/CHESS.md
("Action encoding"), independently of the Rust one: each position's legal moves (python-
chess) are encoded and the recorded action must name exactly one of them.

    python3 docs/chess/selfplay_material.py [--from-iteration 300] games.jsonl[.gz] […]

docs/chess/selfplay-games.jsonl.gz holds the 20 self-play games the chess run recorded in
iterations 320-940 (docs/CHESS.md quotes this script over them).
"""

import argparse
import collections
import gzip
import json
import statistics

import chess

from material import BANDS, balance

DIRECTIONS = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]
KNIGHT = [(1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2)]
UNDER = {chess.KNIGHT: 0, chess.BISHOP: 1, chess.ROOK: 2}


def action(board, move):
    """The move's action (origin × 73 + move type), squares seen from the mover."""
    origin, target = move.from_square, move.to_square
    if board.turn == chess.BLACK:
        origin, target = origin ^ 56, target ^ 56
    files = target % 8 - origin % 8
    ranks = target // 8 - origin // 8
    if move.promotion in UNDER:
        return origin * 73 + 64 + 3 * (files + 1) + UNDER[move.promotion]
    if (files, ranks) in KNIGHT:
        return origin * 73 + 56 + KNIGHT.index((files, ranks))
    distance = max(abs(files), abs(ranks))
    direction = DIRECTIONS.index((files // distance if files else 0, ranks // distance if ranks else 0))
    return origin * 73 + direction * 7 + distance - 1


def self_play_games(paths, from_iteration=0):
    """Each self-play game recorded in the games.jsonl files `paths` (gzipped where they end
    in .gz) from `from_iteration` on: (its record, its moves), each move the one legal move
    its recorded action names."""
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as lines:
            for line in lines:
                record = json.loads(line)
                if record["source"]["kind"] != "self_play" or record["iteration"] < from_iteration:
                    continue
                board = chess.Board()
                moves = []
                for step in record["moves"]:
                    named = [m for m in board.legal_moves if action(board, m) == step["action"]]
                    assert len(named) == 1, (record["iteration"], board.fen(), step["action"])
                    moves.append(named[0])
                    board.push(named[0])
                yield record, moves


def correlation(xs, ys):
    """Pearson's correlation, or None where either side is constant (all draws)."""
    try:
        return round(statistics.correlation(xs, ys), 3)
    except statistics.StatisticsError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-iteration", type=int, default=0)
    parser.add_argument("games", nargs="+")
    args = parser.parse_args()
    samples = []  # (balance, outcome, ply)
    games = 0
    endings = collections.Counter()
    for record, moves in self_play_games(args.games, args.from_iteration):
        games += 1
        board = chess.Board()
        positions = []
        for move in moves:
            positions.append((balance(board), board.turn, board.ply()))
            board.push(move)
        ending = board.outcome(claim_draw=True)
        endings[ending.termination.name.lower() if ending else "ply cap"] += 1
        # The recorded outcome is player 0's (white's).
        for material, turn, ply in positions:
            outcome = record["outcome"] if turn == chess.WHITE else -record["outcome"]
            samples.append((material, outcome, ply))
    bands = []
    for low, high in BANDS:
        outcomes = [z for m, z, _ in samples if low <= m < high]
        if outcomes:
            bands.append(
                {
                    "material": f"{low}..{high - 1}",
                    "positions": len(outcomes),
                    "mean_outcome": round(statistics.mean(outcomes), 3),
                    "won": round(sum(z > 0 for z in outcomes) / len(outcomes), 3),
                    "lost": round(sum(z < 0 for z in outcomes) / len(outcomes), 3),
                }
            )
    by_ply = []
    for low, high in [(0, 60), (60, 150), (150, 10_000)]:
        part = [(m, z) for m, z, p in samples if low <= p < high]
        if len(part) > 2:
            by_ply.append(
                {
                    "plies": f"{low}..{high - 1}",
                    "positions": len(part),
                    "correlation": correlation([m for m, _ in part], [z for _, z in part]),
                }
            )
    print(
        json.dumps(
            {
                "games": games,
                "positions": len(samples),
                "correlation": correlation([m for m, _, _ in samples], [z for _, z, _ in samples]),
                "endings": dict(endings.most_common()),
                "bands": bands,
                "by_ply": by_ply,
            }
        )
    )


if __name__ == "__main__":
    main()
