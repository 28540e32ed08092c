#!/usr/bin/env python3
"""What a chess run's replay teaches its value head about material: over the replay saved
with its checkpoint (`checkpoints/replay.safetensors`, the newest positions of the GPU
replay ring as compact records, docs/CHESS.md), each record's value target against the
material balance (pawn 1, knight and bishop 3, rook 5, queen 9), both for the side to move.

The record's layout is read from the file's metadata ("compact records: S state words, L
listed actions, …"): the search state first, whose first 22 words are the position
(`GpuPosition`: eight bitboards as (low, high) words — pawns, knights, bishops, rooks,
queens, kings, white, black — the key, then the info word, bit 0 black to move), and the
value target from the mover's view last.

    python3 docs/chess/replay_material.py RUN/checkpoints/replay.safetensors
"""

import argparse
import json
import re
import statistics
import struct

import chess

from material import BANDS, VALUES

# The piece values in the order of the position's first five bitboards.
BOARD_VALUES = [VALUES[piece] for piece in (chess.PAWN, chess.KNIGHT, chess.BISHOP, chess.ROOK, chess.QUEEN)]


def records(path):
    """(layout text, list of records as lists of u32)."""
    with open(path, "rb") as file:
        header_length = struct.unpack("<Q", file.read(8))[0]
        header = json.loads(file.read(header_length))
        entry = header["records"]
        assert entry["dtype"] == "U32", entry
        count, words = entry["shape"]
        data = file.read()[entry["data_offsets"][0] : entry["data_offsets"][1]]
    flat = struct.unpack(f"<{count * words}I", data)
    return header["__metadata__"]["layout"], [flat[i * words : (i + 1) * words] for i in range(count)]


def mover_balance(record):
    boards = [record[2 * i] | record[2 * i + 1] << 32 for i in range(8)]
    white, black = boards[6], boards[7]
    material = [sum(v * bin(boards[k] & colour).count("1") for k, v in enumerate(BOARD_VALUES)) for colour in (white, black)]
    black_to_move = record[18] & 1
    return material[1] - material[0] if black_to_move else material[0] - material[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("replay")
    args = parser.parse_args()
    layout, rows = records(args.replay)
    assert re.match(r"compact records: \d+ state words", layout), layout
    samples = [(mover_balance(r), struct.unpack("<f", struct.pack("<I", r[-1]))[0]) for r in rows]
    bands = []
    for low, high in BANDS:
        targets = [z for m, z in samples if low <= m < high]
        if targets:
            bands.append(
                {
                    "material": f"{low}..{high - 1}",
                    "positions": len(targets),
                    "mean_target": round(statistics.mean(targets), 3),
                }
            )
    targets = [z for _, z in samples]
    print(
        json.dumps(
            {
                "positions": len(samples),
                "decisive": round(sum(z != 0 for z in targets) / len(targets), 3),
                "correlation": round(statistics.correlation([m for m, _ in samples], targets), 3),
                "bands": bands,
            }
        )
    )


if __name__ == "__main__":
    main()
