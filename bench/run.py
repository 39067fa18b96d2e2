"""`make bench`: the figures in the README.

  - NLU intent F1 by k-fold cross-validation, and training time
  - pass rates of the public eval cases and of our held-out cases
  - Rasa direct and the full path (client → gateway → Rasa → action server → SQLite), same
    mixed traffic (procedure questions, follow-ups, status lookups, WeChat XML): p50/p95/p99
    at 1, 16 and 64 concurrent conversations, messages per second, errors, lost or duplicated
    messages, resident memory of each process
  - the gateway's latency overhead at 1 user, and 200 WebSocket sessions at once
  - throughput with one and two Rasa servers on PostgreSQL + Redis (scale-out)
  - the fault scenarios (bench/faults.py)

Ends with the line `full path / rasa direct throughput: R`. Results: bench/results/latest.json.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
import yaml

from bench import faults, traffic, ws_load
from bench.fake_wechat import APPID, SECRET, FakeWeChat
from bot import services, training
from bot.cases import CaseStore
from bot.cases import failures as lookup_failures

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "bench" / "results"
WECHAT_TOKEN = "bench-token"
LEVELS = ((1, 150), (16, 480), (64, 960))  # (concurrent conversations, messages)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total, pids = 0, [pid]
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    pids += [int(p) for p in out.split()]
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
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("rasa")), "train", "--out", out], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.perf_counter() - started, 1)


def eval_cases(url: str, path: Path) -> dict:
    spec = importlib.util.spec_from_file_location("run_cases", SHARED_EVAL / "run_cases.py")
    run_cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_cases)
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    results = [run_cases.run_case(c, url, 30) for c in cases]
    by_category: dict = {}
    for r in results:
        p, n = by_category.get(r["category"], (0, 0))
        by_category[r["category"]] = (p + r["ok"], n + 1)
    passed = sum(r["ok"] for r in results)
    failures = [f"{r['id']}: {t['say']}" for r in results if not r["ok"] for t in r["turns"] if t["problems"]]
    return {"passed": passed, "total": len(results), "rate": round(passed / max(1, len(results)), 3),
            "by_category": {k: f"{p}/{n}" for k, (p, n) in sorted(by_category.items())}, "failures": failures}


def load_levels(send, label: str) -> dict:
    out = {}
    for concurrency, messages in LEVELS:
        r = asyncio.run(traffic.run(send, concurrency, messages))
        out[f"{concurrency}"] = r.summary()
        print(f"{label:12s} {concurrency:3d} conversations: {r.summary()}", flush=True)
    return out


def record_check(var: Path, sent: int) -> dict:
    """Every message the full path accepted is in the gateway's record once, with one bot turn."""
    engine = sa.create_engine(f"sqlite:///{var / 'conversations.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "select m.conversation_id, m.direction from messages m join conversations c on c.id = m.conversation_id "
            "where (c.channel = 'api' and c.user_id like 'bench-%') or c.channel = 'wechat' order by m.id")).all()
    engine.dispose()
    incoming = sum(1 for r in rows if r.direction == "in")
    answered, last = 0, {}
    for r in rows:
        if r.direction == "in":
            last[r.conversation_id] = "waiting"
        elif last.get(r.conversation_id) == "waiting":
            answered += 1
            last[r.conversation_id] = "done"
    return {"sent": sent, "recorded": incoming, "answered": answered, "lost": sent - answered,
            "duplicated": max(0, incoming - sent)}


