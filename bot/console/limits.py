"""Limits that keep password guessing infeasible without letting a stranger lock anyone out.

- `Attempts` counts failures per key in a sliding window (per client, per client and account,
  per account): a client that guesses is stopped, the account's owner elsewhere is not; an
  account guessed at from many addresses raises an alert for the staff.
- `PasswordChecks` runs password hashing (scrypt, ~50 ms of CPU) on a small thread pool, off
  the event loop, so logins never stall the chat channels; when the pool and its short queue
  are full, the next login is refused at once (429) instead of queueing.
Counts live in the gateway's memory: with several gateways each keeps its own.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Deque, Dict


class Busy(Exception):
    """Every password check slot is taken: try again in a moment."""


class Attempts:
    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.window, self.clock, self.max_keys = window, clock, max_keys
        self._seen: Dict[str, Deque[float]] = {}

    def _recent(self, key: str) -> Deque[float]:
        times = self._seen.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        if not times:
            del self._seen[key]
        return times

    def count(self, key: str) -> int:
        return len(self._recent(key))

    def add(self, key: str) -> int:
        if len(self._seen) >= self.max_keys:  # a flood of keys: forget the oldest half, not the process
            for old in list(self._seen)[: self.max_keys // 2]:
                del self._seen[old]
        times = self._seen.setdefault(key, deque())
        times.append(self.clock())
        return len(times)

    def retry_after(self, key: str) -> float:
        times = self._recent(key)
        return max(0.0, times[0] + self.window - self.clock()) if times else 0.0

    def clear(self, key: str) -> None:
        self._seen.pop(key, None)


class PasswordChecks:
    def __init__(self, workers: int = 1, queue: int = 3):  # one core stays free for the chat on a 2-core machine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._slots = asyncio.Semaphore(workers + queue)

    async def run(self, fn, *args):
        if self._slots.locked():
            raise Busy()
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
