#!/usr/bin/env python3
"""What the search's batch does to one move's search: `wgzero uci` searches the same
positions with `--batch` A and B at the same node budget (`go nodes N`), and the script
compares the last `info` line of each search (depth, seldepth, the principal variation's
length) and the moves chosen. The positions are those of seeded uniformly random games,
one at a random ply (4-59) per game, given as `position startpos moves …` so that the
network sees its history.

Prints one JSON object: per batch the mean depth, seldepth and PV length, and how many
positions got the same move from both.

    python3 docs/chess/batch_depth.py [--positions 12] [--nodes 800] [--batches 8,64] \
        [--seed 5] [--wgzero target/release/wgzero] [-- extra `wgzero uci` arguments,
        e.g. --checkpoint RUN --backend cpu]
"""

import argparse
import json
import random
import statistics

import chess
import chess.engine


def positions(count, seed):
    """`count` random games stopped at a random ply, none of them over (each board keeps
    its moves, which python-chess sends as `position startpos moves …`)."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        board = chess.Board()
        for _ in range(rng.randrange(4, 60)):
            moves = list(board.legal_moves)
            if not moves:
                break
            board.push(rng.choice(moves))
        if not board.is_game_over():
            found.append(board)
    return found


def search_all(args, uci_args, batch, games):
    """(depth, seldepth, PV length, move) of each position, searched with `batch`."""
    command = [args.wgzero, "uci", "--batch", str(batch), *uci_args]
    with chess.engine.SimpleEngine.popen_uci(command) as engine:
        found = []
        for board in games:
            result = engine.play(
                board, chess.engine.Limit(nodes=args.nodes), info=chess.engine.INFO_ALL
            )
            info = result.info
            found.append(
                (info["depth"], info["seldepth"], len(info.get("pv", [])), result.move.uci())
            )
        return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--positions", type=int, default=12)
    parser.add_argument("--nodes", type=int, default=800)
    parser.add_argument("--batches", default="8,64")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--wgzero", default="target/release/wgzero")
    parser.add_argument("uci_args", nargs="*")
    args = parser.parse_args()
    batches = [int(batch) for batch in args.batches.split(",")]
    if len(batches) != 2:
        parser.error("--batches takes two batches, e.g. 8,64")
    games = positions(args.positions, args.seed)
    found = {batch: search_all(args, args.uci_args, batch, games) for batch in batches}
    summary = {
        str(batch): {
            "depth": statistics.mean(row[0] for row in rows),
            "seldepth": statistics.mean(row[1] for row in rows),
            "pv_length": statistics.mean(row[2] for row in rows),
        }
        for batch, rows in found.items()
    }
    first, second = (found[batch] for batch in batches)
    summary["same_move"] = sum(a[3] == b[3] for a, b in zip(first, second))
    summary["positions"] = len(games)
    summary["nodes"] = args.nodes
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
