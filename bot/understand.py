"""Read a normalised question: which procedure, what is asked, which material, which step.

This is the deterministic half of understanding. Rasa's DIET classifier gives the
intent; this module finds the facts the question is about, from the words the
knowledge files list, so that a new phrasing, a typo or an unusual word order still
lands on the right facts.
"""
from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from bot import knowledge, lexicon
from bot.cases import case_no_match
from bot.dates import ExpiryDate, find_expiries, find_months_early, find_planned
from bot.terms import find_terms as _find_terms

NEGATION = re.compile(r"(不是|并非|没有|没|不)$|(没有|没|从没|从未)在$")  # 没在别的单位注册过 (不在原单位了 is a move)
DENIED_CLAUSE = lexicon.pattern("DENIED_CLAUSE")  # 不是公司改名: the clause names what it is not
CLAUSE_BREAK_SPLIT = lexicon.pattern("CLAUSE_OR_HEAD_BREAK")
SENTENCE_END = lexicon.pattern("SENTENCE_END")  # 解聘证明？我之前没在别的单位: two sentences
ACT_ON_THING = lexicon.pattern("ACT_ON_THING")  # 原单位已经给他开了解聘证明: the thing, with what was done
CORRECTING = re.compile(r"(不是|并非)$")  # 不是监理锁，我是问撤回
COPIES = re.compile(r"([几两二三四多少]|一式)\s*份|份数")
COLLECT = re.compile(r"领.{0,10}证")
BESIDES = re.compile(r"除了.{1,16}?(以外|之外|外)?[,，]?(还|另外|别的|其他|其它)")  # 除了申请表还要别的吗
ONLY = re.compile(r"只(带|拿|要|交|需|用)|就够|够不够|就行了?吧|就这?一(张|样|份|个)|(别的|其他|其它)都不(用|要)")
WHOLE_PROCESS = ("整个流程", "全流程", "完整流程", "一步步", "一步一步", "从申报到", "从头到尾", "全部流程", "详细流程",
                 "后做什么", "后干啥", "后干嘛", "后干什么", "后做啥", "分几步", "几个步骤")  # 先干啥后干啥: every step
TOPIC_PRIORITY = 10
REFERENCE_TAIL = lexicon.pattern("REFERENCE_TAIL")
WHERE_RESULTS_ARE = lexicon.pattern("WHERE_RESULTS_ARE")
UNLISTED_DOCUMENT = lexicon.pattern("UNLISTED_DOCUMENT")
CERTIFICATE_ITSELF = lexicon.pattern("CERTIFICATE_ITSELF")
SUBSTITUTE = lexicon.pattern("SUBSTITUTE")
CLAUSE_MARKS = ",，;；。?？!！"
HOLDING = re.compile(r"还有|有个|有一个|手里|手上|身上|名下|持有")  # 还有个二建注册: another certificate held
CORRECTION = re.compile(r"(不是|不对|说错了|搞错了|打错了).{0,12}?(是|应该是|其实是)")
PERSONAL_NAME = re.compile(r"身份证|姓名|户口|证件号|个人|本人|(我|他|她)的?名字|(我|他|她)(改|换)了?名")  # a person's own name, not 员工的证书
PERSON = re.compile(r"身份证|姓名|户口|证件号|本人|员工|同事|个人|职工|工程师的名字|(我|他|她)的?名字|(我|他|她)(改|换)")
MOVED = re.compile(r"转注册|原单位|原来的单位|原公司|之前的单位|以前的单位|别的单位|其他单位|跳槽|换单位|换公司|离职|解聘|调过来|调动|注册过")
COMPANY = re.compile(r"公司|企业|单位|工商|执照|company")
VISIT = ("跑一趟", "去窗口", "到窗口", "跑窗口", "去厅里", "到厅里", "省里那个窗口", "省里的窗口")  # a trip, for either step
APPROVED = re.compile(r"(通过|批|批下来|下来|公告|公示)了|审核通过|审批通过|名单(出来|公布)")
NEW_HOLDER = re.compile(r"刚刚?(拿|领|考)(到|了|下|出)?了?的?(证书|证)")  # 刚拿证的监理: who, not collecting
# their own application, handed in or returned: 我已经交了，查一下 / 交了想查结果 / 好像被退回了，帮我看看
HANDED_IN_CHECK = re.compile(r"(交|报|提交|递交|上报|递)(了|过了|上去了)[,，]?.{0,4}(查|看)(一下|下|查)"
                             r"|(交|报|提交|递交|上报)(了|过了)[,，]?[^哪]{0,4}(查|看)(结果|进度)"
                             r"|(退回|打回|驳回)(来)?了?.{0,6}(看看|查查|查一下|看一下|查下)")
