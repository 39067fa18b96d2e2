"""A small closed-loop load generator: N concurrent conversations, each sending its
turns one after another, over any endpoint with Rasa's REST contract."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Callable, List, Sequence

MIXED_TURNS = [
    "初始注册需要带什么材料", "那领证要带什么", "延续注册怎么办理", "那要带什么材料", "转注册要不要解聘证明",
    "注销注册的解聘证明复印件行吗", "监理锁怎么申请", "注册还需要上传社保证明吗", "我要办变更", "企业更名",
    "证书丢了怎么补办", "我的证书2027年1月10日到期，现在能办延续吗", "浙江省监理工程师的事情问谁", "谢谢",
]


@dataclass
class LoadResult:
    concurrency: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        return {"concurrency": self.concurrency, "messages": len(self.latencies), "errors": self.errors,
                "p50_ms": round(self.percentile(50) * 1000, 1), "p95_ms": round(self.percentile(95) * 1000, 1),
                "p99_ms": round(self.percentile(99) * 1000, 1),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
                "messages_per_s": round(self.throughput, 1)}


def rest_sender(url: str, timeout: float = 30) -> Callable[[str, str], list]:
    def send(sender: str, message: str) -> list:
        body = json.dumps({"sender": sender, "message": message}).encode()
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"[]")
    return send


def run(send: Callable[[str, str], list], concurrency: int, turns_per_user: int,
        turns: Sequence[str] = MIXED_TURNS, conversation_length: int = 8) -> LoadResult:
    """Each user holds `concurrency` conversations of `conversation_length` turns in a row
    (a real help-desk chat is short; Rasa replays a conversation's events every turn)."""
    result = LoadResult(concurrency)
    lock = threading.Lock()

    def user(index: int):
        sender = ""
        for i in range(turns_per_user):
            if i % conversation_length == 0:
                sender = f"bench-{index}-{uuid.uuid4().hex[:8]}"
            t0 = time.perf_counter()
            try:
                reply = send(sender, turns[(index + i) % len(turns)])
                ok = isinstance(reply, list) and len(reply) > 0
            except Exception:
                ok = False
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    result.latencies.append(dt)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    return result
