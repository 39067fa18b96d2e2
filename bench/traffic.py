"""Realistic mixed traffic for `make bench`, asynchronous so the load generator itself stays
cheap: procedure questions, follow-ups, clarifications, status lookups and typos, sent
over Rasa's REST channel directly or over the full path (gateway API and WeChat XML)."""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import aiohttp

CONVERSATIONS: List[List[str]] = [
    ["初始注册需要带什么材料", "那领证要带什么", "谢谢"],
    ["延续注册怎么办理", "那要带什么材料", "我的证书2027年1月10日到期，现在能办延续吗"],
    ["我要办变更", "企业更名", "那要带什么材料"],
    ["证书丢了怎么补办", "没登报可以吗"],
    ["監理鎖壞了找誰"],
    ["注册还需要上传社保证明吗", "注销注册的解聘证明复印件行吗"],
    ["换了单位，转注册需要带哪些材料", "审核通过以后去哪里领证书"],
    ["查询进度", "{case_no}", "{name}"],
    ["你好", "你能做什么", "明天杭州天气怎么样"],
]


def bench_cases(count: int = 500) -> List[Tuple[str, str]]:
    """(case number, name) of the cases `make bench` imports for status lookups."""
    return [(f"ZJ2030{i:06d}", f"测试{chr(0x4e00 + i % 2000)}{chr(0x4e00 + (i * 7) % 2000)}") for i in range(count)]


def bench_cases_csv(count: int = 500) -> bytes:
    lines = ["case_no,name,id_last4,company,procedure,stage,updated_at,note"]
    for i, (case_no, name) in enumerate(bench_cases(count)):
        lines.append(f"{case_no},{name},{i % 10000:04d},压测监理有限公司,初始注册,{['已受理', '审核中', '已公告'][i % 3]},2026-11-20,")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Result:
    concurrency: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def pct(self, p: float) -> Optional[float]:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

    @property
    def throughput(self) -> float:
        return round(len(self.latencies) / self.seconds, 1) if self.seconds else 0.0

    def summary(self) -> dict:
        return {"concurrency": self.concurrency, "messages": len(self.latencies), "errors": self.errors,
                "p50_ms": self.pct(50), "p95_ms": self.pct(95), "p99_ms": self.pct(99), "messages_per_s": self.throughput}


Send = Callable[[aiohttp.ClientSession, str, str], "asyncio.Future"]


def rasa_direct(base: str, secret: str):
    """Rasa's REST channel, as the gateway calls it (with the shared secret, bot.rasa_channel)."""
    headers = {"X-Helpdesk-Channel-Secret": secret}

    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        async with http.post(base + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, headers=headers) as r:
            return r.status == 200 and bool(await r.json(content_type=None))
    return send


def gateway_api(base: str):
    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        async with http.post(base + "/api/messages", json={"sender": sender, "message": text}) as r:
            return r.status == 200 and bool(await r.json(content_type=None)) and "X-Helpdesk-Delivered" not in r.headers
    return send


def gateway_wechat(base: str, token: str):
    counter = itertools.count(int(time.time() * 1000))

    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> bool:
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signature = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
        openid = "o" + hashlib.md5(sender.encode()).hexdigest()[:27]
        xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
               f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
               f"<MsgId>{next(counter)}</MsgId></xml>")
        params = {"signature": signature, "timestamp": ts, "nonce": nonce, "openid": openid}
        async with http.post(base + "/wechat", params=params, data=xml.encode("utf-8")) as r:
            body = await r.text()
            return r.status == 200 and "<Content>" in body
    return send


def mixed(*weighted: Tuple[Send, float]) -> Send:
    """Pick a channel per conversation (the sender), so a conversation stays on one channel."""
    senders, weights = zip(*weighted)

    async def send(http, sender, text):
        choice = random.Random(sender).choices(senders, weights)[0]
        return await choice(http, sender, text)
    return send


async def run(send: Send, concurrency: int, messages: int, seed: int = 1) -> Result:
    """`concurrency` users, each going through whole conversations one turn at a time."""
    result = Result(concurrency)
    rng = random.Random(seed)
    cases = bench_cases()
    budget = itertools.count()
    connector = aiohttp.TCPConnector(limit=0)

    async def user(index: int, http: aiohttp.ClientSession):
        while True:
            script = rng.choice(CONVERSATIONS)
            case_no, name = cases[rng.randrange(len(cases))]
            sender = f"bench-{index}-{uuid.uuid4().hex[:8]}"
            for turn in script:
                if next(budget) >= messages:
                    return
                text = turn.format(case_no=case_no, name=name)
                started = time.perf_counter()
                try:
                    ok = await send(http, sender, text)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                if ok:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(user(i, http) for i in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result
