"""Decide what to answer: Rasa's intent plus our reading of the text plus the
conversation so far (the procedure being discussed, a pending clarification).

Pure Python, no Rasa: actions/ turns a tracker into a Turn and State, calls
`respond`, and turns the Reply back into messages and slot events.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import date
from typing import List, Optional, Tuple


from rapidfuzz import fuzz, process

from bot import answers, check, lexicon, people
from bot.dates import ExpiryDate, bare_date, chinese_date, find_expiry, stated_today, today as clock_today
from bot.status import find_identity, identities as status_identities, stage_explained
from bot.knowledge import Knowledge, Procedure
from bot.state import LookedUp, State
from bot.understand import Analysis, Reader

INTENT_ASPECT = {
    "ask_materials": "materials",
    "ask_steps": "steps",
    "ask_collect": "collect",
    "ask_contact": "contact",
    "ask_policy": "notes",
    "ask_overview": "overview",
}
CHITCHAT = {"greet": "utter_greet", "thanks": "utter_thanks", "goodbye": "utter_goodbye"}
CONFIDENT = 0.6
CHITCHAT_CONFIDENT = 0.7
CHITCHAT_LONGEST = 30  # a greeting, thanks or goodbye told by NLU alone is short
INTENT_ALONE = 0.85
FAILURES_BEFORE_HANDOFF = 2
FUZZY_CUTOFF = 72
MAX_PROCEDURES = 4
WHOLE_LIST_WORDS = ("材料", "资料", "哪些", "东西", "清单", "都要", "什么")


@dataclass
class Turn:
    text: str  # normalised text
    intent: str = "nlu_fallback"
    confidence: float = 0.0
    entities: List[dict] = field(default_factory=list)
    spaced: str = ""  # the text normalised word by word, the user's spaces kept (for names)

    def identity(self, bare: bool = False) -> Optional[str]:
        """The applicant's name or ID last four: where the user's spaces end a name (赵敏 为啥被退回),
        else in the tidy text (王 小明 is one name)."""
        return (self.spaced and find_identity(self.spaced, bare)) or find_identity(self.text, bare)

    def identities(self, bare: bool = False) -> Optional[str]:
        """Every identity given, for the lookup: "5678|李明" when both the ID's last four and a
        name are (李明 尾号5678), and a lookup must then match both."""
        first = self.identity(bare)
        return first and status_identities(self.spaced or self.text, first)


@dataclass
class Reply:
    messages: List[dict]
    state: State
    understood: bool = True  # False when nothing fitted (counts towards handing over to a person)
    follow_up: Optional[str] = None  # an action to run next: "status_form" for a status lookup
    handoff: Optional[str] = None  # why the user should be handed to a person: "asked" or "failed"
    route: Optional[str] = None  # the route of bot.routes that answered (shown in the console, asserted in tests)


RENEWAL_WINDOW = "policy:renewal_window"
ORDER = lexicon.pattern("ORDER")  # 先网上报还是先去窗口
HOW_TO = lexicon.pattern("HOW_TO")  # 怎么办理，去哪里交
WHO_APPROVES = lexicon.pattern("WHO_APPROVES")
NEXT_ASKED = lexicon.pattern("NEXT_ASKED")
STAGE_OF_MATERIAL = lexicon.pattern("STAGE_OF_MATERIAL")
STAGE_SUBJECT = lexicon.pattern("STAGE_SUBJECT")
SUPPOSING = lexicon.pattern("SUPPOSING")
MATERIALS_ASKED = lexicon.pattern("MATERIALS_ASKED")
RETURNED_ASKED = lexicon.pattern("RETURNED_ASKED")
CONFIRMING = lexicon.pattern("CONFIRMING")  # 是在2号窗口吧
EVERY_PROCEDURE = lexicon.pattern("EVERY_PROCEDURE")
ITEMS_ASKED = lexicon.pattern("ITEMS_ASKED")
AT_THAT_TIME = lexicon.pattern("AT_THAT_TIME")
DONE_THEN = lexicon.pattern("DONE_THEN")  # 办完就好了吗
THAT_ONE = lexicon.pattern("THAT_ONE")
OWNER_SAID = lexicon.pattern("OWNER_SAID")
MINE_AGAIN = lexicon.pattern("MINE_AGAIN")  # 我那个批了以后呢, after a colleague's question
COLLEAGUE_SAID = lexicon.pattern("COLLEAGUE_SAID")
CERTIFICATE_COLLECTED = lexicon.pattern("CERTIFICATE_COLLECTED")  # 去领新证书需要带什么
BRING_CERTIFICATE = lexicon.pattern("BRING_CERTIFICATE")  # 领证时要带注册证书吗  # 我们公司自己也改名了
APPROVED_LATER = lexicon.pattern("APPROVED_LATER")
HANDED_IN = lexicon.pattern("HANDED_IN")  # 已经交到窗口了 / 受理了  # 批下来后我同事能帮我去领证吗  # 然后呢 → …再申请遗失补办 → 那个要带啥  # 公告在哪看 → 到时候带什么  # 哪些业务要交证书原件
RETURNED_TOLD = lexicon.pattern("RETURNED_TOLD")  # 我们报的注册被退回来了
TOGETHER = lexicon.pattern("TOGETHER")
NEEDS_STAMP = lexicon.pattern("NEEDS_STAMP")  # 不用贴条吧 / 是不是都要贴条
COMPARE = lexicon.pattern("COMPARE")
SAME_ASKED = lexicon.pattern("SAME_ASKED")  # 两个业务盖的章是同一个吗
FORM_FROM = lexicon.pattern("FORM_FROM")  # 申请表去哪里拿 / 在哪填
SIGN_OR_SEAL = lexicon.pattern("SIGN_OR_SEAL")
OWN_APPLICATION = lexicon.pattern("OWN_APPLICATION")
PRONOUN = lexicon.pattern("PRONOUN")
BACK_TO = lexicon.pattern("BACK_TO")  # 回到改名的事: the procedure before
# words that name more than one procedure: 回到改名的事 goes back to whichever of them was discussed
LOOSE_NAMES = {"改名": ("rename", "personal_change", "reissue_after_change"), "更名": ("rename", "reissue_after_change"),
               "变更": ("transfer", "specialty", "rename", "personal_change", "reissue_after_change")}
BARE_NEXT = lexicon.pattern("BARE_NEXT")
APPROVED_NEXT = lexicon.pattern("APPROVED_NEXT")  # 名单出来以后呢: collecting
COLLECTING = lexicon.pattern("COLLECTING")  # 批了去哪领 (not 单位能帮他办吗)
MORE = lexicon.pattern("MORE")  # 还有别的吗
REPEAT = lexicon.pattern("REPEAT")  # 刚才说的再说一遍
BOTH = lexicon.pattern("BOTH")  # 这两个哪个要照片
MATERIAL_AT = lexicon.pattern("MATERIAL_AT")  # 第二样要原件吗 / 最后那个呢
REISSUES = {"lost", "reissue_after_change"}
CHANGE_CHAIN = {"personal_change", "reissue_after_change"}  # item 8, then item 9
CHANGE_DONE = lexicon.pattern("CHANGE_DONE")  # 改名以后补办 / 变更审核通过了: the change is behind them  # the two kinds of 遗失补办
PLACES = {"contact:window", "contact:announcements"}  # topics that are where something is done
SHORT_FOLLOW_UP = 12  # 是在哪里申请的 / 哪天开始执行的: about what was just answered
WHEN = lexicon.pattern("WHEN")
WHY = lexicon.pattern("WHY")  # 为什么不用了，有文件依据吗: about the last answer
REDO = lexicon.pattern("REDO")  # 那个要重新上传的是什么
WHICH_OF = lexicon.pattern("WHICH_OF")  # 这两个谁现在就能去窗口领证
CAN_COLLECT = lexicon.pattern("CAN_COLLECT")  # 那我现在可以去领了吗
BOTH_KINDS = lexicon.pattern("BOTH_KINDS")  # 指南里有两个遗失补办，它们…有什么区别
QUESTION_WORDS = lexicon.pattern("QUESTION_WORDS")  # a clause that asks something
WINDOW_ASKED = lexicon.pattern("WINDOW_ASKED")  # 小李现在能报吗
NAME_GIVEN = lexicon.pattern("NAME_GIVEN")  # 我叫孙丽: case details
# used inside the functions below (knowledge/lexicon.yml has their examples)
DENIES_ONE = lexicon.pattern("DENIES_ONE")  # 不是公司改名，是我自己的名字改了
MISSED_DEADLINE = lexicon.pattern("MISSED_DEADLINE")  # 要是过了期再报还来得及吗
DONE_WITH = lexicon.pattern("DONE_WITH")  # 补办完了新证怎么领
CLAUSE_BREAK = lexicon.pattern("CLAUSE_BREAK")  # 遗失补办在哪登报？登报要多少钱？: one clause from the next
SENTENCE_BREAK = lexicon.pattern("SENTENCE_BREAK")  # 公司改名要带啥？社保证明还要不要交: commas kept
CASE_PROCEDURE_ASKED = lexicon.pattern("CASE_PROCEDURE_ASKED")  # 这个是办的哪个业务
CASE_UPDATED_ASKED = lexicon.pattern("CASE_UPDATED_ASKED")  # 这条记录啥时候更新的
SENTENCE_OR_HEAD_BREAK = lexicon.pattern("SENTENCE_OR_HEAD_BREAK")
AFTER_LAST_STEP = lexicon.pattern("AFTER_LAST_STEP")
HANDED_WHERE = lexicon.pattern("HANDED_WHERE")  # 弄好了交到哪里  # 贴完条还有别的手续吗  # 我手上有四件事：…。他俩批下来以后，哪个要贴条
LIST_HEAD_BREAK = lexicon.pattern("LIST_HEAD_BREAK")  # 我手上有四件事：…。哪几个要…
CLAUSE_OR_HEAD_BREAK = lexicon.pattern("CLAUSE_OR_HEAD_BREAK")  # 他们几个：谁要一寸照
OPENER_LEFTOVER = lexicon.pattern("OPENER_LEFTOVER")  # 问个事儿 → 事
ACK_NOISE = lexicon.pattern("ACK_NOISE")  # 好的，明白了
NOW_ASKED = lexicon.pattern("NOW_ASKED")  # 那现在能报吗
REISSUE_SAID = lexicon.pattern("REISSUE_SAID")  # 改名后补办，交到窗口以后还要去领吗
STAMPS_CONTRASTED = lexicon.pattern("STAMPS_CONTRASTED")  # 哪些业务是领新证书，哪些是贴条
OWN_QUESTION = lexicon.pattern("OWN_QUESTION")  # 那之后证书上的名字怎么改
SAME_AS_NAMED = lexicon.pattern("SAME_AS_NAMED")  # 跟延续注册盖的章一样吗
ASCII_WORD_CHAR = lexicon.pattern("ASCII_WORD_CHAR")  # hi is not in this


def _said(text: str, cue: str) -> bool:
    """A cue in the text; an English one as a whole word (hi is not in this)."""
    if not cue.isascii():
        return cue in text
    at = text.find(cue)
    while at >= 0:
        end = at + len(cue)
        if not ASCII_WORD_CHAR.fullmatch(text[at - 1:at] if at else "") and not ASCII_WORD_CHAR.fullmatch(text[end:end + 1]):
            return True
        at = text.find(cue, at + 1)
    return False


class Responder:
    def __init__(self, kb: Knowledge, reader: Reader, office_hours: str = ""):
        """`office_hours` (OFFICE_HOURS, e.g. 工作日 9:00–17:00) is told to users waiting for a
        person; the guide gives no hours, so by default nothing is said about them."""
        self.kb, self.reader, self.office_hours = kb, reader, office_hours
        self._questions = self._question_index()

    # -- entry point -----------------------------------------------------------------

    def respond(self, turn: Turn, state: State, today: Optional[date] = None) -> Reply:
        """The answer, plus the handoff decision: a user who asks for a person, or whom the
        bot fails twice in a row, goes to the staff console's waiting queue. A numbered list
        of questions (① … ② …, 1. … 2. …) gets an answer for each."""
        today, state = _today_for(turn.text, state, today or clock_today())
        items = _list_items(turn.text)
        if len(items) > 1:
            return self._respond_each(turn, items, state, today)
        reply = self._respond(turn, state, today)
        if reply.state.about_all and reply.route != "each_person":
            reply.state = replace(reply.state, about_all=None)
        if state.procedure and reply.state.procedure != state.procedure \
                and reply.state.previous_procedure == state.previous_procedure:  # not set by the answer itself
            reply.state = replace(reply.state, previous_procedure=state.procedure)
        if reply.handoff:
            return reply
        failures = 0 if reply.understood else state.failures + 1
        reply.state = replace(reply.state, failures=failures)
        if failures >= FAILURES_BEFORE_HANDOFF:
            reply.state = replace(reply.state, failures=0)
            reply.messages = reply.messages + self._handoff_messages()
            reply.handoff = "failed"
        return reply

    def _respond_each(self, turn: Turn, items: List[str], state: State, today: Optional[date]) -> Reply:
        messages: List[dict] = []
        understood = False
        for item in items[:MAX_PROCEDURES]:
            reply = self.respond(Turn(text=item, intent="nlu_fallback"), state, today)
            messages += reply.messages
            state, understood = reply.state, understood or reply.understood
        return Reply(messages, state, understood=understood)

    def _handoff_messages(self) -> List[dict]:
        contacts = answers.all_contacts(self.kb)[0]["text"].split("\n", 1)[1]
        hours = f"人工客服服务时间：{self.office_hours}。" if self.office_hours else ""
        return [{"response": "utter_handoff"}, {"text": hours + "如一时无人应答，您也可以拨打咨询电话：\n" + contacts}]

    def _respond(self, turn: Turn, state: State, today: date) -> Reply:
        """read → resolve → route: the reading resolved against the conversation, then the first
        route of `bot.routes.ROUTES` that applies answers; its name goes with the reply."""
        from bot import routes  # routes use this module's helpers
        c = self._resolve(turn, state, today)
        route = next(r for r in routes.ROUTES if r.applies(c))  # the last route always applies
        reply = route.answer(c)
        reply.route = reply.route or route.name
        return self._checked(c, self._confirmed(c, reply))

    def _confirmed(self, c: "Ctx", reply: Reply) -> Reply:
        """是在2号窗口吧: "是的。" before an answer that names the very place the user put forward."""
        if not CONFIRMING.search(c.turn.text) or not reply.messages or not reply.messages[0].get("text"):
            return reply
        first = reply.messages[0]["text"]
        named = [place for place in self.kb.language.places if place in c.turn.text]
        if not named or not all(place in first for place in named) or first.startswith(("是", "不", "可以", "需要", "来")):
            return reply
        reply.messages = [{**reply.messages[0], "text": "是的。" + first}] + reply.messages[1:]
        return reply

    def _checked(self, c: "Ctx", reply: Reply) -> Reply:
        """The answer if it passes bot.check; otherwise a plain "cannot say for sure" instead."""
        if reply.route == "aspect":
            about = c.procedures or []
        else:
            about = c.a.procedures or ([c.state.procedure] if c.state.procedure else [])
        found = check.problems(self.kb, self.reader.material_aliases, reply.route, about, reply.messages,
                               people_named=bool(c.a.expiry_owners) or len(c.a.expiries) > 1)
        if not found:
            return reply
        check.report(reply.route, c.turn.text, found)
        return Reply(check.blocked_messages(), c.state, understood=False, route=f"blocked:{reply.route}")

    def _answered_besides(self, c: "Ctx", pid: Optional[str]) -> Optional[Reply]:
        """The clauses of a question that do not ask about the silent topic, answered on their own
        (遗失补办在哪登报？登报要多少钱？ → 在哪登报), when they ask something of the guide."""
        clauses = _clause_list(c.turn.text)
        rest = [x for x in clauses if not any(cue in x for cue in c.silent.cues)]
        if not rest or len(rest) == len(clauses):
            return None
        text = "，".join(rest)
        part = self.reader.read(text, c.today, context=pid)
        asks = part.yes_no or bool(QUESTION_WORDS.search(text))  # 初始注册证书批了，会寄到单位吗: the first clause asks nothing
        if not asks or not (part.materials or part.topics or part.asks_copies or (part.aspects and (part.procedures or pid))):
            return None
        state = replace(c.state, procedure=c.state.procedure or pid) if pid and not part.procedures else c.state
        reply = self._respond(Turn(text=text), state, c.today)
        return reply if reply.understood and reply.follow_up is None and not reply.handoff else None

    # -- resolve: the reading against the conversation -----------------------------------

    def _resolve(self, turn: Turn, state: State, today: date) -> "Ctx":
        """What this turn is about once the conversation is taken into account: the procedure
        chosen or referred to, the question continued, the expiry said before."""
        a = self.reader.read(turn.text, today, context=state.procedure)
        a = self._repeated(turn, a, state, today)
        read = list(a.procedures)
        state = self._colleagues(turn.text, a, state, today)
        if a.procedures == read:  # no colleague referred to
            self._kept_in_context(a, state)
            self._loose_name_in_context(turn.text, a, state)
            self._after_approval_in_context(a, state)
            self._at_collection_time(turn.text, a, state, today)
            self._shared_name_in_context(a, state)
        self._named_reference_in_context(a, state)
        self._change_first(turn.text, a, state)
        self._referred(turn.text, a, state, today)
        self._bare_next(turn.text, a, state, today)
        a, state = self._choice_applied(turn, a, state, today)
        if a.form and not a.materials and not a.procedures and not state.procedure and state.last_question:
            a.materials = self.reader.read(state.last_question, today).materials[:1]  # 申请表去哪里拿 → 打出来交原件还是复印件
        state = self._expiry_applied(turn, a, state, today)
        self._correction_applied(a, state)
        self._question_at_the_end(a, state)
        described = a.procedures == ["renewal"] and not a.named  # 那过期的要怎么办: 过期 is the situation, not a new question
        proposed = a.procedures == ["initial"] and (a.yes_no or "?" in turn.text)  # 那怎么办，是要重新初始注册吗: the guide does not say that either
        if (not ((a.procedures and not (described or proposed)) or a.topics or a.materials or a.silent)
                and NEXT_ASKED.search(turn.text) and len(turn.text) <= 2 * SHORT_FOLLOW_UP and self._expired_before(state, today)):
            a.silent = self.kb.language.silent_topic("after_expiry")  # 证书昨天到期了 → 还能续吗 → 那我现在该怎么办
        if self._continues_topic(turn, a, state):
            self._topic_continued(a, state, today)
        elif "contact:withdraw" in a.topics and HANDED_IN.search(a.text) and not a.silent:
            a.silent = self.kb.language.silent_topic("withdraw_after_acceptance")  # 已经交到2号窗口受理了呢？还能撤吗
        return Ctx(self, turn, a, state, today)

    def _kept_in_context(self, a: Analysis, state: State) -> None:
        """延续注册 under discussion, then 要不要解聘证明 / 要户口本吗 / 还用登报吗: a question about a
        material stays with the procedure in context, even when the material (or a word near it)
        belongs to another; only a procedure named, or a correction, changes the topic."""
        if not state.procedure or a.corrected or a.named or a.situations or not a.materials or not (a.yes_no or a.form):
            return
        if a.procedures and state.procedure not in a.procedures and not a.ambiguity:  # 补办 / 变更 name a kind: not this
            a.procedures = [state.procedure]
        linked = self._linked_owner(a.materials, state.procedure)
        if linked and a.procedures in ([], [state.procedure]) and not a.ambiguity:
            a.procedures = [state.procedure]  # 身份证姓名等其他变更, then 要带证书原件吗: not for this one,
            a.linked_owner = linked  # but for the reissue that follows it (both said, the topic kept)

    def _shared_name_in_context(self, a: Analysis, state: State) -> None:
        """The guide calls two procedures 遗失补办 (item 4 and item 9): in the conversation of item 8,
        whose next step is item 9, 这个遗失补办要带什么 is item 9."""
        if len(a.procedures) != 1 or a.procedures[0] not in a.named or not state.procedure or a.corrected:
            return
        near = {state.procedure, *self._linked(self.kb.procedure(state.procedure))}
        named = self.kb.procedure(a.procedures[0])
        twins = [p.id for p in self.kb.procedures if p.name == named.name and p.id != named.id and p.id in near]
        if twins and named.id not in near and named.name in a.text and named.title not in a.text \
                and not DENIES_ONE.search(a.text):  # 不是丢了，是改名后换证 names its own
            a.procedures = twins[:1]

    @staticmethod
    def _correction_applied(a: Analysis, state: State) -> None:
        """哦不对，其实是证书快到期了要续，明年1月10号到期: a correction that asks nothing of its own is
        answered with what the corrected procedure needs, and the last question again for it."""
        if not (a.corrected and a.procedures and state.last_aspect):
            return
        own = [x for x in a.aspects if not x.startswith(("policy:", "contact:"))]
        if a.stages or set(a.materials) - {"certificate"} or (own and not set(own) <= {"overview", "notes", "steps"}):
            return
        again = ["materials"] + ([state.last_aspect] if state.last_aspect not in ("materials", "overview", "steps") else [])
        a.aspects = [x for x in a.aspects if x.startswith(("policy:", "contact:"))] + again
        a.corrected_again = again

    @staticmethod
    def _named_reference_in_context(a: Analysis, state: State) -> None:
        """更名那个领的时候是换新证还是贴条, with 企业更名 in the conversation: that procedure, whatever
        else the sentence names (换新证); without it in context, the sentence is read as it stands."""
        pid = a.referred_by_name
        discussed = {state.procedure, state.previous_procedure, *people.procedures_of(state.people)} - {None}
        if pid and pid in discussed and a.procedures != [pid]:
            a.procedures, a.named, a.situations = [pid], [pid], [x for x in a.situations if x == pid]

    def _at_collection_time(self, text: str, a: Analysis, state: State, today: date) -> None:
        """公告在哪看 → 到时候带什么: the time just talked about is the announcement's or the
        collection's, so what to bring then is what collecting asks for."""
        if not AT_THAT_TIME.search(text) or "materials" not in a.aspects or a.stages or a.named:
            return
        before = self.reader.read(state.last_question, today) if state.last_question else None
        after_approval = (state.last_aspect == "collect"
                          or (before is not None and ("contact:announcements" in before.topics or "领取" in before.stages))
                          or (state.case_stage is not None and self.kb.stage(state.case_stage).next in ("announce", "collect")))
        if after_approval:
            a.aspects = ["collect"] + [x for x in a.aspects if x not in ("materials", "collect")]
            a.stages = ["领取"]

    def _after_approval_in_context(self, a: Analysis, state: State) -> None:
        """企业更名 under discussion, then 批下来以后还要再去办补办吗: what follows approval is the
        procedure's own collection (贴条), not the collection of a 补办 it does not lead to."""
        asked = a.yes_no or "还是" in a.text  # 批了之后证书要交上去吗还是换新证
        if not (state.procedure and "collect" in a.aspects and asked) or a.corrected:
            return
        reissues = set(a.ambiguity.candidates) if a.ambiguity and not a.procedures else set(a.procedures)
        current = self.kb.procedure(state.procedure)
        if (reissues and reissues <= REISSUES and current.collection and not current.collection.next_procedure
                and not reissues & {state.procedure, *self._linked(current)}):
            a.procedures, a.ambiguity = [state.procedure], None  # 批了以后是不是还要申请遗失补办换新证: no, it ends with its own

    def _change_first(self, text: str, a: Analysis, state: State) -> None:
        """我同事也要补证，不过他是因为身份证改了名字: the change itself comes first (item 8, whose
        steps lead on to the reissue), unless it is said to be done (改名以后 / 变更审核通过了)."""
        if a.procedures != ["reissue_after_change"] or CHANGE_DONE.search(text) or state.procedure in CHANGE_CHAIN:
            return
        mentioned = [pid for pid, _, _ in self.reader.procedure_mentions(text, suppress=False)]
        if "personal_change" in mentioned and mentioned.index("personal_change") > 0:
            a.procedures = ["personal_change"]  # the reason told after the 补证 asked for

    @staticmethod
    def _loose_name_in_context(text: str, a: Analysis, state: State) -> None:
        """A word that names several procedures (改名 / 更名 / 变更) read as the one of them this
        conversation is about: 改名的批下来以后呢, after 公司上个月改名了, is the company's."""
        if a.named or a.corrected or len(a.procedures) != 1 or DENIES_ONE.search(text):
            return
        discussed = {state.procedure, state.previous_procedure, *people.procedures_of(state.people)} - {None}
        for word, pids in LOOSE_NAMES.items():
            if word in text and OWNER_SAID.search(text):
                continue  # 我们公司自己也改名了: the company's, whatever was discussed before
            if word in text and a.procedures[0] in pids and a.procedures[0] not in discussed:
                mine = [pid for pid in pids if pid in discussed]
                if len(mine) == 1:
                    a.procedures = mine
                    return

    def _repeated(self, turn: Turn, a: Analysis, state: State, today: date) -> Analysis:
        """刚才说的再说一遍: the last question again (再说一遍材料: that part of it)."""
        if not (REPEAT.search(turn.text) and state.last_question and not (a.procedures or a.topics or a.ambiguity)):
            return a
        asked = a.aspects
        a = self.reader.read(state.last_question, today, context=state.procedure)
        a.procedures = a.procedures or ([state.procedure] if state.procedure else [])
        a.aspects = asked or a.aspects
        return a

    def _choice_applied(self, turn: Turn, a: Analysis, state: State, today: date) -> Tuple[Analysis, State]:
        """A procedure picked by button, by answering our question, or named in an elliptical
        follow-up; else a material only one procedure asks for names that procedure."""
        chosen, how = self._chosen_procedure(turn, a, state)
        if not chosen:
            if not a.procedures and not a.ambiguity and a.materials and not STAGE_OF_MATERIAL.search(turn.text) \
                    and not self._other_office(turn.text):
                if not state.procedure:  # a material's owner only when nothing is in context
                    a.procedures = self._owner_of(a.materials)  # 工商变更证明要原件吗: only 企业更名 has it
                elif self._linked_owner(a.materials, state.procedure):
                    a.procedures = [self._linked_owner(a.materials, state.procedure)]  # 情况说明要谁签字, in item 8
            return a, state
        if how == "elliptical" and state.last_question:  # 那延续注册也要吗: the last question again
            a = self.reader.read(state.last_question, today)
        elif how == "elliptical":
            a.aspects = [state.last_aspect]
        elif state.pending_question:  # answer the question that waited for this choice
            a = self.reader.read(state.pending_question, today)
        a.procedures, a.ambiguity = [chosen], None
        return a, replace(state, pending_question=None, pending_candidates=[])

    def _other_office(self, text: str) -> bool:
        """营业执照怎么办理 / 驾驶证快到期了: another office's business named in its own words."""
        return any(cue in text for cue in self.kb.language.foreign_cues)

    def _expiry_applied(self, turn: Turn, a: Analysis, state: State, today: date) -> State:
        """The expiry this turn is about (said now, or before); the user's own is remembered."""
        expiry = None if a.expiry else self._expiry_from_context(turn.text, a, state, today)
        if expiry:
            a.expiry = expiry
            if bare_date(turn.text, today) is None:
                a.follows = state.last_question  # 还能续吗: the date is in the question before, keep that one
            _ask_window(a)
        elif a.expiry and len(a.expiries) == 1 and not a.expiry_owners and a.person is None:
            state = replace(state, expiry=_expiry_code(a.expiry))  # 我的证2027年2月10日到期: for 要是拖到2月底才交呢
        return state

    def _question_at_the_end(self, a: Analysis, state: State) -> None:
        """A story, then the question (撤回重报以后，窗口要带什么): a contact or policy mentioned only in
        the story is background, when only the last clause asks, and asks what to bring (the
        expiry's verdict stays: it answers for the procedure too). Not 材料还没交，怎么办: there the
        story is the question."""
        clauses = _clause_list(a.text)
        if len(clauses) < 2 or not a.topics or not (a.procedures or state.procedure):
            return
        context = a.procedures[0] if a.procedures else state.procedure
        last = self.reader.read(clauses[-1], a.today, context=context)
        if last.topics or not (set(last.aspects) & {"materials", "collect"} or last.stages) or not self._asks(last):
            return
        if any(self._asks(self.reader.read(clause, a.today, context=context)) for clause in clauses[:-1]):
            return  # 要先办什么？一寸照要原件吗？: two questions, both answered
        background = [t for t in a.topics if t != RENEWAL_WINDOW]
        a.aspects = [x for x in a.aspects if x not in background]
        a.strong_topics = [x for x in a.strong_topics if x not in background]

    @staticmethod
    def _asks(clause: Analysis) -> bool:
        return clause.yes_no or bool(QUESTION_WORDS.search(clause.text))

    def _continues_topic(self, turn: Turn, a: Analysis, state: State) -> bool:
        """A short follow-up with nothing of its own (是在哪里申请的 / 它出问题了打哪个电话 /
        要是已经交到窗口了呢) continues the topic of the last question."""
        supposing = bool(SUPPOSING.match(turn.text)) and turn.text.rstrip("?？。!").endswith("呢")
        generic = len(turn.text) <= SHORT_FOLLOW_UP and (
            set(a.aspects) <= {"where", "overview", "steps", "notes"}
            or (set(a.aspects) <= {"contact"} and (PRONOUN.search(turn.text) or len(turn.text) <= 8)))
        if a.procedures or a.topics or a.ambiguity or a.expiry or a.out_of_scope or (a.aspects and not supposing and not generic):
            return False
        if a.stages and not supposing and state.last_question and set(self.reader.read(state.last_question).topics) <= PLACES:
            return False  # 要去哪个窗口 → 我孙子帮我在网上弄行不行: a step of its own, not the place again
        if self._chitchat(turn) or not state.last_question or (state.case_stage and NEXT_ASKED.search(turn.text)):
            return False
        own_material = set(a.materials) - {"certificate"}  # 窗口交的时候要不要一寸照: the procedure's material
        if state.procedure and not supposing and (set(a.aspects) & {"where", "materials", "collect", "steps"} or a.asks_next
                                                  or own_material or BARE_NEXT.fullmatch(turn.text.strip("?？。!！. "))):
            return False  # 社保证明呢 → 交到哪 / 然后呢: the procedure's, not the policy's again
        return (_elliptical(turn.text) or supposing
                or not a.has_domain_signal and (len(turn.text) <= SHORT_FOLLOW_UP or bool(WHY.search(turn.text)) and len(turn.text) <= 20))

    def _topic_continued(self, a: Analysis, state: State, today: date) -> None:
        earlier = self.reader.read(state.last_question, today, context=state.procedure)
        if "contact:withdraw" in earlier.topics and HANDED_IN.search(a.text):  # 如果已经交到窗口了呢
            a.silent = self.kb.language.silent_topic("withdraw_after_acceptance")
            return
        tied = state.procedure and set(a.aspects) & {"where", "steps"} and all(
            self.reader.policy_procedures(t) for t in earlier.topics)  # 最早提前多久 → 那交到哪: the renewal's window
        if earlier.topics and not earlier.procedures and not tied:  # 51号文讲的啥 → 哪天开始执行的 / 单位那栏呢
            a.aspects = earlier.topics + a.aspects
            a.strong_topics = earlier.strong_topics
            a.follows = state.last_question
        elif a.aspects and set(a.aspects) <= {"contact"} and any(t.startswith("contact:") for t in earlier.topics):
            lines = [t for t in earlier.topics if t.startswith("contact:")]  # 转注册报错了能撤回吗 → 打哪个电话
            a.aspects, a.strong_topics = lines + a.aspects, lines[:1]

    def _about_looked_up_case(self, turn: Turn, a: Analysis, state: State) -> Optional[List[dict]]:
        """After a lookup, about that application (or one looked up before, named: 王小明的 / 李华的呢):
        为什么被退回 gets its note, 能去领了吗 a verdict from its stage, 它现在到哪一步了 the stage
        again; each then says what the stage means and what comes next."""
        seen = [LookedUp.parse(entry) for entry in state.cases_seen]
        named = [c for c in seen if c.name in turn.text or c.case_no.lower() in turn.text]
        if len(seen) > 1 and not named and CAN_COLLECT.search(turn.text) and WHICH_OF.search(turn.text):  # 这两个谁能去领
            return [{"text": "\n".join(f"{c.name}（{c.case_no}）：{c.stage}，" + ("可以领取。" if self.kb.stage(c.stage).next == "collect"
                                                                               else "还不能领取。") for c in seen)}]
        if (a.gives_case_no and not named) or (a.procedures and not named):
            return None
        if any(t.startswith("contact:") and t != "contact:review" for t in a.strong_topics) and not named:
            return None  # 重新上传时系统报错传不上去找谁: the technical line (为什么被退回 keeps the case: its answer has the review line)
        if named:
            case = named[-1]
        elif seen and seen[-1].stage == state.case_stage and seen[-1].procedure == state.procedure:
            case = seen[-1]  # the one just looked up, with its number and date
        elif state.case_stage and state.procedure:
            case = LookedUp("", "", state.procedure, state.case_stage, state.case_note or "")
        else:
            return None
        text = turn.text
        if named and _elliptical(text) and state.last_question:  # 李华的呢: what was asked of the other one
            text = state.last_question
        stage, p = self.kb.stage(case.stage), self.kb.procedure(case.procedure)
        fact = _case_fact(case, p, text)
        if fact:
            return fact + stage_explained(self.kb, stage, p)
        if stage.name == "已退回" and ((("退回" in text or len(text) <= 6) and WHY.search(text)) or REDO.search(text)
                                     or (NEXT_ASKED.search(text) and len(text) <= SHORT_FOLLOW_UP)):  # 那怎么办: the note says
            note = [{"text": f"退回说明：{case.note}"}] if case.note else []
            review = self.kb.contact("review")
            return note + stage_explained(self.kb, stage, p) + [{"text": f"如对审查意见有疑问，可拨打{review.text}"}]
        if CAN_COLLECT.search(text) and (a.yes_no or named) and not APPROVED_LATER.search(text):
            verdict = {"collect": "可以。", "done": ""}.get(stage.next, "还不能。")
            return [{"text": verdict}] * bool(verdict) + stage_explained(self.kb, stage, p)
        if (a.status_request and len(turn.text) <= SHORT_FOLLOW_UP and not turn.identity()) or (named and _elliptical(turn.text)):
            return stage_explained(self.kb, stage, p)  # 它现在到哪一步了
        return None

    def _colleagues(self, text: str, a: Analysis, state: State, today: date) -> State:
        """老王要延续注册，小陈证书丢了要补办。先说老王的: remember who needs what (and whose
        certificate expires when), answer for the one asked about; later 小陈的呢 / 另一个呢 /
        第二个人 / 小李现在能报吗 mean that colleague's procedure and date."""
        found = people.introduced(text, self.reader.procedures_in)
        if not found:  # 小孙上个月考过了，要给他注册: one colleague, one procedure, over two clauses
            labels = people.labels_in(text)
            pid = a.procedures[0] if len(a.procedures) == 1 else a.hinted
            if len(labels) == 1 and pid:
                found = [(labels[0], pid)]
        dates = people.expiries_in(text, lambda clause: self._expiry_iso(clause, today))
        a.expiry_owners = {iso: label for label, iso in dates.items()}
        known = people.merged(state.people, found, dates)
        if len(a.procedures) > 1:
            last_clause = _clause_list(text)[-1]
            focus = (people.first_only(text, found, self.reader.procedures_in)
                     or (people.asked_about(last_clause, known, None) if found and _one_named(last_clause, known)
                         else None))  # not 老王…小李…张工…分别要交什么, one clause naming them all
            if focus:
                a.procedures = [focus]
                if focus != "renewal":  # 徐婷证书1月20日到期。先说郑丽注销要什么: no renewal verdict for 徐婷 now
                    a.expiry, a.expiries = None, []
                    a.aspects = [x for x in a.aspects if x != RENEWAL_WINDOW]
                    a.strong_topics = [x for x in a.strong_topics if x != RENEWAL_WINDOW]
        elif known:
            self._person_referred(text, a, known, state, today)
        return replace(state, people=known) if found or dates else state

    def _person_referred(self, text: str, a: Analysis, known: List[str], state: State, today: date) -> None:
        """The colleague this question is about: their procedure, and their expiry for a question
        about when they may apply (小李现在能报吗 / 老周具体哪天开始能报)."""
        person = people.person_asked(text, known, state.procedure)
        if not person or (a.procedures and a.procedures != [person[1]]):
            return
        label, pid, expiry = person
        a.procedures, a.ambiguity, a.person = [pid], None, label
        if expiry and pid == "renewal" and date.fromisoformat(expiry) < today and NEXT_ASKED.search(text) and not a.materials:
            a.silent = self.kb.language.silent_topic("after_expiry")  # 小吴已经过期了 … 那小吴该怎么办
            return
        window = WINDOW_ASKED.search(text) or (_elliptical(text) and WINDOW_ASKED.search(state.last_question or ""))
        if expiry and pid == "renewal" and not a.expiry and not a.materials and window:
            a.expiry, a.expiries = ExpiryDate(date.fromisoformat(expiry)), []
            a.expiry_owners = {expiry: label}
            _ask_window(a)

    def _expiry_iso(self, clause: str, today: date) -> Optional[str]:
        found = find_expiry(clause, today)
        return found.value.isoformat() if found and found.precision != "year" else None

    def _referred(self, text: str, a: Analysis, state: State, today: date) -> None:
        """References back: 回到改名的事 (the procedure before), 这两个哪个要照片 (this one and the one
        before), 第二样要原件吗 / 最后那个呢 (a material of the list just given)."""
        if not a.procedures and state.previous_procedure and BACK_TO.match(text):
            a.procedures = [state.previous_procedure]
        if len(a.procedures) == 1 and state.previous_procedure and BACK_TO.match(text) \
                and not people.person_asked(text, state.people, state.procedure) \
                and any(w in text and state.previous_procedure in pids for w, pids in LOOSE_NAMES.items()):
            a.procedures = [state.previous_procedure]  # 回到改名的事, after 公司改名了: the company's
        if not a.procedures and BOTH.search(text) and state.previous_procedure and state.procedure \
                and state.previous_procedure != state.procedure:
            a.procedures = [state.previous_procedure, state.procedure]
            a.yes_no = a.yes_no or "哪个" in text  # 这两个哪个要照片: 都需要 / 都不需要 / each
        if (not a.procedures and state.previous_procedure and MINE_AGAIN.match(text) and state.last_question
                and COLLEAGUE_SAID.search(state.last_question)):
            a.procedures = [state.previous_procedure]  # 我同事…他交啥 → 我那个批了以后呢: mine, not the colleague's
        if not a.procedures and state.procedure and state.last_aspect in ("collect", "steps") and THAT_ONE.match(text):
            following = self.kb.procedure(state.procedure).collection
            if following and following.next_procedure:  # the answer just said what follows: that one
                a.procedures = [following.next_procedure]
        m = MATERIAL_AT.search(text)
        if m and not a.materials and not a.procedures and state.procedure:
            listed = self.kb.procedure(state.procedure).intake.materials
            index = -1 if m.group(0).startswith("最后") else "一二三四五".find(m.group(1)) if m.group(1) in "一二三四五" \
                else int(m.group(1)) - 1
            if -1 <= index < len(listed):
                a.materials, a.referred_material = [listed[index].kind], True
                if not (a.form or a.yes_no) and state.last_question:  # 最后那个呢: the question asked of the one before
                    earlier = self.reader.read(state.last_question, today)
                    a.form, a.yes_no, a.aspects = earlier.form, earlier.yes_no, earlier.aspects or a.aspects

    def _compared(self, text: str, a: Analysis, state: State) -> Optional[List[dict]]:
        """和刚才那个有什么区别 / 两个有区别吗 / 比刚才多了什么: the procedure discussed now beside
        the one before (or the one named), for what was last asked."""
        if len(a.procedures) > 1 and len(a.materials) == 1 and SAME_ASKED.search(text) and "章" not in text:
            return answers.material_compared(self.kb, [self.kb.procedure(p) for p in a.procedures], a.materials[0])
        if not COMPARE.search(text) or "章" in text:
            return None
        pair = self._compared_pair(a, state)
        if pair is None:
            return None
        if not all(pair) or pair[0] == pair[1]:
            return None
        first, second = self.kb.procedure(pair[0]), self.kb.procedure(pair[1])
        collecting = "collect" in a.aspects or (state.last_aspect == "collect" and first.collection and second.collection)
        return answers.compared(self.kb, first, second, "collect" if collecting else "materials")

    def _compared_pair(self, a: Analysis, state: State) -> Optional[List[str]]:
        """Which two procedures are compared: two named (转注册和初始注册有什么区别), the two kinds of a
        loose name or of a name the guide gives twice (两个遗失补办有什么区别), or the one discussed
        beside the one before or the one named."""
        if len(a.procedures) == 2:
            return list(a.procedures)
        if not a.procedures and a.ambiguity and len(a.ambiguity.candidates) == 2:
            return list(a.ambiguity.candidates)
        if len(a.procedures) == 1 and BOTH_KINDS.search(a.text):
            named = self.kb.procedure(a.procedures[0]).name
            same = [p.id for p in self.kb.procedures if p.name == named]
            if len(same) == 2:
                return same
        if not state.procedure:
            return None
        return [state.previous_procedure, state.procedure] if not a.procedures else [state.procedure, a.procedures[0]]

    # -- understanding the turn ---------------------------------------------------------

    def _bare_next(self, text: str, a: Analysis, state: State, today: date) -> None:
        """然后呢 / 接下来呢, while a procedure is discussed: the step after the one just asked about,
        or the whole way when no step was."""
        if (a.procedures or a.topics or a.materials or a.stages or a.ambiguity or state.case_stage
                or not state.procedure or not state.last_question):
            return
        bare = text.strip("?？。!！. ")
        if (MORE.fullmatch(bare) and state.last_aspect in (None, "materials", "collect", "overview", "steps")) or (a.only and len(bare) <= 8):
            a.aspects = ["collect" if state.last_aspect == "collect" else "materials"]  # 还有别的吗 / 就这一样吗: the list
            a.more_asked = bool(MORE.fullmatch(bare))
            return
        if DONE_THEN.fullmatch(bare):
            a.aspects = ["collect"]  # 办完就好了吗: what follows approval, if anything
            return
        said_next = len(bare) <= SHORT_FOLLOW_UP and any(c in bare for c in self.kb.language.next_cues)  # 之后还剩什么要做
        if not (BARE_NEXT.fullmatch(bare) or said_next):
            return
        earlier = self.reader.read(state.last_question, today, context=state.procedure)
        if APPROVED_NEXT.search(text) or "contact:announcements" in earlier.topics:
            a.aspects = ["collect"]  # 结果在哪看 → 出来以后呢: what to bring to collect
            return
        if earlier.stages:
            a.stages, a.asks_next = earlier.stages[-1:], True
        elif state.last_aspect == "materials":
            a.stages, a.asks_next = ["受理"], True  # what to hand in, then 然后呢: what follows the window
        else:
            a.whole_process = True
        a.aspects = ["steps"]

    def _expired_before(self, state: State, today: date) -> bool:
        """The last question gave an expiry date that has passed (我证书昨天到期了)."""
        if state.procedure != "renewal" or not state.last_question:
            return False
        earlier = self.reader.read(state.last_question, today).expiry
        return earlier is not None and earlier.value < today

    def _expiry_from_context(self, text: str, a: Analysis, state: State, today: date) -> Optional[ExpiryDate]:
        """While renewal is discussed a bare date is the expiry (延注想问下 → 27年2月28), and
        还能续吗 asks again about the expiry said before (我证书昨天到期了)."""
        if state.procedure == "renewal" and len(text) <= 20:
            found = bare_date(text, today)
            if found:
                return found
        asks_again = ((a.procedures == ["renewal"] and a.yes_no and not a.materials)  # 还能续吗 (not 要一寸照吗)
                      or (RENEWAL_WINDOW in a.topics and WHEN.search(text) and "过期" not in text)  # 那最早哪天可以报
                      or (state.procedure == "renewal" and a.yes_no and not a.procedures  # 那现在能报吗
                          and NOW_ASKED.search(text)))
        own = _expiry_decoded(state.expiry) if a.person is None else None
        other_question = (a.asks_copies or a.form or set(a.aspects) & {"materials", "collect", "steps", "where"}
                          or (people.labels_in(text) and a.person is None))  # 老胡的延续表要几份 / 批了以后谁去贴条
        if state.last_question and asks_again and not other_question:
            return self.reader.read(state.last_question, today).expiry or own  # the date said before
        if a.planned and state.procedure == "renewal":
            return own  # 要是我拖到2月底才去交呢: against the expiry said earlier
        return None

    def _chosen_procedure(self, turn: Turn, a: Analysis, state: State) -> Tuple[Optional[str], Optional[str]]:
        """(procedure id, how): picked by button, by answering our clarifying question,
        or named in an elliptical follow-up; (None, None) otherwise."""
        if turn.intent == "choose_procedure":
            for e in turn.entities:
                if e.get("entity") == "procedure" and e.get("value") in {p.id for p in self.kb.procedures}:
                    return e["value"], "button"
        outside = a.procedures and not set(a.procedures) <= set(state.pending_candidates)  # 其实证没丢，是我改名字了: item 8
        if state.pending_candidates and not a.topics and not outside:
            ambiguity = next((amb for amb in self.kb.ambiguities if set(state.pending_candidates) <= set(amb.candidates)), None)
            picked = self.reader.choose(turn.text, state.pending_candidates, ambiguity)
            if picked:
                return picked, "clarified"
        if len(a.procedures) == 1 and not a.aspects and not a.materials and not a.silent and state.last_aspect \
                and _elliptical(turn.text):  # not 加专业要不要先修继续教育学时: that asks its own (silent) question
            return a.procedures[0], "elliptical"
        return None, None

    def _aspect(self, turn: Turn, a: Analysis) -> Optional[str]:
        """What is asked: a topic (policy:…, contact:…) or materials/steps/collect/…

        Strong topics (a policy, a phone number) come first; the window and the announcements
        only when no procedure is named (补办的证书去哪个窗口拿 is about collecting). Then the
        question's own words, best first; the intent decides only when the words do not."""
        cues = [c for c in a.aspects if not c.startswith(("policy:", "contact:"))]
        return self._topic_aspect(a, cues) or self._step_aspect(a, cues) or self._worded_aspect(turn, a, cues)

    @staticmethod
    def _topic_aspect(a: Analysis, cues: List[str]) -> Optional[str]:
        """A policy or a contact asked about, when it beats the procedure's own answer."""
        if "contact:announcements" in a.topics and WHO_APPROVES.search(a.text):
            return "contact:announcements"  # 转注册材料交到省厅以后由哪里审核
        if (a.strong_topics == [RENEWAL_WINDOW] and not a.expiry and a.months_early is None
                and "collect" in a.aspects and not any(w in a.text for w in ("提前", "提早", "最早"))):
            return "collect"  # 啥时候能去贴条: when to collect, not when to apply
        if a.strong_topics:
            return a.strong_topics[0]
        if a.topics and not (a.procedures or a.ambiguity or a.materials):
            return a.topics[0]
        if a.topics and set(cues) <= {"where"}:  # the window or the announcements, for one procedure
            return "collect" if "contact:announcements" in a.topics else "where"
        return None

    @staticmethod
    def _step_aspect(a: Analysis, cues: List[str]) -> Optional[str]:
        """The steps, or one material, as the shape of the question decides."""
        if a.materials == ["application_form"] and FORM_FROM.search(a.text) and not a.procedures:
            return "steps"  # 申请表去哪里领？要去窗口拿空白表吗: printed from the system after 上报 (the 申报 step)
        if ORDER.search(a.text) and len(a.procedures) <= 1 and not a.topics:
            return "steps"  # 是先在网上报还是先去窗口交材料: the steps in order
        if "where" in cues and HOW_TO.search(a.text) and "collect" not in cues:
            a.whole_process = True
            return "steps"  # 怎么办理，去哪里交: the whole way, which says where
        if a.asks_copies and a.materials and not a.yes_no:
            a.stages = [s for s in a.stages if s != "申报"]  # 申请表打印一份还是两份: how many to hand in
            return "materials"
        if a.asks_next or a.whole_process or len(a.stages) >= 3 or ("steps" in cues and len(a.stages) >= 2):
            return "steps"  # 报完了下一步干嘛 / 从申报到领证一步步说 / 整个流程
        if a.shortcut and (a.procedures or a.stages):
            return "steps"  # 是不是直接拿材料去窗口交就行了: the whole way, not a shortcut
        if a.stages and (not cues or (a.yes_no and not a.materials and "collect" not in cues)):
            return "steps"  # 申请表是什么时候打印 / 材料能寄过去吗，还是要跑一趟窗口
        if a.materials == ["application_form"] and FORM_FROM.search(a.text):
            return "steps"  # 申请表去哪里拿: printed from the system after 上报 (the 申报 step)
        return Responder._material_aspect(a, cues)

    @staticmethod
    def _material_aspect(a: Analysis, cues: List[str]) -> Optional[str]:
        if set(a.materials) - {"certificate"} and SIGN_OR_SEAL.search(a.text):
            return "materials"  # 情况说明该由谁签字、谁盖章: that material, not the 贴条 stamp
        if a.materials and cues == ["where"] and not a.stages:
            return "materials"  # 在哪登报 / 一寸照在哪交: that material's own line says where
        if not cues and a.materials and (a.yes_no or a.form):
            return "materials"  # 报纸登在县里的，拿这个去补办行吗: about that material, whatever the intent
        return None

    @staticmethod
    def _worded_aspect(turn: Turn, a: Analysis, cues: List[str]) -> Optional[str]:
        """The question's own words, best first; the intent decides only when it is sure."""
        intent_aspect = INTENT_ASPECT.get(turn.intent)
        sure = turn.confidence >= (CONFIDENT if cues else INTENT_ALONE)  # the intent alone must be sure
        if intent_aspect and sure and (not cues or intent_aspect == cues[0]):
            return intent_aspect
        if cues:
            if "materials" in cues and "collect" not in cues and "steps" in cues[:2]:
                return "overview"
            if "materials" in cues and "where" in cues and "collect" not in cues and MATERIALS_ASKED.search(a.text):
                return "materials"  # 要带啥 去哪交: the list says where it goes
            if "where" in cues and a.stages and "collect" not in cues and not ("materials" in cues and ITEMS_ASKED.search(a.text)):
                return "where"  # 纸质材料交到哪里, not 送到窗口的纸质材料是哪些
            return cues[0]
        if a.materials:
            return "materials"
        return intent_aspect if sure else None

    def _chitchat(self, turn: Turn) -> Optional[str]:
        """greet / thanks / goodbye: by NLU when sure or the message is short, else by its words."""
        if self._acknowledged(turn.text):
            return "thanks"  # 好的 / 好的，明白了, whatever NLU says: 不客气，还有问题随时问我
        lang = self.kb.language
        if turn.intent == "greet" and len(turn.text) <= 12 and not any(_said(turn.text, c) for c in lang.chitchat_cues.get("greet", ())):
            closing = [n for n in ("thanks", "goodbye") if any(_said(turn.text, c) for c in lang.chitchat_cues.get(n, ()))]
            if closing:
                return closing[0]  # 好的，麻烦了: thanks, not hello
        sure = turn.confidence >= CHITCHAT_CONFIDENT or len(turn.text) <= 6
        if turn.intent in CHITCHAT and sure and CJK.search(turn.text) and len(turn.text) <= CHITCHAT_LONGEST:
            # not "Write me a SQL query", nor 500 times 啊
            return turn.intent
        lang = self.kb.language
        for name, cues in lang.chitchat_cues.items():
            if any(_said(turn.text, c) for c in cues) and (len(turn.text) <= 12 or turn.text.startswith(cues)):
                return name
        rest = turn.text
        for cue in lang.opener_cues:
            rest = rest.replace(cue, "")
        if rest != turn.text and len(OPENER_LEFTOVER.sub("", rest)) <= 3:
            return "greet"  # 问个事儿 / 打扰一下: say hello and let them ask (not 顺便问一下，杭州明天限行吗)
        return None

    def _acknowledged(self, text: str) -> bool:
        """好的 / 收到 / 好的，明白了: nothing but acknowledgements."""
        rest = ACK_NOISE.sub("", text)
        for cue in sorted(self.kb.language.ack_cues, key=len, reverse=True):
            rest = rest.replace(cue, "")
        return bool(text.strip()) and not rest

    def _order_question(self, a: Analysis) -> Optional[Procedure]:
        """Two procedures where one follows the other's approval, asked which comes first."""
        if "先" not in a.text and "同时" not in a.text:
            return None
        mentioned = [pid for pid, _, _ in self.reader.procedure_mentions(a.text, suppress=False)]
        if len(mentioned) == 1 and a.ambiguity:  # 身份证姓名变更和补办证书，哪个先办: 补办 is the one that follows
            p = self.kb.procedure(mentioned[0])
            nxt = p.collection.next_procedure if p.collection else None
            return p if nxt in a.ambiguity.candidates else None
        if len(mentioned) < 2:
            return None
        names = {self.kb.procedure(pid).name for pid in mentioned}
        for pid in mentioned:
            p = self.kb.procedure(pid)
            nxt = p.collection.next_procedure if p.collection else None
            if nxt and (nxt in mentioned or self.kb.procedure(nxt).name in names):
                return p
        return None

    def _material_stage_question(self, a: Analysis, state: State) -> Optional[List[dict]]:
        """单位介绍信是在哪个环节用的: for a material with no procedure named or in context (or
        asked of every procedure: 哪些业务要交), the steps that ask for it."""
        if a.procedures or a.topics or len(a.materials) != 1 or not STAGE_OF_MATERIAL.search(a.text):
            return None
        if state.procedure and not EVERY_PROCEDURE.search(a.text):
            return None  # 企业更名 discussed, then 那注册证书什么时候要带: 企业更名's
        if a.materials == ["certificate"] and not _certificate_asked(a.text):
            return None  # 哪些业务是领新证书，哪些是贴条: how each ends, not where the certificate is handed in
        return answers.material_stages(self.kb, a.materials[0])

    def _linked_owner(self, kinds: List[str], pid: str) -> Optional[str]:
        """The procedure that follows or leads to `pid` (item 8 → item 9) when it, and not `pid`,
        asks for these materials: in item 8's conversation, 情况说明 is the reissue's."""
        p = self.kb.procedure(pid)
        for q in self._linked(p):
            if all(self._asks_for(self.kb.procedure(q), k) for k in kinds) \
                    and not all(self._asks_for(p, k) for k in kinds):
                return q
        return None

    def _owner_of(self, kinds: List[str]) -> List[str]:
        """The procedure that alone asks for these materials (工商变更证明 → 企业更名), if any."""
        owners = [p.id for p in self.kb.procedures
                  if all(any(m.kind == k for s in p.steps for m in s.materials + s.bring) for k in kinds)]
        return owners if len(owners) == 1 else []

    def _procedures(self, a: Analysis, aspect: Optional[str], state: State) -> Optional[List[str]]:
        """The procedures to answer for; None when an ambiguity is left to ask about."""
        if a.procedures:
            return a.procedures
        if a.ambiguity:
            candidates = self._candidates(a, aspect, state)
            if len(candidates) > 1 and self._same_for_all(candidates, a, aspect):
                return candidates  # 补证不用交1寸照吧: both kinds of 补办 ask the same, so no need to ask which
            return candidates if len(candidates) == 1 else None
        if not state.procedure and 1 < len(state.pending_candidates) <= MAX_PROCEDURES and aspect and aspect != "overview":
            return list(state.pending_candidates)  # 补办是哪种情况？ → 要带什么: each of the two, not nine buttons
        return [state.procedure] if state.procedure else []

    def _same_for_all(self, candidates: List[str], a: Analysis, aspect: Optional[str]) -> bool:
        """A question about one material that every candidate answers alike (same material, same form)."""
        kinds = self._focus_materials(a, aspect or "")
        if not kinds or not (a.yes_no or a.form):
            return False
        def held(pid: str):
            p = self.kb.procedure(pid)
            return [(k, next((m.form for m in p.intake.materials if m.kind == k), "absent")) for k in kinds]
        return len({tuple(held(pid)) for pid in candidates}) == 1

    def _candidates(self, a: Analysis, aspect: Optional[str], state: State) -> List[str]:
        """Narrow an ambiguity by the conversation (身份证变更 → 变更后补办) and by what
        is asked (only procedures with a 领取 step can answer a collection question)."""
        candidates = list(a.ambiguity.candidates)
        if state.procedure:  # the conversation first: 补办完了新证怎么领, in item 9's conversation, is item 9's
            current = self.kb.procedure(state.procedure)
            nxt = current.collection.next_procedure if current.collection else None
            for pid in (current.id, nxt):
                if pid in candidates:
                    return [pid]
        if aspect == "collect":
            candidates = [c for c in candidates if self.kb.procedure(c).collection] or candidates
        named = [pid for pid in dict.fromkeys(people.procedures_of(state.people)) if pid in candidates]
        if len(named) == 1:  # 还有个员工离职要注销 … 离职那个呢: the one named earlier
            return named
        if a.hinted in candidates:  # 遗失声明登在报纸上，拿这个去补办行吗 → 遗失
            return [a.hinted]
        named = [k for k in a.materials if k != "certificate"]
        if named:  # 补证没登报有别的法子没: only one kind of 补办 asks for a newspaper
            having = [c for c in candidates if all(self._asks_for(self.kb.procedure(c), k) for k in named)]
            if SIGN_OR_SEAL.search(a.text):  # 补办的情况说明谁签字: the guide says so for one of them
                having = [c for c in having if any(m.detail for m in self._materials_of(self.kb.procedure(c), named))] or having
            if len(having) == 1:
                return having
        return candidates

    def _asks_for(self, p: Procedure, kind: str) -> bool:
        """The procedure asks for this kind of material, or accepts it instead of another (情况说明 for 报刊)."""
        return any(m.kind == kind or (m.alternative and kind in self.reader.material_kinds_in(m.alternative))
                   for s in p.steps for m in s.materials + s.bring)

    @staticmethod
    def _materials_of(p: Procedure, kinds: List[str]) -> List:
        return [m for s in p.steps for m in s.materials + s.bring if m.kind in kinds]

    # -- answers ---------------------------------------------------------------------------

    def _answer(self, p: Procedure, aspect: str, a: Analysis) -> List[dict]:
        """One procedure's answer to the aspect asked: a linked procedure's first, then one
        material, then the aspect's own answer."""
        linked = self._linked_answer(p, aspect, a)
        if linked is not None:
            return linked
        if AFTER_LAST_STEP.search(a.text) and p.collection and not p.collection.next_procedure:
            done = p.collection.purpose or "领取"  # 贴完条还有别的手续吗: the guide's steps end there
            return [{"text": f"办事指南中{p.title}到领取环节（{done}）就办完了，之后没有列出其他手续。"}]
        if aspect == "collect" and a.yes_no and REISSUE_SAID.search(a.text) and p.collection \
                and not p.collection.next_procedure and not REISSUE_SAID.search(p.title):
            said = self._aspect_of(p, aspect, a)  # 企业更名批了之后也要补办吗: no, it ends with its own collection
            return [{"text": f"不需要补办。{p.title}审核通过后按领取要求办理即可："}] + said
        focus = self._focus_materials(a, aspect)
        if focus:
            stages = ["领取"] if aspect == "collect" else a.stages
            said = answers.material_focus(self.kb, p, focus, a.form, a.yes_no, stages, lacking=a.lacking, only=a.only,
                                          besides=a.besides, question=a.text)
            if a.linked_owner and a.linked_owner != p.id:
                then = answers.material_focus(self.kb, self.kb.procedure(a.linked_owner), focus, a.form, a.yes_no, (),
                                              lacking=a.lacking, only=a.only, besides=a.besides, question=a.text)
                said = answers.then_needed(self.kb.procedure(a.linked_owner), said, then)
            return said
        if aspect == "collect" and (a.besides or a.more_asked or a.only) and p.collection and p.collection.bring:
            listed = "、".join(answers.material_line(m, with_copies=False) for m in p.collection.bring)
            return [{"text": f"领取时办事指南只要求携带：{listed}，没有列出别的。"}] + self._aspect_of(p, aspect, a)  # 除了介绍信还要带啥
        if aspect == "materials" and (a.more_asked or a.only):  # 还要别的材料吗 / 就这一张表？: the list is all
            return answers.nothing_more(answers.materials(self.kb, p))  # 还要别的材料吗: the list is all
        if aspect == "materials" and a.form and a.yes_no:
            return answers.form_question(self.kb, p, a.form)
        if aspect in ("materials", "collect") and {"materials", "collect"} <= set(a.aspects) and self._asks_both(a.text):
            return answers.materials(self.kb, p) + answers.collection(self.kb, p)  # 交啥材料，批了以后领证又要带啥
        return self._aspect_of(p, aspect, a)

    def _linked_answer(self, p: Procedure, aspect: str, a: Analysis) -> Optional[List[dict]]:
        """Procedures that follow one another (身份证姓名等其他变更 → 变更后补办): done together,
        or collecting where the procedure itself has nothing to collect."""
        kb = self.kb
        before = self._before(p)
        then = p.collection.next_procedure if p.collection else None
        if then and aspect in ("steps", "overview") and TOGETHER.search(a.text):
            return answers.steps(kb, p)  # 身份证号码更正是不是要前后报两个业务: this, approved, then the next
        if before and aspect in ("steps", "overview") and TOGETHER.search(a.text):
            lead = [{"text": f"不能一起办理。按办事指南，先办{before.title}，审核通过后再办{p.title}："}] if a.yes_no else []
            return lead + answers.steps(kb, before)  # 姓名变更和补办新证能一起报吗: the change first, approved, then this
        if aspect == "collect" and not p.collection:
            if ("受理" in a.stages or DONE_WITH.search(a.text)) and REISSUE_SAID.search(a.text):  # 改名后补办，交到窗口以后还要去领吗
                return answers.collection(kb, p)  # the guide's two steps, no collection
            if before:  # the step that leads to this procedure is what "after approval" means
                return _yes(a, need_stage=False) + answers.collection(kb, before)
        return None

    def _aspect_of(self, p: Procedure, aspect: str, a: Analysis) -> List[dict]:
        kb = self.kb
        if aspect == "materials":
            return answers.materials(kb, p)
        if aspect == "collect":
            return answers.collection(kb, p, proxy=self._proxy_question(a),
                                      asks_stamp=a.yes_no and bool(NEEDS_STAMP.search(a.text)) and "章" not in a.text
                                      and not self._proxy_question(a))  # 让公司的人去贴条行不行: who goes, not whether
        if aspect == "where" and a.asks_copies:  # 材料交到哪里，每样要几份: the list says both
            return answers.materials(kb, p)
        if aspect == "where":
            return _yes(a) + answers.where(kb, p, a.stages)
        if aspect == "notes":
            return answers.notes(kb, p)
        if aspect == "contact":
            return answers.all_contacts(kb)
        if aspect == "steps":
            if a.shortcut and self._before(p):  # 改了名能不能直接申请遗失补办: first the change itself
                return answers.steps(kb, self._before(p))
            return _yes(a) + answers.steps(kb, p, self._asked_stages(a))
        return answers.steps(kb, p)

    def _asks_both(self, text: str) -> bool:
        """交啥材料，批了以后领证又要带啥: one clause about handing in, another about collecting
        (not 名单公布了，去拿证要带啥, which asks only about collecting)."""
        collecting, handing_in = False, False
        for sentence in SENTENCE_OR_HEAD_BREAK.split(text):
            said_collect = False  # 批下来以后，谁去领，要带什么: what to bring, after collecting in one sentence, is for then
            for clause in _clause_list(sentence):
                aspects = set(self.reader.read(clause).aspects)
                handing_in = handing_in or ("materials" in aspects and "collect" not in aspects and not said_collect)
                said_collect = said_collect or "collect" in aspects
            collecting = collecting or said_collect
        return collecting and handing_in

    def _linked(self, p: Procedure) -> List[str]:
        """The procedures one follows from or leads to (item 8 → item 9), the next one first."""
        before = self._before(p)
        return [q for q in (p.collection.next_procedure if p.collection else None, before.id if before else None) if q]

    def _before(self, p: Procedure) -> Optional[Procedure]:
        """The procedure whose approval leads to `p` (身份证姓名等其他变更 → 变更后补办)."""
        return next((q for q in self.kb.procedures if q.collection and q.collection.next_procedure == p.id), None)

    def _asked_stages(self, a: Analysis) -> List[str]:
        """The one step asked about; the step after it for 报完了下一步; all for several."""
        subject = STAGE_SUBJECT.search(a.text)
        if subject:  # 申报这一步是在网上报还是到窗口报
            return [subject.group(1)]
        if a.asks_next and "还是" in a.text and len(set(a.stages)) == 1:  # 先打印再上报，还是报完了再打
            return a.stages[:1]
        if a.asks_next and a.stages[-1] == "申报":  # 上报了，接下来: the 申报 step ends 上报后打印申请表
            return ["申报", "受理"]
        if a.asks_next:
            return [STAGE_AFTER.get(a.stages[-1], a.stages[-1])]
        if a.whole_process or a.shortcut:
            return []
        return a.stages if len(a.stages) == 1 else []

    def _focus_materials(self, a: Analysis, aspect: str) -> List[str]:
        """Materials the question is about (要不要带照片), not the subject of the sentence
        (证书丢了): 注册证书 counts only when it is the one material named."""
        if aspect not in ("materials", "overview", "notes", "where", "collect", "steps"):
            return []
        if aspect in ("collect", "steps") and not any(w in a.text for w in ("带", "交", "携带", "提供", "原件", "复印件")):
            return []  # 更名后证书要换吗 / 证书批了会寄到单位吗 ask what happens, not what to bring
        kinds = [k for k in a.materials if k != "certificate"] or a.materials
        if kinds == ["certificate"] and not (a.referred_material or _certificate_asked(a.text)):
            return []  # 交完之后证书是直接换新的吗 asks what happens to it, not whether to bring it
        if a.yes_no or a.form or STAGE_OF_MATERIAL.search(a.text):  # 那注册证书什么时候要带: at which step, for this one
            return kinds
        if aspect == "notes":  # 照片有啥要求: what the guide says about that material
            return [k for k in kinds if k != "certificate"]
        if aspect == "materials" and not any(w in a.text for w in WHOLE_LIST_WORDS):
            return [k for k in kinds if k != "certificate"]
        return []

    def _proxy_question(self, a: Analysis) -> Optional[str]:
        if not any(c in a.text for c in self.kb.language.proxy_cues):
            return None
        return "must" if any(w in a.text for w in ("必须", "一定", "只能", "非得", "需要本人", "要本人", "得本人")) else "may"

    def _common_answer(self, aspect: Optional[str], a: Analysis) -> Optional[List[dict]]:
        """A question with no procedure whose answer is the same for every procedure."""
        if len(a.materials) == 1 and a.form and aspect in ("materials", "notes", None):
            return answers.material_stages(self.kb, a.materials[0], a.form)  # 一寸照要原件还是复印件: as each procedure asks
        if aspect == "contact":
            return answers.all_contacts(self.kb)
        if a.asks_copies:
            return answers.common_copies(self.kb)
        if aspect == "collect":
            asked = [k for k in a.materials if k != "certificate"] if a.yes_no else []
            return answers.common_collection(self.kb, proxy=self._proxy_question(a), asked=asked, stamp_only=_stamp_only(a))
        if aspect == "steps" and a.materials == ["application_form"] and FORM_FROM.search(a.text):
            stages = ["申报", "受理"] if HANDED_WHERE.search(a.text) else ["申报"]  # 弄好了交到哪里: and where it goes
            return answers.common_steps(self.kb, stages)  # 申请表在哪填 / 去哪拿: filled in online, printed after 上报
        if aspect == "where" or (aspect == "steps" and a.stages):
            asked = self._asked_stages(a)
            # 已经上报了，还要跑窗口吗: the later step; 上报完了以后还要做什么: the end of 申报 (打印申请表), then 受理
            stages = asked if a.asks_next and asked[:1] == ["申报"] else asked[-1:] or a.stages[-1:] or ["受理"]
            if aspect == "where" and a.materials == ["application_form"] and HANDED_WHERE.search(a.text):
                stages = [x for x in ("申报", "受理") if x in a.stages] or stages  # 申请表去哪拿？弄好了交到哪里: both
            return _yes(a) + answers.common_steps(self.kb, stages, where=aspect == "where" or a.yes_no)
        return None

    def _topics(self, a: Analysis, state: State) -> Reply:
        """Policies and contacts asked about: the first one named, or each of several joined by
        和 / 分别 (监理锁坏了是找监理协会吧 is about the 监理锁, not the 协会)."""
        messages: List[dict] = []
        procedure = a.procedures[0] if a.procedures else state.procedure
        topics = a.strong_topics or a.topics
        contacts = [self.kb.contact(t.split(":", 1)[1]) for t in a.topics if t.startswith("contact:")]
        named = [c for c in contacts if self.kb.phones_of(c)]  # lines to call, not the window
        if len(named) > 1 and any(c in a.text for c in self.kb.language.scope_cues):
            return Reply(answers.contact_scopes(self.kb, named[:MAX_PROCEDURES]),
                         replace(state, last_aspect=None, pending_question=None, pending_candidates=[]))
        if not any(w in a.text for w in ("和", "分别", "以及", "还有", "跟", "、")) and _clauses(a.text) < 2:
            topics = topics[:1]
        for topic in topics[:MAX_PROCEDURES]:
            kind, ident = topic.split(":", 1)
            if kind == "policy" and ident == "renewal_window":
                messages += self._renewal_verdicts(a)
                procedure = procedure if a.procedures and procedure != "renewal" and a.person is None \
                    and a.expiry_owners else "renewal"  # 小林的要带什么 beside 老何's date: 小林's stays
            elif kind == "policy":
                messages += answers.policy(self.kb, self.kb.policy(ident), a.yes_no)
            elif topic == a.topics[0] or self.kb.contact(ident).priority >= 10:
                messages += answers.contact(self.kb, self.kb.contact(ident), a.yes_no)
        general = [x for x in a.aspects if x in ("materials", "collect", "steps")]
        if not general and state.last_aspect in ("materials", "collect") and _elliptical_opening(a.text):
            general = [state.last_aspect]  # 几份？ → 那刘工呢，他证书明年3月10号到期，要办延续: his verdict and his materials
        own = [c for c in SENTENCE_BREAK.split(a.text) if self.reader.procedures_in(c)]
        about = self.reader.read("，".join(own), a.today) if own and len(own) < _clauses(a.text) else a
        for pid in a.procedures[:MAX_PROCEDURES] if general else []:  # 转注册要带什么，我还有一建证书: both
            messages += self._answer(self.kb.procedure(pid), general[0], about)  # 公司改名要带啥？社保证明还要不要交
        return Reply(messages, replace(state, procedure=procedure, last_aspect=None,
                                       pending_question=None, pending_candidates=[], last_question=a.follows or a.text))

    def _each_person(self, c: "Ctx") -> Reply:
        """The question answered for each colleague named, one line each, from their own procedure
        (and their own expiry date when it is about when they may apply)."""
        question = _asking_clause(SENTENCE_OR_HEAD_BREAK.split(c.turn.text), self.reader)  # 我手上有四件事：…。哪几个要…
        if len(people.labels_in(question)) > 1:  # 老王…要延续小李…要初始注册张工证书搞丢了分别要交什么: the part after them
            question = question[max((end for _, _, end in self.reader.procedure_mentions(question)), default=0):] or question
        asks_window = bool(WINDOW_ASKED.search(question)) and not c.a.materials  # not 现在手上几件事：…
        lines = [line for person in people.everyone(c.state.people)
                 if (line := self._person_line(c, question, asks_window, *person))]
        if not lines:
            return Reply([{"text": "您提到的同事中没有给出到期日期的延续注册。请告诉我各自的证书到期日期。"}], c.state)
        state = replace(c.state, last_question=c.turn.text, last_aspect=c.aspect or "materials", about_all="1")
        bodies = {body.replace(f"【{title}】", "").replace(title, "") for _, body, title in lines}
        if len(lines) > 1 and len(bodies) == 1:  # 他们三个的申请表都在哪个系统填: the same for each of them, said once
            return Reply([{"text": "、".join(who.rstrip("：") for who, _, _ in lines) + "都一样：" + bodies.pop().lstrip("：")}], state)
        lead = _joint_verdict([[{"text": body}] for _, body, _ in lines]) if c.a.yes_no else []
        lead = [m for m in lead if not m["text"].startswith("不是都一样")]  # each line says its own verdict
        return Reply(lead + [{"text": "\n".join(who + body for who, body, _ in lines)}], state)

    def _person_line(self, c: "Ctx", question: str, asks_window: bool, label: str, pid: str,
                     expiry: str) -> Optional[Tuple[str, str, str]]:
        """(who, answer, procedure title) for one colleague, or None when a window question has no
        date of theirs to answer from."""
        p = self.kb.procedure(pid)
        if asks_window and pid == "renewal" and expiry:
            said = answers.renewal(self.kb, ExpiryDate(date.fromisoformat(expiry)), None, True, c.today)
        elif asks_window:
            return None
        else:
            alone = replace(c.state, procedure=pid, people=[], previous_procedure=None, last_question=None,
                            last_aspect=None, pending_question=None, pending_candidates=[])
            said = self._respond(Turn(text=question), alone, c.today).messages
        texts = [m["text"] for m in said if m.get("text")]
        first = "".join(texts[:2]) if texts and len(texts[0]) <= 6 else (texts[0] if texts else "")  # 需要。 + its step
        head = first.split("\n")[0]
        # a verdict on one thing is its first line (with what to bring, 领取时需携带…, when that is all);
        # a list (【转注册】受理时需携带以下材料…) keeps its items
        short = ((c.a.yes_no or asks_window or c.a.materials) and not head.endswith(("：", ":"))
                 and not head.startswith("【") and first.count("\n") > 1)
        return (f"{label}（{p.title}）：" if label else f"{p.title}："), (head if short else first), p.title

    def _renewal_verdicts(self, a: Analysis) -> List[dict]:
        """One verdict per expiry date said (他俩现在都能申报吗: each), named after its colleague
        when one was named with it (小李：可以…)."""
        messages: List[dict] = []
        for expiry in (a.expiries if len(a.expiries) > 1 else [a.expiry]):
            said = answers.renewal(self.kb, expiry, a.months_early, a.yes_no, a.today, missed=bool(MISSED_DEADLINE.search(a.text)),
                                   planned=a.planned if len(a.expiries) <= 1 else None)
            owner = a.expiry_owners.get(expiry.value.isoformat()) if expiry else None
            if owner and said and said[0].get("text"):
                said = [{**said[0], "text": f"{owner}：{said[0]['text']}"}] + said[1:]
            messages += said
        return messages

    def _second_chance(self, turn: Turn, a: Analysis, state: State, out_of_scope: bool = False) -> Reply:
        """NLU found nothing we can use: match against the knowledge's own questions,
        else say so plainly (and offer the contacts and a person)."""
        match = process.extractOne(turn.text, self._questions, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if match and turn.text and not a.foreign:  # 一级建造师初始注册 is close to our 初始注册 question, and not ours
            retry = self.reader.read(match[0])
            if retry.has_domain_signal:
                return self._respond(Turn(text=match[0]), state, a.today or clock_today())
        if out_of_scope:  # said politely; counted as unanswered unless NLU or a cue knew it was off topic
            deliberate = (turn.intent == "out_of_scope" and not a.on_topic) or a.out_of_scope  # 注册吧啦吧啦: ours, not understood
            return Reply([{"response": "utter_out_of_scope"}], state, understood=deliberate)
        if a.on_topic and not state.procedure:  # 我想问一下注册的事: ask which procedure, buttons
            return Reply(answers.ask_procedure(self.kb), replace(state, pending_question=None,
                         pending_candidates=[p.id for p in self.kb.procedures]), understood=False)
        return Reply([{"response": "utter_not_understood"}], state, understood=False)

    def _question_index(self) -> List[str]:
        questions = []
        for p in self.kb.procedures:
            questions += [f"{p.name}需要什么材料", f"{p.name}怎么办理", f"{p.name}的流程"]
            if p.collection:
                questions.append(f"{p.name}审核通过后怎么领取")
        for item in (*self.kb.policies, *self.kb.contacts):
            questions += item.questions
        return questions


def _expiry_code(expiry: ExpiryDate) -> str:
    """An expiry for the state: "2027-02-10", or "2027-02-28~month" when only the month was said."""
    code = expiry.value.isoformat()
    return code if expiry.precision == "day" else f"{code}~{expiry.precision}"


def _expiry_decoded(code: Optional[str]) -> Optional[ExpiryDate]:
    value, _, precision = (code or "").partition("~")
    try:
        return ExpiryDate(date.fromisoformat(value), precision or "day") if value else None
    except ValueError:  # a tampered slot
        return None


def _one_named(text: str, known: List[str]) -> bool:
    """The text names one colleague (那陈刚现在要交什么), not several."""
    named = {x for x, _, _ in people.named(known) if len(x) >= 2 and x in text} | set(people.labels_in(text))
    return len(named) == 1


def _elliptical_opening(text: str) -> bool:
    """那刘工呢，他…: a follow-up that opens as "and what about X", whatever it adds after."""
    head = CLAUSE_OR_HEAD_BREAK.split(text)[0]
    return head.startswith("那") and head.endswith("呢")


def _case_fact(case: LookedUp, p: Procedure, text: str) -> Optional[List[dict]]:
    """这个是办的哪个业务 / 这条记录啥时候更新的: the looked-up record's own fields."""
    number = f"申请编号 {case.case_no}" if case.case_no else "该申请"
    if CASE_PROCEDURE_ASKED.search(text):
        return [{"text": f"{number}办理的是{p.title}。"}]
    if CASE_UPDATED_ASKED.search(text) and case.updated:
        return [{"text": f"{number}的最近更新日期是{chinese_date(date.fromisoformat(case.updated))}。"}]
    return None


def _asking_clause(clauses: List[str], reader: Reader) -> str:
    """The clause that asks about everyone (他们三个都要交什么申请表，帮我列一下): the last one that
    refers to them or names a procedure, not a request tagged on after it."""
    clauses = [x for x in clauses if x.strip()] or [""]
    return next((x for x in reversed(clauses) if QUESTION_WORDS.search(x) or people.ALL_OF_THEM.search(x)
                 or reader.procedures_in(x)), clauses[-1])


def _ask_window(a: Analysis) -> None:
    """The renewal window becomes the first thing asked (once)."""
    for topics in (a.aspects, a.strong_topics):
        if RENEWAL_WINDOW in topics:
            topics.remove(RENEWAL_WINDOW)
        topics.insert(0, RENEWAL_WINDOW)


def _today_for(text: str, state: State, clock: date) -> Tuple[date, State]:
    """Today for this turn: the date the user states as today (今天是12月4号), for the rest of the
    conversation too (moved on with the clock if the conversation runs over midnight), else the office's."""
    said = stated_today(text, clock)
    if said:
        return said, replace(state, today_said=f"{said.isoformat()}@{clock.isoformat()}")
    if state.today_said:
        value, _, on = state.today_said.partition("@")
        try:
            return date.fromisoformat(value) + (clock - date.fromisoformat(on)), state
        except ValueError:  # a slot from an older version, or tampered with: the clock's today
            return clock, replace(state, today_said=None)
    return clock, state


VERDICTS = {"需要": "是的，都需要。", "不需要": "都不需要。", "可以": "都可以。", "不可以": "都不可以。"}


def _joint_verdict(answered: List[List[dict]]) -> List[dict]:
    """初始注册和丢证补办是不是都要交一寸照: one verdict for all when each answer starts with the
    same one; a plain "not all" when they differ. Each procedure's own answer follows."""
    if len(answered) < 2:
        return []
    verdicts = [(each[0].get("text") or "").split("。", 1)[0] if each else "" for each in answered]
    if verdicts[0] in VERDICTS and len(set(verdicts)) == 1:
        return [{"text": VERDICTS[verdicts[0]]}]
    if all(v in VERDICTS for v in verdicts):
        return [{"text": "不是都一样，各项业务分别如下："}]
    return []


def _yes(a: Analysis, need_stage: bool = True) -> List[dict]:
    """需要。 in front of a "do I need to" question whose answer is a step every procedure has
    (还需要跑窗口吗 → the 受理 step), or a step that leads to the one asked about."""
    if a.yes_no and a.stages and NOT_NEEDED.search(a.text):  # 已经上报了，是不是就不用再跑窗口了
        return [{"text": "不是，还需要。"}]
    need = any(w in a.text for w in ("需要", "要不要", "还要", "必须", "得去", "用不用", "都要"))
    return [{"text": "需要。"}] if a.yes_no and need and (a.stages or not need_stage) else []


STAGE_AFTER = {"申报": "受理", "受理": "领取"}
NOT_NEEDED = lexicon.pattern("NOT_NEEDED")
CJK = lexicon.pattern("CJK")
LIST_MARK = lexicon.pattern("LIST_MARK")


def _list_items(text: str) -> List[str]:
    """1. 延续最早提前多久 2. 监理锁电话 (or ① ②) → the questions, when the message is such a list."""
    marks = list(LIST_MARK.finditer(text))
    if len(marks) < 2 or [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return [text]
    bounds = [m.start() for m in marks] + [len(text)]
    items = [text[marks[i].end():bounds[i + 1]] for i in range(len(marks))]
    return [item.strip(" ，,；;。") for item in items if item.strip(" ，,；;。")]


BRING = lexicon.pattern("BRING")


def _certificate_asked(text: str) -> bool:
    """The certificate is what is to be brought or handed in, in the clause that names it (not
    the one collected: 去领新证书需要带什么 asks what to bring to collect it)."""
    return any("证" in c and BRING.search(c) and (BRING_CERTIFICATE.search(c) or not CERTIFICATE_COLLECTED.search(c))
               for c in CLAUSE_BREAK.split(text))


def _stamp_only(a: Analysis) -> bool:
    """贴条的话要带啥: about the procedures that end with 贴条, not every collection."""
    return "贴条" in a.text and not a.yes_no and not STAMPS_CONTRASTED.search(a.text)


def _clause_list(text: str) -> List[str]:
    """The clauses of a message, empty ones dropped."""
    return [c for c in CLAUSE_BREAK.split(text) if c.strip()]


def _clauses(text: str) -> int:
    return len(_clause_list(text))


def _elliptical(text: str) -> bool:
    """那注销呢 / 转注册的呢 / 转注册那个要不要: a short follow-up that repeats the last question."""
    text = text.rstrip("?？。!")
    if OWN_QUESTION.search(text) and not text.endswith("呢"):
        return False  # 那之后证书上的名字怎么改 asks its own question
    if SAME_AS_NAMED.search(text):
        return False  # 跟延续注册盖的章一样吗: a comparison with the one discussed, not the last question again
    if len(text) <= 6 and text.endswith("的"):
        return True  # 小周的
    return len(text) <= 14 and (text.endswith("呢") or text.startswith("那")
                                or any(w in text for w in ("要不要", "也要", "也是", "一样吗", "也需要")))


class Ctx:
    """One turn resolved against the conversation, on its way to the route that answers it.

    What the routes ask of the turn is derived here once, lazily and in route order (the
    aspect is worked out only when the routes about procedures are reached)."""

    def __init__(self, r: "Responder", turn: Turn, a: Analysis, state: State, today: date):
        self.r, self.turn, self.a, self.state, self.today = r, turn, a, state, today

    @cached_property
    def compared(self) -> Optional[List[dict]]:
        return self.r._compared(self.turn.text, self.a, self.state)

    @cached_property
    def wants_number(self) -> bool:
        """监理系统有没有人工客服电话 asks for a line's number, not to be handed to a person."""
        return any(t.startswith("contact:") for t in self.a.topics) and any(w in self.turn.text for w in ("电话", "号码", "热线"))

    @cached_property
    def asks_person(self) -> bool:
        return any(c in self.turn.text for c in self.r.kb.language.human_cues) and not self.wants_number

    @cached_property
    def silent(self):
        """The topic the guide is silent on, when the question is ours (not 一个人 alone beside a procedure)."""
        a, s = self.a, self.a.silent
        ours = a.on_topic or a.stages or self.state.procedure or (s and s.ours and not a.out_of_scope)
        linked = s and s.unless_linked and any(self.r._linked(self.r.kb.procedure(pid)) for pid in a.procedures)
        pids = a.procedures or [self.state.procedure] * bool(self.state.procedure)
        unasked = s and s.material and pids and not any(self.r._asks_for(self.r.kb.procedure(p), s.material) for p in pids)
        return s if ours and not self.asks_person and not (s and s.alone and a.procedures) and not linked and not unasked else None

    @cached_property
    def about_collecting(self) -> bool:
        """领证的介绍信由谁开，街道还是派出所 / 我老公上班走不开，我去帮他领证: collecting, however it reads."""
        return "collect" in self.a.aspects and (
            bool(self.a.materials) or any(w in self.turn.text for w in ("领证", "领取", "拿证", "贴条", "代领")))

    @cached_property
    def off_topic(self) -> bool:
        asks_case = bool(self.state.cases_seen) and bool(CASE_PROCEDURE_ASKED.search(self.turn.text)
                                                         or CASE_UPDATED_ASKED.search(self.turn.text))
        return self.a.out_of_scope and not self.about_collecting and not asks_case  # 这条记录啥时候更新的

    @cached_property
    def about_case(self) -> Optional[List[dict]]:
        if self.asks_person or (self.silent and not self.a.gives_case_no):  # 重新传完要多久审核: the guide does not say
            return None
        return self.r._about_looked_up_case(self.turn, self.a, self.state)

    @cached_property
    def stage(self):
        """A stage named (已退回是不是要从头再交), or the looked-up one asked about (那我下一步干嘛)."""
        kb, a = self.r.kb, self.a
        stage = next((x for x in kb.stages if x.name in self.turn.text), None)
        looked_up = kb.stage(self.state.case_stage) if self.state.case_stage else None
        if stage is None and looked_up and NEXT_ASKED.search(self.turn.text) and not (a.topics or a.procedures or a.silent) \
                and (not a.stages or (len(self.turn.text) <= 2 * SHORT_FOLLOW_UP and looked_up.name[1:] in self.turn.text)):
            stage = looked_up  # 那我下一步干嘛 / 受理了我还要做什么: the stage looked up
        return stage

    @cached_property
    def stage_procedure(self) -> Optional[str]:
        return self.a.procedures[0] if self.a.procedures else self.state.procedure

    @cached_property
    def small_talk(self) -> Optional["Reply"]:
        """Greetings, thanks, what the bot can do, English or other talk off topic; None when
        the message may still be a question of ours."""
        r, turn, a, state = self.r, self.turn, self.a, self.state
        said = r._chitchat(turn)
        if said:
            return Reply([{"response": CHITCHAT[said]}], state)
        if not CJK.search(turn.text) and not turn.text.startswith("/"):
            return r._second_chance(turn, a, state, out_of_scope=True)  # "book me a taxi"
        if turn.intent == "bot_capabilities":
            return Reply(answers.capabilities(r.kb), state)
        if turn.intent in ("out_of_scope", *CHITCHAT) and not self.about_collecting or self.off_topic or not a.on_topic:
            return r._second_chance(turn, a, state, out_of_scope=True)
        return None

    @cached_property
    def aspect(self) -> Optional[str]:
        """What is asked, with what the conversation adds: a correction keeps the last question;
        要带什么 right after collecting is about collecting."""
        turn, a, state = self.turn, self.a, self.state
        aspect = self.r._aspect(turn, a)
        if a.corrected_again and not a.strong_topics:
            aspect = a.corrected_again[0]  # 哦不对，他之前在别的单位注册过，是换单位: what it needs, and the question again
        elif a.corrected and a.procedures and state.last_aspect and aspect in (None, "overview", "notes", "steps") \
                and not a.stages:
            aspect = state.last_aspect
        proxy = any(cue in turn.text for cue in self.r.kb.language.proxy_cues)  # 那同事去要带什么
        if aspect == "materials" and len(turn.text) <= 10 and not (a.procedures or a.materials or a.ambiguity or a.asks_copies) \
                and state.last_aspect == "collect" and (bool(COLLECTING.search(state.last_question or "")) or proxy
                                                        or bool(NEXT_ASKED.search(state.last_question or ""))):
            aspect = "collect"  # 批了去哪领 → 要带什么 / 证书要带吗 → 还要带什么: for collecting
        if (aspect == "materials" and state.last_aspect == "collect" and (a.yes_no or _elliptical(turn.text))
                and not a.stages and not a.procedures and len(a.materials) == 1):  # 还要带单位介绍信吗 → 证书呢
            a.stages = ["领取"]  # 领证需要本人去吗 → 要不要带一寸照: for collecting
            pid = a.procedures[0] if a.procedures else state.procedure
            collection = self.r.kb.procedure(pid).collection if pid else None
            if collection and any(m.kind in a.materials for m in collection.bring):
                aspect = "collect"  # 证书要带吗 (it is): still collecting after it (→ 还要带什么)
                a.follows = a.follows or state.last_question  # and the collecting question stays the last one
        return aspect

    @cached_property
    def order(self) -> Optional[Procedure]:
        return self.r._order_question(self.a)

    @cached_property
    def material_stages(self) -> Optional[List[dict]]:
        return self.r._material_stage_question(self.a, self.state)

    @cached_property
    def procedures(self) -> Optional[List[str]]:
        """The procedures to answer for; None when an ambiguity is left to ask about."""
        return self.r._procedures(self.a, self.aspect, self.state)

    @cached_property
    def about_everyone(self) -> bool:
        """他们几个谁要一寸照 / 哪几个批下来还要去窗口: every colleague named, none in particular."""
        asked = _asking_clause(CLAUSE_OR_HEAD_BREAK.split(self.turn.text), self.r.reader)
        theirs = set(people.procedures_of(self.state.people))  # 他俩…哪个要…: read as "these two" already
        named_now = [x for x, _, _ in people.named(self.state.people) if x in self.turn.text]
        if len(named_now) > 1 and len(named_now) == len(people.named(self.state.people)) and not self.a.person \
                and len(self.a.procedures) > 1 and people.ALL_OF_THEM.search(self.turn.text):
            return True  # 老王…小李…张工证书搞丢了 分别要交什么: each of those just named
        if (self.state.about_all and len(people.named(self.state.people)) > 1 and not self.a.procedures
                and not self.a.person and not people.labels_in(self.turn.text) and not self.a.topics
                and len(self.turn.text) <= SHORT_FOLLOW_UP and QUESTION_WORDS.search(self.turn.text)):
            return True  # 他俩哪个要贴条 → 贴条的时候盖的是什么章: still both of them
        sentence = _asking_clause(SENTENCE_OR_HEAD_BREAK.split(self.turn.text), self.r.reader)
        return (not self.a.person and (len(self.a.procedures) <= 1 or set(self.a.procedures) <= theirs)
                and not self.r.reader.procedures_in(asked)
                and people.about_all(sentence, self.state.people))

    @cached_property
    def stamps_compared(self) -> List[str]:
        """延注跟加专业盖的章是同一个不 / 和专业增加的章一样吗: the procedures whose stamps are compared."""
        if not ("章" in self.a.text and SAME_ASKED.search(self.a.text)):
            return []
        procedures = self.procedures or []
        compared = procedures if len(procedures) > 1 else [p for p in (self.state.procedure, *procedures) if p]
        return list(dict.fromkeys(compared))
