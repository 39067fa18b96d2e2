"""One user message, end to end, for every channel: record it, pass it to Rasa (one at a
time per conversation, so turns keep their order), record and fan out the answer. When
Rasa is down or slow the user gets a clear message within the timeout and what they sent
stays in the record."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional, Set

from bot import answers, knowledge
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.store import Conversation, ConversationStore

log = logging.getLogger(__name__)


JOINED_NOTE = "工作人员已接入"  # shown to the user when an agent takes the conversation

class BadMessage(ValueError):
    """The message cannot be accepted; the text says why, in Chinese, for the user."""


def busy_text(kb: knowledge.Knowledge, rasa_answered: bool = False) -> str:
    """What the user reads when the bot cannot answer: Rasa unreachable or slow, or Rasa up
    but unable to run its actions (the action server is down)."""
    contacts = answers.all_contacts(kb)[0]["text"].split("\n", 1)[1]
    if rasa_answered:
        return "抱歉，暂时无法为您查询，请稍后再试，您发送的消息已记录。如需帮助，可拨打：\n" + contacts
    return "服务暂时繁忙，请稍后再试，您发送的消息已记录。如需帮助，可拨打：\n" + contacts


@dataclass
class Outcome:
    messages: List[dict]
    message_id: int
    duplicate: bool = False
    delivered: bool = True


@dataclass
class Hub:
    """Who is listening to a conversation right now (open widget tabs, staff consoles)."""

    listeners: Dict[str, Set[Callable]] = field(default_factory=lambda: defaultdict(set))

    def subscribe(self, conversation_id: str, send: Callable) -> None:
        self.listeners[conversation_id].add(send)

    def unsubscribe(self, conversation_id: str, send: Callable) -> None:
        self.listeners[conversation_id].discard(send)
        if not self.listeners[conversation_id]:
            self.listeners.pop(conversation_id, None)

    async def publish(self, conversation_id: str, event: dict, skip: Optional[Callable] = None) -> None:
        for send in list(self.listeners.get(conversation_id, ())):
            if send is skip:
                continue
            try:
                await send(event)
            except Exception:  # a closed socket must not stop the others
                self.unsubscribe(conversation_id, send)


class ConversationService:
    def __init__(self, store: ConversationStore, rasa: RasaClient, kb: knowledge.Knowledge, max_chars: int):
        self.store, self.rasa, self.kb, self.max_chars = store, rasa, kb, max_chars
        self.hub = Hub()
        self._locks: Dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # how an agent's reply reaches a user on each channel, besides open widget tabs
        self.deliverers: Dict[str, Callable[[Conversation, str], Awaitable[None]]] = {}
        self.relay = None  # bot.gateway.relay.Relay when several gateways share the conversations

    def check(self, text) -> str:
        if not isinstance(text, str):
            raise BadMessage("消息必须是文字")
        text = text.replace("\x00", "").strip()
        if not text:
            raise BadMessage("消息不能为空")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800" in JSON
            raise BadMessage("消息包含无效的字符") from None
        if len(text) > self.max_chars:
            raise BadMessage(f"消息过长：最多 {self.max_chars} 个字，您发送了 {len(text)} 个字，请分几次发送")
        return text

    async def publish(self, conversation_id: str, event: dict, skip: Optional[Callable] = None) -> None:
        """To the conversation's own listeners and to every staff console, here and (with a
        relay) on the other gateways."""
        await self.deliver_local(conversation_id, event, skip)
        if self.relay:
            await self.relay.send(conversation_id, event)

    async def deliver_local(self, conversation_id: str, event: dict, skip: Optional[Callable] = None) -> None:
        await self.hub.publish(conversation_id, event, skip=skip)
        await self.hub.publish(CONSOLE, {**event, "conversation": conversation_id})

    async def handle(self, conversation: Conversation, text: str, client_id: Optional[str] = None,
                     source: Optional[Callable] = None, display: Optional[str] = None, client: str = "") -> Outcome:
        """Record, answer, record, publish. A repeated client_id gets the first answer again.
        `display` is what a quick-reply button said, when `text` is its payload."""
        text = self.check(text)
        lock = self._locks[conversation.id]
        try:
            async with lock:
                return await self._handle(conversation, text, client_id, source, display, client)
        finally:
            if not lock.locked() and self._locks.get(conversation.id) is lock:
                del self._locks[conversation.id]

    async def _handle(self, conversation, text, client_id, source, display, client: str = "") -> Outcome:
        if client_id:
            seen = self.store.seen_client_id(conversation.id, client_id)
            if seen:
                replies = self.store.replies_after(conversation.id, seen)
                if replies or (self.store.fresh(conversation.id) or conversation).status == "human":
                    return Outcome(replies, seen, duplicate=True)
                return await self._interrupted(conversation, text, client_id, seen, source, client)
        extra = {"display": display[:200]} if isinstance(display, str) and display and display != text else None
        message_id = self.store.add(conversation.id, "in", text, payload=extra, client_id=client_id)
        await self.publish(conversation.id, {"type": "user", "text": (extra or {}).get("display", text),
                                             "id": message_id}, skip=source)
        if (self.store.fresh(conversation.id) or conversation).status == "human":
            return Outcome([], message_id)  # an agent has this conversation: the bot keeps quiet
        replies = await self._ask_rasa(conversation, text, message_id, client, client_id)
        return await self._recorded(conversation, message_id, replies, source)

    async def _interrupted(self, conversation, text, client_id, message_id, source, client) -> Outcome:
        """A message recorded with no answer: the gateway stopped (kill -9, a crash) while Rasa had
        it. Rasa may have answered already: its tracker is asked first (the client's id travels in
        the metadata), so the question is answered exactly once, not twice, and not never."""
        try:
            replies = await self.rasa.replies_to(conversation.rasa_sender, client_id)
        except RasaUnavailable as e:
            log.warning("could not read %s's tracker: %s", conversation.id, e)
            replies = None
        if replies is None:  # Rasa never saw it: ask now
            replies = await self._ask_rasa(conversation, text, message_id, client, client_id)
        return await self._recorded(conversation, message_id, replies, source)

    async def _ask_rasa(self, conversation, text, message_id, client, client_id) -> Optional[List[dict]]:
        try:
            return await self.rasa.send(conversation.rasa_sender, text, conversation.channel, client=client,
                                        client_id=client_id)
        except RasaUnavailable as e:
            log.warning("rasa unavailable for %s: %s", conversation.id, e)
            self.store.mark(message_id, "undelivered")
            return None

    async def _recorded(self, conversation, message_id, replies, source) -> Outcome:
        """Record and publish Rasa's answer (or the notice that there is none) to message_id."""
        meta = next((m["custom"] for m in replies or [] if _is_meta(m)), {})
        shown = [m for m in replies or [] if not _is_meta(m)]
        if not shown:  # Rasa down, or it could not run its actions
            notice = [{"text": busy_text(self.kb, rasa_answered=replies is not None)}]
            self.store.add(conversation.id, "system", notice[0]["text"])
            await self.publish(conversation.id, {"type": "bot", "messages": notice, "reply_to": message_id}, skip=source)
            return Outcome(notice, message_id, delivered=replies is not None)
        clean = [{k: v for k, v in m.items() if k != "recipient_id"} for m in shown]
        self.store.add_bot_messages(conversation.id, clean, meta)
        await self.publish(conversation.id, {"type": "bot", "messages": clean, "reply_to": message_id}, skip=source)
        if meta.get("handoff"):
            await self.request_person(conversation, meta["handoff"])
        return Outcome(shown, message_id)

    # -- human handoff ------------------------------------------------------------------------

    async def request_person(self, conversation: Conversation, reason: str) -> None:
        if self.store.set_status(conversation.id, "waiting", reason=reason, expect=("bot",)):
            await self.publish(conversation.id, {"type": "status", "status": "waiting", "reason": reason})

    async def take_over(self, conversation: Conversation, agent: str) -> bool:
        """An agent takes the conversation: Rasa is paused, the user's messages go to the agent."""
        if not self.store.set_status(conversation.id, "human", assigned_to=agent, expect=("bot", "waiting")):
            return False
        try:
            await self.rasa.add_event(conversation.rasa_sender, "pause")
        except RasaUnavailable as e:  # the gateway keeps the bot quiet anyway
            log.warning("could not pause %s in Rasa: %s", conversation.id, e)
        self.store.add(conversation.id, "system", JOINED_NOTE)  # the widget shows it, also after a reload
        await self.publish(conversation.id, {"type": "status", "status": "human", "agent": agent})
        return True

    async def agent_reply(self, conversation: Conversation, agent: str, text: str) -> None:
        text = self.check(text)
        self.store.add(conversation.id, "agent", text, agent=agent)
        await self.publish(conversation.id, {"type": "agent", "text": text, "agent": agent})
        deliver = self.deliverers.get(conversation.channel)
        if deliver:
            try:
                await deliver(conversation, text)
            except Exception as e:  # recorded above; the agent sees the failure in the log
                log.warning("agent reply to %s not delivered: %s", conversation.id, e)

    async def hand_back(self, conversation: Conversation, note: str) -> bool:
        """Back to the bot, with a message to the user (once, even if several gateways try)."""
        if not self.store.set_status(conversation.id, "bot", expect=("waiting", "human")):
            return False
        try:
            await self.rasa.add_event(conversation.rasa_sender, "resume")
        except RasaUnavailable as e:
            log.warning("could not resume %s in Rasa: %s", conversation.id, e)
        self.store.add(conversation.id, "system", note)
        await self.publish(conversation.id, {"type": "bot", "messages": [{"text": note}]})
        await self.publish(conversation.id, {"type": "status", "status": "bot"})
        deliver = self.deliverers.get(conversation.channel)
        if deliver:
            try:
                await deliver(conversation, note)
            except Exception as e:
                log.warning("hand-back note to %s not delivered: %s", conversation.id, e)
        return True


CONSOLE = "*console*"  # the hub topic every staff console listens to


def _is_meta(message: dict) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and custom.get("type") == "meta"
