"""`make bench`: the figures in the README.

  - NLU intent F1 by k-fold cross-validation (rasa test nlu --cross-validation)
  - training time of the whole model
  - pass rates of the public eval cases and of our held-out cases (bench/heldout_cases.yml)
  - per-message latency p50/p99 at 1 and 16 concurrent users, messages per second,
    through Rasa's REST webhook
  - resident memory of Rasa and of the action server

Results are printed and written to bench/results/latest.json.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import asyncio

from bench import load, ws_load
from bot import services, training
from bot.cases import CaseStore

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "bench" / "results"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def cross_validation(folds: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(Path(sys.executable).with_name("rasa")), "test", "nlu", "--nlu", "data", "--config", "config.yml",
               "--cross-validation", "--folds", str(folds), "--out", out]
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = json.loads((Path(out) / "intent_report.json").read_text())
    avg = report["weighted avg"]
    return {"folds": folds, "intent_f1": round(avg["f1-score"], 3), "intent_precision": round(avg["precision"], 3),
            "accuracy": round(report.get("accuracy", 0), 3)}


def training_time() -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("rasa")), "train", "--out", out], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.perf_counter() - start, 1)


def eval_cases(url: str, path: Path, skip_categories=()) -> dict:
    spec = importlib.util.spec_from_file_location("run_cases", SHARED_EVAL / "run_cases.py")
    run_cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_cases)
    cases = [c for c in yaml.safe_load(path.read_text(encoding="utf-8")) if c.get("category") not in skip_categories]
    results = [run_cases.run_case(c, url, 30) for c in cases]
    by_category: dict = {}
    for r in results:
        p, n = by_category.get(r["category"], (0, 0))
        by_category[r["category"]] = (p + r["ok"], n + 1)
    passed = sum(r["ok"] for r in results)
    failures = [f"{r['id']}: {t['say']}" for r in results if not r["ok"] for t in r["turns"] if t["problems"]]
    return {"passed": passed, "total": len(results), "rate": round(passed / max(1, len(results)), 3),
            "by_category": {k: f"{p}/{n}" for k, (p, n) in sorted(by_category.items())}, "failures": failures}


def gateway_figures(settings: services.Settings, turns: int) -> dict:
    """The gateway's cost over Rasa direct (interleaved, same messages), and many sockets at once."""
    direct = load.rest_sender(f"{settings.rasa_url}/webhooks/rest/webhook")
    via = load.rest_sender(f"{settings.gateway_url}/api/messages")
    d_all, g_all = load.LoadResult(1), load.LoadResult(1)
    for _ in range(5):  # alternate in rounds so both see the same machine load
        for sender, into in ((direct, d_all), (via, g_all)):
            r = load.run(sender, 1, max(10, turns // 5))
            into.latencies += r.latencies
            into.errors += r.errors
    figures = {"rasa_direct_1_user_p50_ms": round(d_all.percentile(50) * 1000, 2),
               "gateway_1_user_p50_ms": round(g_all.percentile(50) * 1000, 2)}
    figures["overhead_p50_ms"] = round(figures["gateway_1_user_p50_ms"] - figures["rasa_direct_1_user_p50_ms"], 2)
    print(f"gateway overhead: {figures}", flush=True)
    ws = asyncio.run(ws_load.run(settings.gateway_url, sessions=200, turns=3))
    figures["websocket_200_sessions"] = ws.summary()
    print(f"200 WebSocket sessions: {ws.summary()}", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-training", action="store_true", help="skip training time and cross-validation")
    parser.add_argument("--turns", type=int, default=150, help="messages per measurement at 1 user")
    args = parser.parse_args()
    os.environ.setdefault("HELPDESK_TODAY", "2026-11-24")
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}

    if not args.skip_training:
        print("training time …", flush=True)
        results["training_seconds"] = training_time()
        print(f"  {results['training_seconds']} s\ncross-validation ({args.folds} folds) …", flush=True)
        results["nlu"] = cross_validation(args.folds)
        print(f"  {results['nlu']}", flush=True)

    model = training.train()
    with tempfile.TemporaryDirectory() as var:
        settings = services.Settings(var_dir=Path(var), rasa_port=services.free_port(), actions_port=services.free_port(),
                                     gateway_port=services.free_port())
        if (SHARED_EVAL / "public_cases.csv").exists():
            CaseStore(f"sqlite:///{Path(var) / 'cases.db'}").import_csv((SHARED_EVAL / "public_cases.csv").read_bytes())
        procs = services.start_all(settings, model)
        try:
            url = f"{settings.rasa_url}/webhooks/rest/webhook"
            if (SHARED_EVAL / "public_cases.yml").exists():
                results["public_cases"] = eval_cases(url, SHARED_EVAL / "public_cases.yml")
                print(f"public cases: {results['public_cases']['passed']}/{results['public_cases']['total']}")
            results["heldout_cases"] = eval_cases(url, ROOT / "bench" / "heldout_cases.yml")
            print(f"held-out cases: {results['heldout_cases']['passed']}/{results['heldout_cases']['total']}")
            send = load.rest_sender(url)
            load.run(send, 4, 10)  # warm up
            results["rasa_direct"] = {}
            for users, turns in ((1, args.turns), (16, max(10, args.turns // 8))):
                r = load.run(send, users, turns)
                results["rasa_direct"][f"{users}_users"] = r.summary()
                print(f"rasa direct, {users} users: {r.summary()}", flush=True)
            results["gateway"] = gateway_figures(settings, args.turns)
            results["rss_mb"] = {p.name: rss_mb(p.popen.pid) for p in procs}
            print(f"resident memory: {results['rss_mb']}")
        finally:
            services.stop_all(procs)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
