"""The conversation core's own time per turn, beside an earlier version's, in one run.

    python -m bench.core [--against REV] [--rounds N]

Replays the held-out conversations (bench/heldout_cases*.yml, every turn, intent unknown) through
`bot.dialogue.Responder.respond` in-process, as the action server calls it, and reports the
median and p95 milliseconds per turn, and the time of a turn deep in a long conversation (turn
30 of one conversation made of many questions). The earlier version (default: the commit
before the conversation-core rebuild) is checked out with `git archive` into a temporary
folder and timed the same way in a subprocess, alternating rounds with the current code so
that both see the same machine load. Machines here vary 2x between runs: compare the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_CORE = "2fca357"  # the last commit before the conversation-core rebuild
TODAY = date(2026, 12, 4)
DEEP_TURN = 30


def conversations() -> list:
    import yaml
    convs = []
    for path in sorted((ROOT / "bench").glob("heldout_cases*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            convs.append([t["say"] for t in case["turns"]])
    return convs


def time_core(convs: list) -> dict:
    """Per-turn milliseconds of the core importable from sys.path (run in its own process)."""
    from bot import knowledge, understand
    from bot.dialogue import Responder, State, Turn
    from bot.normalise import normalise
    responder = Responder(knowledge.default(), understand.default())
    per_turn = []
    for conv in convs:
        state = State()
        for say in conv:
            text = normalise(say)
            t0 = time.perf_counter()
            state = responder.respond(Turn(text=text), state, TODAY).state
            per_turn.append((time.perf_counter() - t0) * 1000)
    deep_questions = [say for conv in convs if len(conv) == 1 for say in conv][:DEEP_TURN]
    state, deep = State(), 0.0
    for i, say in enumerate(deep_questions):  # one long conversation: the state as it is by turn 30
        t0 = time.perf_counter()
        state = responder.respond(Turn(text=normalise(say)), state, TODAY).state
        if i == len(deep_questions) - 1:
            deep = (time.perf_counter() - t0) * 1000
    per_turn.sort()
    return {"turns": len(per_turn), "p50_ms": round(statistics.median(per_turn), 3),
            "p95_ms": round(per_turn[int(len(per_turn) * 0.95)], 3), "mean_ms": round(statistics.mean(per_turn), 3),
            "turn_30_ms": round(deep, 3)}


def checkout(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", rev, "bot", "knowledge"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into)


def run_in(path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(path), HELPDESK_TODAY=TODAY.isoformat())
    out = subprocess.run([sys.executable, "-m", "bench.core", "--child"], cwd=path, env=env, check=True,
                         capture_output=True, text=True, input=json.dumps(conversations())).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", default=OLD_CORE)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(time_core(json.loads(sys.stdin.read()))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        checkout(a.against, old)
        (old / "bench").mkdir()
        (old / "bench" / "__init__.py").write_text("")
        (old / "bench" / "core.py").write_text(Path(__file__).read_text(encoding="utf-8"))
        results = {"new": [], "old": []}
        for _ in range(a.rounds):  # alternate, so both see the same load
            results["new"].append(run_in(ROOT))
            results["old"].append(run_in(old))
    best = {k: min(v, key=lambda r: r["p50_ms"]) for k, v in results.items()}
    for name in ("old", "new"):
        r = best[name]
        print(f"{name} core ({a.against if name == 'old' else 'HEAD'}): {r['turns']} turns, p50 {r['p50_ms']} ms, "
              f"p95 {r['p95_ms']} ms, mean {r['mean_ms']} ms, turn {DEEP_TURN} {r['turn_30_ms']} ms")
    print(f"new / old per-turn p50: {best['new']['p50_ms'] / best['old']['p50_ms']:.2f}, "
          f"mean: {best['new']['mean_ms'] / best['old']['mean_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