PROXY_ACT = re.compile(r"(帮|替|代)[^,，。?？]{0,3}(去|领|办|跑|拿)|(能|可以|行)[^,，。?？]{0,4}(去|领|办|跑|拿)|(去|领|办|跑)[^,，。?？]{0,3}(吗|不|行不行|可以吗)|一起去")
SHORT_STAGE_QUESTION = 6  # 交到哪 / 打出来交哪: a bare step is ours; 水电费在哪里交 is not
COMPACT = 12  # a pattern match this short is one phrase, read one way (公司刚把名字改了)
SHORT = 12  # a message this short asking what to bring is asked of us, whatever else it lacks
SILENT_WITHIN = 60  # characters at the end of a message where a question about fees or time counts
ERRAND = re.compile(r"办(这个|理|的|手续|事)|(要|去|来|想|得)办(?!法)")  # 办这个得准备啥, not 猫不吃东西怎么办


@dataclass
class Analysis:
    text: str
    procedures: List[str] = field(default_factory=list)  # procedure ids, in order of mention
    ambiguity: Optional[knowledge.Ambiguity] = None
    materials: List[str] = field(default_factory=list)  # material kinds
    lacking: List[str] = field(default_factory=list)  # material kinds the user says they lack (没登报)
    form: Optional[str] = None  # 原件 | 复印件 when asked about
    stages: List[str] = field(default_factory=list)
    aspects: List[str] = field(default_factory=list)  # best first; topics are policy/contact ids
    yes_no: bool = False
    out_of_scope: bool = False
    expiry: Optional[ExpiryDate] = None
    expiries: List[ExpiryDate] = field(default_factory=list)  # 张工的1月10日到期，陈工的5月1日: each one
    months_early: Optional[float] = None
    planned: Optional[date] = None  # the day the user means to hand in on (打算1月25日再去交)
    corrected_again: List[str] = field(default_factory=list)  # set in resolving: a correction's answer, in order
    more_asked: bool = False  # set in resolving: 还要别的材料吗 after the list
    linked_owner: Optional[str] = None  # set in resolving: the procedure that follows this one and asks for the material
    referred_by_name: Optional[str] = None  # 更名那个…: the procedure of that name, if it is in the conversation
    unlisted: Optional[str] = None  # a document asked about that no procedure lists (退休证行不行 / 要带毕业证吗)
    substitute: bool = False  # offered in place of a listed one (退休证行不行)
    on_topic: bool = False  # mentions something of this help desk's domain (注册, 证书, 材料 …)
    asks_next: bool = False  # 网上报完了下一步干嘛: the step after the one named
    asks_copies: bool = False  # 几份 / 两份 / 份数
    only: bool = False  # 只带证书行不行 / 带张介绍信就够了吧
    besides: bool = False  # 除了申请表还要别的材料吗: anything beyond the materials named
    referred_material: bool = False  # 最后那个呢: the material was pointed at in the list just given
    shortcut: bool = False  # 是不是直接…就行: a wrong assumption about skipping steps
    whole_process: bool = False  # 整个流程 / 一步步 / 从申报到领证
    strong_topics: List[str] = field(default_factory=list)  # topics that beat a procedure's own answer
    status_request: bool = False  # asks where an application stands, or gives a case number
    checks_own: bool = False  # 初始注册交了，想查结果 / 转注册好像被退回了，帮我看看: their own application
    hinted: Optional[str] = None  # the ambiguity's candidate the question's own words point to
    gives_case_no: bool = False  # ZJ2026000102 in the text: a lookup whatever else is named
    today: Optional[date] = None  # the day the question was read on (HELPDESK_TODAY in tests)
    foreign: bool = False  # another profession's or another office's business, whatever else it names
    follows: Optional[str] = None  # the earlier question whose topic this short follow-up continues
    corrected: bool = False  # 不对，是换单位 / 说错了，是初始注册: the procedure named replaces the last one
    named: List[str] = field(default_factory=list)  # procedures named by their name or alias, not only described
    situations: List[str] = field(default_factory=list)  # procedures described in a clause of their own (我同事证书丢了，…)
    person: Optional[str] = None  # the colleague the question is about (小李现在能报吗), set when resolved
    expiry_owners: Dict[str, str] = field(default_factory=dict)  # an expiry date (ISO) → whose it is (小李)
    silent: Optional[knowledge.SilentTopic] = None  # 收费 / 审核要多久: the guide does not say

    @property
    def topics(self) -> List[str]:
        return [a for a in self.aspects if a.startswith(("policy:", "contact:"))]

    @property
    def has_domain_signal(self) -> bool:
        return bool(self.procedures or self.ambiguity or self.topics or self.materials or self.expiry)


