"""Drives `wgzero uci` through python-chess, an independent UCI client and rules library.

Usage: play.py ENGINE_COMMAND_JSON TASK; prints one JSON line with what it saw. Tasks:
  self      the engine plays itself to the game's end (python-chess's rules, draws
            claimable by threefold or fifty moves) or 300 plies
  random    the engine against a uniform random mover (seeded), to the end or 300 plies
  movetime  five `go movetime 200` searches, each answer's latency
  infinite  `go infinite`, then `stop` after 0.5 s: the latency of the answer
Every engine move is checked legal by python-chess (it raises on an illegal bestmove).
"""

import json
import random
import sys
import time

import chess
import chess.engine

PLY_CAP = 300


def play(engine, opponent):
    board = chess.Board()
    infos = 0
    while not board.is_game_over(claim_draw=True) and board.ply() < PLY_CAP:
        if opponent is not None and board.turn == chess.BLACK:
            board.push(opponent(board))
            continue
        result = engine.play(board, chess.engine.Limit(nodes=24), info=chess.engine.INFO_ALL)
        if result.move is None or result.move not in board.legal_moves:
            raise SystemExit(f"illegal or missing move {result.move} in {board.fen()}")
        if "score" in result.info and "nodes" in result.info:
            infos += 1
        board.push(result.move)
    outcome = board.outcome(claim_draw=True)
    return {
        "plies": board.ply(),
        "over": board.is_game_over(claim_draw=True),
        "result": board.result(claim_draw=True),
        "termination": outcome.termination.name if outcome else None,
        "moves_with_info": infos,
    }


def latencies_movetime(engine):
    board = chess.Board()
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        result = engine.play(board, chess.engine.Limit(time=0.2))
        latencies.append(time.monotonic() - started)
        board.push(result.move)
    return {"latencies": latencies}


def latency_infinite(engine):
    board = chess.Board()
    with engine.analysis(board) as analysis:
        time.sleep(0.5)
        started = time.monotonic()
        analysis.stop()
        best = analysis.wait()
        latency = time.monotonic() - started
    if best.move not in board.legal_moves:
        raise SystemExit(f"illegal move {best.move}")
    return {"latency": latency, "nodes": analysis.info.get("nodes", 0)}


def main():
    command = json.loads(sys.argv[1])
    task = sys.argv[2]
    engine = chess.engine.SimpleEngine.popen_uci(command)
    try:
        if task == "self":
            report = play(engine, None)
        elif task == "random":
            rng = random.Random(25)
            report = play(engine, lambda board: rng.choice(list(board.legal_moves)))
        elif task == "movetime":
            report = latencies_movetime(engine)
        elif task == "infinite":
            report = latency_infinite(engine)
        else:
            raise SystemExit(f"unknown task {task}")
        report["engine_name"] = engine.id.get("name")
    finally:
        engine.quit()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
