"""`make run`'s launcher (python -m bot run): starts everything, prints where to talk to it,
restarts a process that dies, and stops everything on SIGTERM."""
import os
import signal
import subprocess
import sys
import time

from bot import services
from conftest import ROOT
from gateway_helpers import http, post_json


def pids(pattern: str):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def wait_for(check, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_run_restart_and_stop(tmp_path):
    ports = {"RASA_PORT": services.free_port(), "ACTIONS_PORT": services.free_port(), "GATEWAY_PORT": services.free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "HELPDESK_VAR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("TRACKER_DB", None)
    env.pop("ACTION_ENDPOINT_URL", None)
    launcher = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
    actions = f"rasa_sdk --actions actions --port {ports['ACTIONS_PORT']}"
    try:
        printed = ""
        deadline = time.monotonic() + 180
        while "Press Ctrl-C to stop" not in printed and time.monotonic() < deadline:
            printed += launcher.stdout.readline()
        assert f"{gateway}/" in printed and f"127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook" in printed
        assert "一寸照" in post_json(gateway + "/api/messages", {"sender": "l1", "message": "初始注册要带什么"})[1][0]["text"]
        (victim,) = pids(actions)
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: pids(actions) and pids(actions) != [victim], 30), "the action server was not restarted"
        assert wait_for(lambda: "88381756" in str(post_json(gateway + "/api/messages", {"sender": "l2", "message": "监理锁怎么申请"})[1]), 60)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)
    assert not pids(actions)
    assert not pids(f"--port {ports['RASA_PORT']}")
    assert not _reachable(gateway)


def _reachable(url: str) -> bool:
    try:
        http("GET", url + "/healthz", timeout=2)
        return True
    except OSError:
        return False
