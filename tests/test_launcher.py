"""`make run`'s launcher (python -m bot run): starts everything, prints where to talk to it,
restarts a process that dies, and stops everything on SIGTERM."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def children(pid: int):
    """Processes whose parent is pid (from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except OSError:
        return False


def launch(var: Path):
    ports = {"RASA_PORT": services.free_port(), "ACTIONS_PORT": services.free_port(), "GATEWAY_PORT": services.free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "HELPDESK_VAR": str(var), "PYTHONPATH": str(ROOT)}
    for inherited in ("TRACKER_DB", "ACTION_ENDPOINT_URL", "RASA_API_TOKEN"):
        env.pop(inherited, None)
    launcher = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    printed = ""
    deadline = time.monotonic() + 180
    while "Press Ctrl-C to stop" not in printed and time.monotonic() < deadline and launcher.poll() is None:
        printed += launcher.stdout.readline()
    return launcher, ports, printed


def test_run_restart_and_stop(tmp_path):
    launcher, ports, printed = launch(tmp_path)
    gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
    actions = f"rasa_sdk --actions actions --port {ports['ACTIONS_PORT']}"
    try:
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


def test_secrets_stay_off_command_lines_and_var_is_private(tmp_path):
    """Attack: a local user reads the Rasa API token from /proc/PID/cmdline, or reads var/
    (staff hashes, cases, trackers, logs) because its files were created 0644."""
    var = tmp_path / "var"
    launcher, ports, printed = launch(var)
    try:
        assert "Press Ctrl-C to stop" in printed, printed
        post_json(f"http://127.0.0.1:{ports['GATEWAY_PORT']}/api/messages", {"sender": "s1", "message": "你好"})
        token = (var / "rasa_api_token").read_text().strip()
        kids = children(launcher.pid)
        assert len(kids) == 3
        for pid in [launcher.pid, *kids]:
            assert token not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert (var.stat().st_mode & 0o777) == 0o700
        made = [p for p in var.rglob("*")]
        assert any(p.name == "conversations.db" for p in made) and any(p.suffix == ".log" for p in made)
        for path in made:
            assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others: {oct(path.stat().st_mode)}"
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)


def test_children_die_with_a_killed_supervisor(tmp_path):
    """Fault: kill -9 of `python -m bot run` must not leave Rasa, the action server and the
    gateway running unsupervised."""
    launcher, ports, printed = launch(tmp_path)
    kids = children(launcher.pid)
    try:
        assert "Press Ctrl-C to stop" in printed, printed
        assert len(kids) == 3
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
        assert wait_for(lambda: not any(alive(k) for k in kids), 30), "children outlived their supervisor"
        assert not _reachable(f"http://127.0.0.1:{ports['GATEWAY_PORT']}")
    finally:
        for k in kids:
            if alive(k):
                os.killpg(k, signal.SIGKILL)


def _reachable(url: str) -> bool:
    try:
        http("GET", url + "/healthz", timeout=2)
        return True
    except OSError:
        return False


def test_logs_are_rotated_and_the_writer_goes_on(tmp_path):
    """600 slow clients wrote ~1 MB of tracebacks into a log that never rotated."""
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "gateway.log"
    writer = open(log, "ab")  # as a child holds its log: opened for appending, inherited
    writer.write(b"x" * 2000)
    writer.flush()
    assert services.rotate_logs(logs, max_bytes=1000, keep=2) == [log]
    assert (logs / "gateway.log.1").stat().st_size == 2000 and log.stat().st_size == 0
    writer.write(b"after\n")
    writer.flush()
    assert log.read_bytes() == b"after\n"  # at the new end, no hole
    writer.write(b"y" * 2000)
    writer.flush()
    services.rotate_logs(logs, max_bytes=1000, keep=2)
    assert (logs / "gateway.log.2").stat().st_size == 2000 and (logs / "gateway.log.1").read_bytes().startswith(b"after")
    assert services.rotate_logs(logs, max_bytes=1000, keep=2) == []
    writer.close()
