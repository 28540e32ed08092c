"""Material balance for the chess measuring scripts in this folder."""

import chess

# Pawn 1, knight and bishop 3, rook 5, queen 9.
VALUES = {
    chess.PAWN: 1,
    chess.KNIGHT: 3,
    chess.BISHOP: 3,
    chess.ROOK: 5,
    chess.QUEEN: 9,
    chess.KING: 0,
}


def balance(board):
    """Material of the side to move minus the other side's."""
    return sum(
        VALUES[piece.piece_type] * (1 if piece.color == board.turn else -1)
        for piece in board.piece_map().values()
    )


# Bands of material balance the scripts report, [low, high).
BANDS = [(-99, -10), (-10, -3), (-3, 4), (4, 11), (11, 99)]
