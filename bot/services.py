"""Start and stop the processes of the help desk: the action server, Rasa and (later)
our gateway. Used by `make run`, by the tests (on free ports, with a temporary var/)
and by the benchmark, so all three run the bot the same way."""
from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRIVATE = 0o077  # umask: var/ holds password hashes, names and ID digits, trackers and logs
PR_SET_PDEATHSIG = 1


def private_files() -> None:
    """From now on this process creates directories 0700 and files 0600."""
    os.umask(PRIVATE)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_KEEP = 3


def rotate_logs(logs: Path, max_bytes: int = LOG_MAX_BYTES, keep: int = LOG_KEEP) -> List[Path]:
    """Logs past max_bytes are copied to .1 (older ones to .2 … .keep, the oldest dropped) and
    truncated in place: the children write to them through inherited descriptors opened for
    appending, so they go on writing at the new end. The rotated logs, for the caller."""
    rotated = []
    for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        try:
            if log.stat().st_size <= max_bytes:
                continue
            for i in range(keep - 1, 0, -1):
                older = log.with_name(f"{log.name}.{i}")
                if older.exists():
                    older.replace(log.with_name(f"{log.name}.{i + 1}"))
            with open(log, "rb") as src, os.fdopen(os.open(log.with_name(log.name + ".1"),
                                                           os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as dst:
                while chunk := src.read(1024 * 1024):
                    dst.write(chunk)
            os.truncate(log, 0)
            rotated.append(log)
        except OSError:
            continue
    return rotated


def tighten(path: Path) -> None:
    """Files an older version left readable by others under var/ become this user's only."""
    for item in path.rglob("*"):
        try:
            mode = item.stat().st_mode
            if mode & 0o077 and not item.is_symlink():
                item.chmod(mode & 0o700)
        except OSError:
            pass


def _child_setup() -> None:
    """Runs in each child between fork and exec: private files, and the child is sent
    SIGTERM when its parent dies, even by kill -9 (Linux's parent-death signal), so
    no process of ours runs on unsupervised."""
    private_files()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop still applies
        pass


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Settings:
    """Where things listen and keep their data; every value can come from the environment."""

    var_dir: Path = field(default_factory=lambda: Path(os.environ.get("HELPDESK_VAR", ROOT / "var")))
    rasa_port: int = field(default_factory=lambda: int(os.environ.get("RASA_PORT", 5005)))
    actions_port: int = field(default_factory=lambda: int(os.environ.get("ACTIONS_PORT", 5055)))
    gateway_port: int = field(default_factory=lambda: int(os.environ.get("GATEWAY_PORT", 8080)))
    host: str = field(default_factory=lambda: os.environ.get("HELPDESK_HOST", "127.0.0.1"))
    endpoints: Path = field(default_factory=lambda: Path(os.environ.get("RASA_ENDPOINTS", ROOT / "endpoints.yml")))
    extra_env: Dict[str, str] = field(default_factory=dict)  # e.g. POSTGRES_* for endpoints.scale.yml

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    def api_token(self) -> str:
        """The token protecting Rasa's HTTP API (pause/resume for human handoff): RASA_API_TOKEN,
        or one generated once and kept in var/ (readable by this user only)."""
        return self._secret("RASA_API_TOKEN", "rasa_api_token")

    def channel_secret(self) -> str:
        """The secret the gateway shows Rasa's REST channel (bot.rasa_channel): RASA_CHANNEL_SECRET,
        or one generated once and kept in var/ (readable by this user only)."""
        return self._secret("RASA_CHANNEL_SECRET", "rasa_channel_secret")

    def _secret(self, variable: str, file_name: str) -> str:
        given = self.extra_env.get(variable) or os.environ.get(variable)
        if given:
            return given
        path = self.var_dir / file_name
        if not path.exists():
            private_dir(self.var_dir)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(24))
        return path.read_text().strip()

    def environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        env["RASA_API_TOKEN"] = self.api_token()
        env["RASA_CHANNEL_SECRET"] = self.channel_secret()
        env.setdefault("ACTION_ENDPOINT_URL", f"{self.actions_url}/webhook")
        env.setdefault("TRACKER_DB", str(self.var_dir / "tracker.db"))
        env["HELPDESK_VAR"] = str(self.var_dir)
        env["RASA_URL"] = self.rasa_url
        env["RASA_PORT"] = str(self.rasa_port)
        env["GATEWAY_PORT"] = str(self.gateway_port)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.update(self.extra_env)
        return env


class Process:
    def __init__(self, name: str, cmd: List[str], env: Dict[str, str], log: Path, health_url: str):
        self.name, self.cmd, self.env, self.log, self.health_url = name, cmd, env, log, health_url
        self.popen: Optional[subprocess.Popen] = None

    def start(self) -> "Process":
        private_dir(self.log.parent)
        out = os.fdopen(os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        with out:
            self.popen = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True, preexec_fn=_child_setup)
        return self

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s; see {self.log}")

    def stop(self, timeout: float = 15) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def kill(self) -> None:
        """Hard kill, as a crash would (fault tests)."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def action_server(s: Settings) -> Process:
    cmd = [str(BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(s.actions_port)]
    return Process("action server", cmd, s.environment(), s.var_dir / "logs" / "actions.log", f"{s.actions_url}/health")


def rasa_server(s: Settings, model: Path) -> Process:
    # The HTTP API (for pausing a conversation a person has taken over) needs the token; it
    # goes in the environment (readable by this user only), never on the command line, which
    # every local user can read in /proc/PID/cmdline: bot.rasa_entry adds it in-process.
    cmd = [str(BIN / "python"), "-m", "bot.rasa_entry", "run", "--model", str(model), "--port", str(s.rasa_port),
           "--interface", s.host, "--endpoints", str(s.endpoints), "--credentials", str(ROOT / "credentials.yml"),
           "--enable-api"]
    return Process("rasa", cmd, s.environment(), s.var_dir / "logs" / "rasa.log", f"{s.rasa_url}/")


def gateway(s: Settings) -> Process:
    cmd = [str(BIN / "python"), "-m", "bot", "gateway"]
    return Process("gateway", cmd, s.environment(), s.var_dir / "logs" / "gateway.log", f"{s.gateway_url}/healthz")


def start_all(s: Settings, model: Path, with_gateway: bool = True) -> List[Process]:
    """Start the action server, Rasa and the gateway; wait until all answer."""
    private_dir(s.var_dir)
    tighten(s.var_dir)
    procs = [action_server(s).start(), rasa_server(s, model).start()]
    if with_gateway:
        procs.append(gateway(s).start())
    try:
        for p in procs:
            p.wait_ready()
    except Exception:
        stop_all(procs)
        raise
    return procs


def stop_all(procs: List[Process]) -> None:
    for p in reversed(procs):
        p.stop()