def gateway_overhead(settings: services.Settings, turns: int = 150) -> dict:
    """One user, the same messages, Rasa direct and through the gateway API in alternating rounds."""
    direct, via = traffic.rasa_direct(settings.rasa_url, settings.channel_secret()), traffic.gateway_api(settings.gateway_url)
    d_all, g_all = traffic.Result(1), traffic.Result(1)
    for round_ in range(5):  # alternate so both see the same machine load
        for send, into in ((direct, d_all), (via, g_all)):
            into.latencies += asyncio.run(traffic.run(send, 1, max(10, turns // 5), seed=round_)).latencies
    figures = {"rasa_direct_p50_ms": d_all.pct(50), "gateway_p50_ms": g_all.pct(50)}
    figures["overhead_p50_ms"] = round(figures["gateway_p50_ms"] - figures["rasa_direct_p50_ms"], 2)
    return figures


def scale_out(model: Path) -> dict:
    """Saturation throughput through the gateway with one and with two Rasa servers."""
    sys.path.insert(0, str(ROOT / "tests"))
    from scale_helpers import scratch_database

    figures = {}
    for servers in (1, 2):
        with tempfile.TemporaryDirectory() as var, scratch_database() as (_, url, env):
            var = Path(var)
            env.update(CONVERSATIONS_DB_URL=url, CASES_DB_URL=url)
            base = services.Settings(var_dir=var, actions_port=services.free_port(), gateway_port=services.free_port(),
                                     endpoints=ROOT / "endpoints.scale.yml", extra_env=env)
            ports = [services.free_port() for _ in range(servers)]
            base.extra_env["RASA_URL"] = ",".join(f"http://127.0.0.1:{p}" for p in ports)
            CaseStore(url).import_csv(traffic.bench_cases_csv())
            procs = [services.action_server(base).start()]
            for i, port in enumerate(ports):
                s = services.Settings(var_dir=var / f"rasa{i}", rasa_port=port, actions_port=base.actions_port,
                                      endpoints=base.endpoints, extra_env=env)
                procs.append(services.rasa_server(s, model).start())
            try:
                for p in procs:
                    p.wait_ready()
                procs.append(services.gateway(base).start())
                procs[-1].wait_ready()
                send = traffic.gateway_api(base.gateway_url)
                asyncio.run(traffic.run(send, 8, 40))  # warm up
                r = asyncio.run(traffic.run(send, 32, 640))
                figures[f"{servers}_rasa"] = r.summary()
                print(f"scale-out, {servers} Rasa server(s): {r.summary()}", flush=True)
            finally:
                services.stop_all(procs)
    one, two = figures["1_rasa"]["messages_per_s"], figures["2_rasa"]["messages_per_s"]
    figures["throughput_ratio_2_over_1"] = round(two / one, 2) if one else None
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-training", action="store_true", help="skip training time and cross-validation")
    parser.add_argument("--skip-scale", action="store_true", help="skip the PostgreSQL/Redis scale-out run")
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--skip-eval", action="store_true", help="skip the public and held-out conversation cases")
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
    fake = FakeWeChat(services.free_port())
    with tempfile.TemporaryDirectory() as var:
        var = Path(var)
        settings = services.Settings(var_dir=var, rasa_port=services.free_port(), actions_port=services.free_port(),
                                     gateway_port=services.free_port(),
                                     extra_env={"WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APPID": APPID,
                                                "WECHAT_APPSECRET": SECRET, "WECHAT_API_BASE": fake.base})
        store = CaseStore(f"sqlite:///{var / 'cases.db'}")
        store.import_csv(traffic.bench_cases_csv())
        if (SHARED_EVAL / "public_cases.csv").exists():
            store.import_csv((SHARED_EVAL / "public_cases.csv").read_bytes())
        procs = services.start_all(settings, model)
        try:
            url = f"{settings.gateway_url}/api/messages"  # the held-out sets through the gateway, as users come
            if (SHARED_EVAL / "public_cases.yml").exists() and not args.skip_eval:
                results["public_cases"] = eval_cases(url, SHARED_EVAL / "public_cases.yml")
                print(f"public cases: {results['public_cases']['passed']}/{results['public_cases']['total']}", flush=True)
            for name in [] if args.skip_eval else sorted(p.stem for p in (ROOT / "bench").glob("heldout_cases*.yml")):
                with store.engine.begin() as conn:  # each file is its own visitors: earlier files'
                    conn.execute(lookup_failures.delete())  # wrong names must not lock these out
                results[name] = eval_cases(url, ROOT / "bench" / f"{name}.yml")
                print(f"{name}: {results[name]['passed']}/{results[name]['total']}", flush=True)

            direct = traffic.rasa_direct(settings.rasa_url, settings.channel_secret())
            full = traffic.mixed((traffic.gateway_api(settings.gateway_url), 0.7),
                                 (traffic.gateway_wechat(settings.gateway_url, WECHAT_TOKEN), 0.3))
            asyncio.run(traffic.run(direct, 8, 60))  # warm up both paths
            asyncio.run(traffic.run(full, 8, 60))
            results["rasa_direct"] = load_levels(direct, "rasa direct")
            results["full_path"] = load_levels(full, "full path")
            sent = 60 + sum(m for _, m in LEVELS)
            results["full_path_record"] = record_check(var, sent)
            print(f"full path record: {results['full_path_record']}", flush=True)
            results["rss_mb"] = {p.name: rss_mb(p.popen.pid) for p in procs}
            print(f"resident memory: {results['rss_mb']}", flush=True)
            results["gateway_overhead"] = gateway_overhead(settings)
            print(f"gateway overhead at 1 user: {results['gateway_overhead']}", flush=True)
            ws = asyncio.run(ws_load.run(settings.gateway_url, sessions=200, turns=3))
            results["websocket_200_sessions"] = ws.summary()
            print(f"200 WebSocket sessions: {ws.summary()}", flush=True)
        finally:
            services.stop_all(procs)
            fake.close()

    if not args.skip_scale:
        results["scale_out"] = scale_out(model)
    if not args.skip_faults:
        with tempfile.TemporaryDirectory() as d:
            results["faults"] = {"rasa_killed": faults.rasa_killed_and_restarted(Path(d) / "a"),
                                 "action_server_down": faults.action_server_down(Path(d) / "b"),
                                 "gateway_killed_during_import": faults.gateway_killed_during_import(Path(d) / "c")}
        print(f"faults: {json.dumps(results['faults'], ensure_ascii=False)}", flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    saturation_direct = max(v["messages_per_s"] for v in results["rasa_direct"].values())
    saturation_full = max(v["messages_per_s"] for v in results["full_path"].values())
    print(f"written {RESULTS / 'latest.json'}")
    print(f"full path / rasa direct throughput: {saturation_full / saturation_direct:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