class Reader:
    """Finds procedures, materials, aspects and stages in normalised text."""

    def __init__(self, kb: knowledge.Knowledge):
        self.kb = kb
        self._procedure_aliases = _longest_first(
            [(alias, p.id) for p in kb.procedures for alias in (p.title, p.name, *p.aliases)]
        )
        self._procedure_patterns = [(re.compile(pat), p.id) for p in kb.procedures for pat in p.patterns]
        self._material_aliases = _longest_first([(alias, m.kind) for m in kb.material_kinds for alias in (m.label, *m.aliases)])
        self._material_aliases += _longest_first([(m.name, m.kind) for p in kb.procedures for s in p.steps for m in s.materials + s.bring])
        self._topic_cues: List[Tuple[str, int, Sequence[str], Sequence[str]]] = [
            (f"policy:{p.id}", TOPIC_PRIORITY, p.cues, p.context) for p in kb.policies
        ] + [(f"contact:{c.id}", c.priority, c.cues, c.context) for c in kb.contacts]
        self._topic_patterns = [(f"contact:{c.id}", c.priority, re.compile(p)) for c in kb.contacts for p in c.patterns]
        self._priority = {name: priority for name, priority, _, _ in self._topic_cues}
        # a policy's own procedures count as its context (renewal_window → renewal)
        self._topic_procedures = {f"policy:{p.id}": {x for x in (p.procedure, *p.procedures) if x} for p in kb.policies}
        # a phone number asked about (88381873是干嘛的) names its contact
        self._phones = [(kb.phones_of(c)[i].split("-")[-1], f"contact:{c.via or c.id}")
                        for c in kb.contacts if not c.via for i in range(len(kb.phones_of(c)))]
        self._yes_no = [re.compile(p) for p in kb.language.yes_no_patterns]
        # 0571开头的那个号码 / 010的电话: an area code names the contacts whose numbers start with it
        self._areas = [(re.compile(rf"(?<!\d){re.escape(phone.split('-')[0])}(?!\d)"), f"contact:{c.id}")
                       for c in kb.contacts if not c.via for phone in kb.phones_of(c) if "-" in phone]

    def read(self, text: str, today: Optional[date] = None, context: Optional[str] = None) -> Analysis:
        """`context` is the procedure being discussed: it satisfies a policy's context words
        (最早提前多久, asked while discussing 延续注册).

        A turn and the questions before it are read again and again (follow-ups, clauses): the
        reading is remembered, and each caller gets its own copy to resolve against the state."""
        return _copied(self._read(text, today, context))

    @lru_cache(maxsize=4096)  # one Reader per process (understand.default), so the cache lives as long
    def _read(self, text: str, today: Optional[date], context: Optional[str]) -> Analysis:
        a = Analysis(text=text, today=today)
        mentions = [m for m in self.procedure_mentions(text) if not self._about_other_certificate(text, m[1])]
        a.procedures = [pid for pid, _, _ in mentions]
        corrected = [m.end() for m in CORRECTION.finditer(text)]
        a.corrected = bool(re.match(r"(哦|噢|啊|呃)?[,，]?(不对|不是|说错了|搞错了|打错了|错了)", text))
        if corrected and any(start >= corrected[-1] for _, start, _ in mentions):  # only what is said after 不是…是
            a.procedures = [pid for pid, start, _ in mentions if start >= corrected[-1]]
        aliased = {pid for start, _, pid in _find_terms(text, self._procedure_aliases) if not _negated(text, start)}
        a.named = [pid for pid in a.procedures if pid in aliased]
        a.referred_by_name = self._referred_by_name(text)
        a.situations = self._situations(text, mentions)
        if not a.procedures:
            a.ambiguity = self._ambiguity(text)
        if a.ambiguity and a.ambiguity.hints_decide:
            a.hinted = self.choose(text, a.ambiguity.candidates, a.ambiguity)
        a.materials, a.lacking = self._materials(text, [(s, e) for _, s, e in mentions])
        a.form = next((form for form, cues in self.kb.language.forms.items() if any(c in text for c in cues)), None)
        a.stages = self._stages(text)
        a.yes_no = any(p.search(text) for p in self._yes_no)
        lang = self.kb.language
        other_profession = ("监理" not in text and not HOLDING.search(text) and any(re.search(p, text) for p in lang.foreign_patterns)
                            or any(re.search(p, text) for p in lang.foreign_offices)
                            or (any(re.search(p, text) for p in lang.foreign_provinces) and not any(w in text for w in lang.home_cues)))
        a.foreign = other_profession
        a.out_of_scope = other_profession or any(c in text for c in (*lang.out_of_scope_cues, *lang.foreign_cues))
        if other_profession or (any(c in text for c in lang.foreign_cues) and not any(w in text for w in lang.core_words)):
            a.procedures, a.ambiguity, a.hinted, a.materials = [], None, None, []  # 驾驶证快到期了: not 延续注册
        self._dates_read(text, today, a)
        a.unlisted = self._unlisted_document(text, a)
        a.aspects = self._aspects(text, a, context)
        if a.stages == ["受理"] and APPROVED.search(text) and self._only_visit(text):
            a.stages = ["领取"]  # 延续注册通过了，我替他跑一趟窗口要带啥: the trip to collect
            topics = [x for x in a.aspects if x.startswith(("policy:", "contact:"))]
            a.aspects = topics + ["collect"] + [x for x in a.aspects if x not in topics and x != "collect"]
        if self._asks_proxy(text, a):  # 我自己没空，公司同事能帮我去吗: whether someone else may go (to collect)
            a.aspects.append("collect")
        if WHERE_RESULTS_ARE.search(text) and "contact:announcements" not in a.aspects:
            a.aspects.insert(0, "contact:announcements")  # 去哪看有没有批 / 批了以后去哪看: where results are announced
        a.strong_topics = [t for t in a.topics if self._priority.get(t, TOPIC_PRIORITY) >= TOPIC_PRIORITY]
        a.on_topic = (a.has_domain_signal or any(w in text for w in self.kb.language.domain_words)
                      or "contact" in a.aspects  # 给我个能打通的咨询号码: our numbers
                      or self._asks_proxy(text, a)  # 可以我代他去办吗
                      or (bool(a.stages) and len(text) <= SHORT_STAGE_QUESTION)  # 交到哪: a step of ours
                      or (bool(ERRAND.search(text)) and bool({"materials", "steps"} & set(a.aspects)))  # 办这个得准备些啥
                      or (len(text) <= SHORT and not a.out_of_scope and bool({"materials", "collect"} & set(a.aspects))))  # 要带啥啊
        a.asks_next = bool(a.stages) and any(c in text for c in self.kb.language.next_cues) and not any(
            start <= 1 for c in self.kb.language.next_cues if c in text
            for _, start, _ in self.procedure_mentions(text[text.find(c) + len(c):][:12], suppress=False)
        )  # 接下来转注册去窗口要交啥: next, the transfer; not the step after
        a.asks_copies = bool(COPIES.search(text))
        a.only = bool(ONLY.search(text))
        a.besides = bool(BESIDES.search(text))
        a.shortcut = "直接" in text and any(w in text for w in ("就行", "就可以", "就好", "能不能直接", "可以直接", "能直接",
                                                              "是不是直接", "是否直接", "直接去", "直接拿"))
        a.whole_process = any(w in text for w in WHOLE_PROCESS)
        asked = text[-SILENT_WITHIN:]  # the question, not a pasted table that mentions 培训费用
        a.silent = next((t for t in lang.silent_topics if any(c in asked for c in t.cues)
                         and not any(w in asked for w in t.unless)), None)
        a.gives_case_no = case_no_match(text) is not None
        a.checks_own = bool(HANDED_IN_CHECK.search(text))
        a.status_request = a.gives_case_no or a.checks_own or (
            any(c in text for c in self.kb.language.status_cues) and not WHERE_RESULTS_ARE.search(text))
        return a

    def _referred_by_name(self, text: str) -> Optional[str]:
        """更名那个 / 改名那一步: a procedure named as the one already in the conversation."""
        referred = [pid for start, end, pid in _find_terms(text, self._procedure_aliases) if REFERENCE_TAIL.match(text, end)]
        referred += [pid for pid, _, end in self.procedure_mentions(text, suppress=False) if REFERENCE_TAIL.match(text, end)]
        return referred[0] if referred else None

    @staticmethod
    def _dates_read(text: str, today: Optional[date], a: Analysis) -> None:
        """The dates by their role: expiries, how early, the day they plan to hand in on."""
        a.expiries = find_expiries(text, today)
        a.expiry = a.expiries[0] if a.expiries else None
        a.months_early = find_months_early(text)
        a.planned = find_planned(text, today)

    def _unlisted_document(self, text: str, a: Analysis) -> Optional[str]:
        """The last document asked about that is neither a material of the guide nor a procedure's
        name nor the certificate itself (退休证行不行 / 考试合格证明要带吗)."""
        if a.foreign or not (a.yes_no or SUBSTITUTE.search(text)):
            return None
        masked = text
        for start, end, _ in [*_find_terms(text, self._material_aliases), *_find_terms(text, self._procedure_aliases)]:
            masked = masked[:start] + "\u3000" * (end - start) + masked[end:]
        found = [m.group(1) for m in UNLISTED_DOCUMENT.finditer(masked)]
        found = [doc for doc in found if not CERTIFICATE_ITSELF.search(doc)]
        a.substitute = bool(found) and bool(SUBSTITUTE.search(text))
        return found[-1] if found else None

    def _about_other_certificate(self, text: str, at: int) -> bool:
        """Whether the clause around position `at` speaks of another profession's certificate and
        not of 监理 (我还有个二级建造师注册在别的单位: that certificate, not a transfer of ours)."""
        start = max((text.rfind(p, 0, at) for p in CLAUSE_MARKS), default=-1) + 1
        ends = [i for i in (text.find(p, at) for p in CLAUSE_MARKS) if i >= 0]
        clause = text[start:min(ends) if ends else len(text)]
        return "监理" not in clause and any(w in clause for w in self.kb.language.other_professions)

    def _asks_proxy(self, text: str, a: Analysis) -> bool:
        """Someone else going in their place, with nothing else asked (not 同事的证书丢了怎么办)."""
        asked = [x for x in a.aspects if not x.startswith(("policy:", "contact:"))]
        return (not set(asked) - {"collect"} and bool(PROXY_ACT.search(text)) and not a.materials and not set(a.stages) - {"领取"}
                and (a.yes_no or "?" in text)  # asked, not told (我替他跑一趟省厅窗口，…)
                and any(c in text for c in self.kb.language.proxy_cues))

    def _situations(self, text: str, mentions: Sequence[Tuple[str, int, int]]) -> List[str]:
        """Procedures described as a situation (证书丢了要登报吗 / 我同事证书丢了，…), not as a word
        that qualifies a material (老单位的解聘证明)."""
        materials = [(s, e) for s, e, kind in _find_terms(text, self._material_aliases) if kind != "certificate"]
        found = []
        for pid, start, end in mentions:
            next_to = end + (text[end:end + 1] == "的")  # 老单位的解聘证明
            qualifies = any(s < end and start < e or s == next_to for s, e in materials)
            if not qualifies:
                found.append(pid)
        return found

    @property
    def material_aliases(self) -> List[Tuple[str, str]]:
        """(alias, material kind), longest first: how materials are named, for bot.check."""
        return self._material_aliases

    def policy_procedures(self, topic: str) -> set:
        """The procedures a policy topic belongs to (policy:renewal_window → renewal); none for a contact."""
        return self._topic_procedures.get(topic, set())

    def procedures_in(self, text: str) -> List[str]:
        """Procedure ids named in the text, in order of first mention."""
        return [pid for pid, _, _ in self.procedure_mentions(text)]

    @staticmethod
    def _overreach(m: re.Match, things: List[Tuple[int, int]]) -> Optional[int]:
        """Where a situation's match goes too far, or None: it is told within one sentence, its last
        clause does not deny it, and it does not end inside a thing's name (解聘证明？我之前没在别的单位…
        crosses a question mark; 跳到另一家公司，不是公司改名 ends in a denial; 原单位的解聘(证明) stops
        inside a material's name)."""
        end = SENTENCE_END.search(m.group(0))
        if end:
            return m.start() + end.start()
        last_clause = m.start() + max((b.end() for b in CLAUSE_BREAK_SPLIT.finditer(m.group(0))), default=0)
        if last_clause > m.start() and DENIED_CLAUSE.match(m.string[last_clause:]):
            return last_clause - 1
        if ACT_ON_THING.search(m.group(0)):
            return None
        return next((s for s, e in things if s < m.end() < e), None)

    def _situation(self, pattern: re.Pattern, text: str, things: List[Tuple[int, int]]) -> Optional[re.Match]:
        """The pattern's match, cut short where it goes too far (证书丢了，遗失声明… is 证书丢了)."""
        m = pattern.search(text)
        for _ in range(3):
            cut = self._overreach(m, things) if m else None
            if cut is None:
                return m
            m = pattern.search(text, m.start(), cut) if cut > m.start() else None
        return None

    def procedure_mentions(self, text: str, suppress: bool = True) -> List[Tuple[str, int, int]]:
        """(procedure id, start, end) of each procedure's first mention, by alias or
        pattern; negated mentions (不是丢了) and procedures suppressed by a more specific
        one (变更后补办 suppresses 身份证姓名等其他变更) are left out. Asked of the same text
        many times a turn (people, clauses, routes): remembered."""
        return list(self._procedure_mentions(text, suppress))

    @lru_cache(maxsize=8192)  # one Reader per process, like _read
    def _procedure_mentions(self, text: str, suppress: bool) -> Tuple[Tuple[str, int, int], ...]:
        return tuple(self._find_procedure_mentions(text, suppress))

    def _find_procedure_mentions(self, text: str, suppress: bool) -> List[Tuple[str, int, int]]:
        found = [(start, end, pid) for start, end, pid in _find_terms(text, self._procedure_aliases) if not _negated(text, start)]
        named = {pid for _, _, pid in found}
        spans = [(s, e) for s, e, _ in found]
        matched = []
        things = [(start, end) for start, end, kind in _find_terms(text, self._material_aliases) if kind != "certificate"]
        for pattern, pid in self._procedure_patterns:
            m = self._situation(pattern, text, things)
            if not m or _negated(text, m.start()):
                continue
            # a pattern speaks where no name was given (beside 遗失补办, 身份证信息变更 is its own),
            # and a variant overrides a name (改名后补发证书 means 变更后补办)
            overlaps = any(m.start() < e and s < m.end() for s, e in spans)
            if not overlaps or named & set(self.kb.procedure(pid).suppresses):
                matched.append((m.start(), m.end(), pid))
        # one procedure's pattern inside a longer one of another: the longer reading wins
        # (公司刚把名字改了 is the company's name, not the person's); a variant that suppresses
        # the other leaves that to `suppress` (先办补办还是先办身份证变更 names both)
        for start, end, pid in matched:
            if not any(s <= start and end <= e and end - start < e - s <= COMPACT and p != pid
                       and pid not in self.kb.procedure(p).suppresses for s, e, p in matched):
                found.append((start, end, pid))
        first = {}
        for start, end, pid in sorted(found):
            first.setdefault(pid, (pid, start, end))
        if "rename" in first and "personal_change" in first and not PERSONAL_NAME.search(text):
            del first["personal_change"]  # 公司合并了…只是名字换成了新的: the company's name; no person is named
        if "reissue_after_change" in first and "rename" in first and COMPANY.search(text) and not PERSON.search(text):
            del first["reissue_after_change"]  # 公司更名后要换新证吗: the company's name; 贴条, not a reissue
        if "initial" in first and "transfer" in first and not MOVED.search(text):
            del first["transfer"]  # 考试过了，要把证注册到我们公司名下: a first registration, no move from elsewhere
        elif "initial" in first and "transfer" in first and "transfer" in named and "initial" not in named:
            del first["initial"]  # 前年考出监理，今年跳槽…转注册要交啥: the transfer is named, the exam is history
        # 改名后补发证书 is the reissue, not also a loss; 证书丢了补办和改名以后补办 names both, apart
        suppressed = {s for pid, (_, start, end) in first.items() for s in self.kb.procedure(pid).suppresses
                      if s in first and _close(first[s][1:], (start, end))} if suppress else set()
        return [m for pid, m in first.items() if pid not in suppressed]

    def choose(self, text: str, candidates: Sequence[str], ambiguity: Optional[knowledge.Ambiguity]) -> Optional[str]:
        """Pick one of `candidates` from a reply such as 不是丢了，是改名以后换新证书."""
        named = [p for p in self.procedures_in(text) if p in candidates]
        if len(named) == 1:
            return named[0]
        ordinal = _ordinal(text)
        if ordinal is not None and 0 <= ordinal < len(candidates):
            return candidates[ordinal]
        short = re.sub(r"[的吧呢啊呀是那就,，。.!！?？\s]", "", text)
        if 1 <= len(short) <= 6:  # 初始 / 转的: a piece of one candidate's name
            matching = [pid for pid in candidates if short in self.kb.procedure(pid).title]
            if not matching and len(short) >= 2:  # 第一次 → 第一次注册 (an alias of 初始注册)
                matching = [pid for pid in candidates if any(short in alias for alias in self.kb.procedure(pid).aliases)]
            if len(matching) == 1:
                return matching[0]
        if ambiguity is None:  # 这个怎么办理 → 退休的那种: the decisive hints (hints_decide) for these candidates
            decisive = [amb for amb in self.kb.ambiguities if amb.hints_decide]
            hints = {pid: tuple(c for amb in decisive for c in amb.hints.get(pid, ())) for pid in candidates}
        else:
            hints = ambiguity.hints
        scores = {}
        for pid in candidates:
            hits = 0
            for cue in hints.get(pid, ()):
                for m in re.finditer(re.escape(cue), text):
                    hits += -1 if _negated(text, m.start()) else 1
            scores[pid] = hits
        best = max(scores.values(), default=0)
        winners = [p for p, s in scores.items() if s == best]
        return winners[0] if best > 0 and len(winners) == 1 else None

    def material_kinds_in(self, text: str) -> List[str]:
        """The material kinds a text names (情况说明 → statement)."""
        return self._materials(text)[0]

    def _ambiguity(self, text: str) -> Optional[knowledge.Ambiguity]:
        stripped = text
        for alias, _ in self._material_aliases:  # 变更注册申请表 names a form, not a wish to change
            stripped = stripped.replace(alias, "")
        for amb in self.kb.ambiguities:
            if any(term in stripped for term in amb.terms):
                return amb
        return None

    def _stages(self, text: str) -> List[str]:
        """Steps named, in the order they are mentioned (已经上报了，还要跑窗口吗 → 申报, 受理);
        not inside a material's name (上报 in 省级以上报刊)."""
        names = [(s, e) for s, e, _ in _find_terms(text, self._material_aliases)]
        names += [m.span() for m in NEW_HOLDER.finditer(text)]  # 刚拿证的监理: not the 领取 step
        found = []
        for stage, cues in self.kb.language.stages.items():
            positions = [m.start() for c in cues if c in text for m in re.finditer(re.escape(c), text)
                         if not any(s <= m.start() and m.end() <= e for s, e in names)]
            if positions:
                found.append((min(positions), stage))
        return [stage for _, stage in sorted(found)]

    def _only_visit(self, text: str) -> bool:
        """The 受理 words in the text are only a trip to the window (跑一趟), not handing in."""
        cues = [c for c in self.kb.language.stages["受理"] if c in text]
        return bool(cues) and all(any(c in v for v in VISIT) for c in cues)

    def _materials(self, text: str, inside: Sequence[Tuple[int, int]] = ()) -> Tuple[List[str], List[str]]:
        """Material kinds named, and those named after a negation (没有登报). A material
        inside a procedure's mention (身份证 in 身份证号码变了) is the subject, not asked about."""
        kinds, lacking = [], []
        for start, end, kind in sorted(_find_terms(text, self._material_aliases)):
            if any(a <= start and end <= b for a, b in inside):
                continue
            if kind not in kinds:
                kinds.append(kind)
            if _negated(text, start) and kind not in lacking:
                lacking.append(kind)
        return kinds, lacking

    def _aspects(self, text: str, a: Analysis, context: Optional[str] = None) -> List[str]:
        """Topics (policies, contacts) and aspects (materials, steps, collect …) asked about, best
        first; among equals, the one mentioned first (监理锁坏了是找监理协会吧 → 监理锁)."""
        scored = self._topic_scores(text, a, context)
        first = self._first_mentions(text, scored)
        # words inside a procedure's name (号码 in 身份证号码变更) are not cues
        masked = text
        for start, end, _ in _find_terms(text, self._procedure_aliases):
            masked = masked[:start] + "\u3000" * (end - start) + masked[end:]
        masked = NEW_HOLDER.sub(lambda m: "\u3000" * len(m.group()), masked)
        for aspect in self.kb.language.aspects:
            if any(c in masked for c in aspect.cues) or any(re.search(p, masked) for p in aspect.patterns):
                scored[aspect.name] = aspect.priority
        if COLLECT.search(masked):  # 帮同事领初始注册的证书
            scored.setdefault("collect", next(x.priority for x in self.kb.language.aspects if x.name == "collect"))
        return sorted(scored, key=lambda k: (-scored[k], first.get(k, 0)))

    def _topic_scores(self, text: str, a: Analysis, context: Optional[str]) -> Dict[str, int]:
        """Policies and contacts the text names: by a phone number, a cue (in its context), a
        pattern or an area code; an expiry date is the renewal window's."""
        scored: Dict[str, int] = {}
        for digits, topic in self._phones:
            if digits in text:
                scored[topic] = TOPIC_PRIORITY
        for name, priority, cues, words in self._topic_cues:
            in_context = any(w in text for w in words) or context in self._topic_procedures.get(name, ())
            if words and not in_context:
                continue
            # 没有其他注册证书 denies a policy's case; 还没有监理锁，想办一个 is still about the lock
            negation = CORRECTING if name.startswith("contact:") else NEGATION
            if any(c in text and _mentioned(text, c, cues, negation) for c in cues):
                scored[name] = priority
        for name, priority, pattern in self._topic_patterns:
            m = pattern.search(text)
            if m and not _negated(text, m.start()):
                scored[name] = priority
        if not any(k.startswith("contact:") for k in scored):  # 浙江的事是打010那个吧: the cue names the contact
            for area, topic in self._areas:
                if area.search(text):
                    scored[topic] = TOPIC_PRIORITY
        if a.expiry or a.months_early is not None:
            scored["policy:renewal_window"] = TOPIC_PRIORITY
        return scored

    def _first_mentions(self, text: str, scored: Dict[str, int]) -> Dict[str, int]:
        """Where each scored topic is first mentioned (68313292是技术答疑的电话吧: the number is the subject)."""
        first: Dict[str, int] = {}
        for name, _, cues, _ in self._topic_cues:
            if name in scored:
                first[name] = min((text.find(c) for c in cues if c in text), default=len(text))
        for digits, topic in self._phones:
            if digits in text:
                first[topic] = min(first.get(topic, len(text)), text.find(digits))
        return first


