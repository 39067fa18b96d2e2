"""Fault scenarios, each on its own stack under a temporary var/. The tests
(tests/test_faults.py) assert what must hold; `make bench` prints the same figures for the
README."""
from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple

import sqlalchemy as sa

from bot import services, training
from bot.cases import COLUMNS, CaseStore

ROOT = Path(__file__).resolve().parent.parent


def post(url: str, message: str, sender: str, timeout: float = 30) -> Tuple[int, list, float]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    req = urllib.request.Request(url + "/api/messages", data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), time.monotonic() - started
    except urllib.error.HTTPError as e:
        return e.code, [], time.monotonic() - started


def text_of(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def stack(var: Path, with_gateway: bool = True):
    settings = services.Settings(var_dir=var, rasa_port=services.free_port(), actions_port=services.free_port(),
                                 gateway_port=services.free_port())
    settings.extra_env["RASA_TIMEOUT"] = "3"
    procs = services.start_all(settings, training.model_path(), with_gateway=with_gateway)
    return settings, procs


def rasa_killed_and_restarted(var: Path) -> Dict:
    """Kill Rasa mid-conversation, talk to the gateway while it is down, start it again."""
    settings, procs = stack(var)
    actions, rasa, gateway = procs
    figures: Dict = {}
    try:
        sender = "fault-rasa"
        figures["before"] = "延续" in text_of(post(settings.gateway_url, "延续注册怎么办理", sender)[1])
        rasa.kill()
        status, reply, seconds = post(settings.gateway_url, "那要带什么材料", sender)
        figures["while_down"] = {"status": status, "seconds": round(seconds, 2), "busy_notice": "服务暂时繁忙" in text_of(reply),
                                 "phones": "88381873" in text_of(reply)}
        restarted = time.monotonic()
        rasa.start()
        rasa.wait_ready()
        figures["restart_seconds"] = round(time.monotonic() - restarted, 1)
        after = text_of(post(settings.gateway_url, "那要带什么材料", sender)[1])
        figures["slots_survived"] = "延续注册申请表原件" in after and "一寸照" not in after
        from bot.gateway.store import ConversationStore
        store = ConversationStore(f"sqlite:///{var / 'conversations.db'}")
        conv = store.conversation("api", sender, create=False)
        sent = [(m["text"], m["status"]) for m in store.history(conv.id) if m["direction"] == "in"]
        figures["recorded"] = sent
    finally:
        services.stop_all(procs)
    return figures


def action_server_down(var: Path) -> Dict:
    settings, procs = stack(var)
    actions = procs[0]
    figures: Dict = {}
    try:
        actions.kill()
        status, reply, seconds = post(settings.gateway_url, "监理锁怎么申请", "fault-actions")
        figures["while_down"] = {"status": status, "seconds": round(seconds, 2),
                                 "notice": "暂时无法为您查询" in text_of(reply), "phones": "88381756" in text_of(reply)}
        actions.start()
        actions.wait_ready()
        figures["recovered"] = "88381756" in text_of(post(settings.gateway_url, "监理锁怎么申请", "fault-actions")[1])
    finally:
        services.stop_all(procs)
    return figures


def _csv(rows: int, stage: str, start: int = 0) -> bytes:
    lines = [",".join(COLUMNS)]
    for i in range(start, start + rows):
        lines.append(f"ZJ2027{i:06d},申请人{i},{i % 10000:04d},测试监理有限公司{i % 97},初始注册,{stage},2026-11-20,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def gateway_killed_during_import(var: Path, rows: int = 20000, attempts: int = 8) -> Dict:
    """Upload a big CSV through the console and kill the gateway at different moments."""
    import requests
    sys.path.insert(0, str(ROOT / "tests"))
    from console_helpers import ConsoleClient, add_staff

    settings = services.Settings(var_dir=var, rasa_port=1, gateway_port=services.free_port())
    add_staff(var, "importer", "admin", "importer-pass-1")
    db_url = f"sqlite:///{var / 'cases.db'}"
    CaseStore(db_url).import_csv(_csv(rows, "已受理"))  # the old data
    new_data = _csv(rows, "已公告") + b"".join(_csv(rows // 4, "已上报", start=rows).split(b"\n", 1)[1:])
    outcomes = {"old": 0, "new": 0, "half": 0}
    durations = []

    def state() -> str:
        engine = sa.create_engine(db_url)
        with engine.connect() as conn:
            total = conn.execute(sa.text("select count(*) from cases")).scalar()
            published = conn.execute(sa.text("select count(*) from cases where stage = '已公告'")).scalar()
        engine.dispose()
        if total == rows and published == 0:
            return "old"
        if total == rows + rows // 4 and published == rows:
            return "new"
        return "half"

    def upload(client, result):
        try:
            result.append(client.post("/console/cases/import", files={"file": ("big.csv", new_data, "text/csv")}, timeout=120))
        except requests.RequestException as e:
            result.append(e)

    def restore_old() -> None:
        CaseStore(db_url).import_csv(_csv(rows, "已受理"))
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"delete from case_history where case_no >= 'ZJ2027{rows:06d}'"))
            conn.execute(sa.text(f"delete from cases where case_no >= 'ZJ2027{rows:06d}'"))
        engine.dispose()

    def attempt(kill_after=None) -> float:
        gw = services.gateway(settings).start()
        gw.wait_ready()
        client = ConsoleClient(settings.gateway_url)
        client.login("importer", "importer-pass-1")
        result: List = []
        t = threading.Thread(target=upload, args=(client, result))
        started = time.monotonic()
        t.start()
        if kill_after is None:
            t.join(120)
            gw.stop()
        else:
            time.sleep(kill_after)
            gw.kill()
            t.join(30)
        return time.monotonic() - started

    # how long a whole upload takes through the gateway, to spread the kills over it
    whole = attempt()
    assert state() == "new", "the calibration upload should have imported everything"
    restore_old()
    for i in range(attempts):
        delay = whole * (0.05 + 1.0 * i / max(1, attempts - 1))
        attempt(kill_after=delay)
        durations.append(round(delay, 2))
        outcome = state()
        outcomes[outcome] += 1
        if outcome == "new":  # put the old data back for the next attempt
            restore_old()
    return {"rows_old": rows, "rows_new_file": rows + rows // 4, "import_seconds": round(whole, 2),
            "kill_after_seconds": durations, "outcomes": outcomes}
