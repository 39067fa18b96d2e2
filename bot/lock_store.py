"""Rasa's Redis lock store, made safe for several Rasa servers at once.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it and writes it back
without a transaction; two servers issuing tickets for one conversation at the same moment
can lose a ticket, and the message holding it then waits for the lock to expire (60 s).
This store does each read-modify-write in a Redis transaction (WATCH/MULTI), and polls for
its turn every 50 ms instead of every second. Selected in endpoints.scale.yml with
`type: bot.lock_store.AtomicRedisLockStore`.
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

POLL_SECONDS = 0.05


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config=None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # loaded by Rasa as a custom lock store
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Optional[TicketLock]]) -> Any:
        """Apply `change` to the stored lock atomically; it returns the lock to store (None: delete)."""
        key = self.key_prefix + conversation_id
        result = {}

        def transaction(pipe) -> None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new = change(lock)
            pipe.multi()
            if new is None:
                pipe.delete(key)
            else:
                pipe.set(key, new.dumps())
            result["lock"] = new

        self.red.transaction(transaction, key)
        return result["lock"]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        ticket = {}

        def change(lock: Optional[TicketLock]) -> TicketLock:
            lock = lock or TicketLock(conversation_id)
            ticket["number"] = lock.issue_ticket(lock_lifetime)
            return lock

        self._change(conversation_id, change)
        return ticket["number"]

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock:
                lock.remove_expired_tickets()
            return lock

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        self._change(conversation_id, change)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS)) as lock:
            yield lock