def _copied(a: Analysis) -> Analysis:
    """A copy whose lists and dicts the caller may change (the knowledge objects it points to are shared)."""
    return replace(a, **{f.name: copy(getattr(a, f.name)) for f in fields(a) if isinstance(getattr(a, f.name), (list, dict))})


def _close(a: Tuple[int, int], b: Tuple[int, int], gap: int = 4) -> bool:
    """Two mentions that overlap or nearly touch (身份证号码变了要换新证)."""
    return a[0] <= b[1] + gap and b[0] <= a[1] + gap


def _longest_first(pairs: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    seen, out = set(), []
    for term, value in sorted(pairs, key=lambda p: -len(p[0])):
        term = term.lower()
        if term not in seen:
            seen.add(term)
            out.append((term, value))
    return out


A_NOT_A = re.compile(r"(.)[不没]\1$")  # 是不是 / 有没有 / 要不要: a question, not a denial


def _negated(text: str, start: int, negation: re.Pattern = NEGATION) -> bool:
    if A_NOT_A.search(text[max(0, start - 3):start]):  # 是不是转注册 / 有没有技术支持电话 ask, they do not deny
        return False
    clause = CLAUSE_BREAK_SPLIT.split(text[:start])[-1]
    denied = DENIED_CLAUSE.match(clause)
    if negation is NEGATION and denied and "是" not in clause[denied.end():]:
        return True  # 是我要跳槽，不是公司改名: the clause denies what it names (not 不是丢了 是改名以后…)
    return bool(negation.search(text[max(0, start - 3):start]))


def _mentioned(text: str, cue: str, cues: Sequence[str] = (), negation: re.Pattern = NEGATION) -> bool:
    """The cue occurs at least once without a negation just before it (没有其他注册证书); inside a
    longer cue (锁 in 监理锁) the negation is looked for before the longer one (不是监理锁)."""
    for m in re.finditer(re.escape(cue), text):
        start = m.start()
        for longer in cues:
            offset = longer.find(cue) if len(longer) > len(cue) else -1
            begin = m.start() - offset
            if offset > 0 and begin >= 0 and text[begin:begin + len(longer)] == longer:
                start = min(start, begin)
        if not _negated(text, start, negation):
            return True
    return False


_ORDINALS = {"1": 0, "一": 0, "2": 1, "二": 1, "两": 1, "3": 2, "三": 2, "4": 3, "四": 3, "5": 4, "五": 4}


def _ordinal(text: str) -> Optional[int]:
    """第一个 / 1 / 选2 → 0-based index."""
    m = re.fullmatch(r"(选|第)?([1-9一二两三四五])(个|项|种)?[.。!]?", text.strip())
    return _ORDINALS.get(m.group(2)) if m else None


@lru_cache(maxsize=None)
def default() -> Reader:
    return Reader(knowledge.default())
