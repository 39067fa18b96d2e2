"""The office's guide as data: load knowledge/*.yml, validate it, and look facts up.

Every answer the bot gives about a procedure, a material, a window or a phone number
comes from these files, so the loader is strict: a missing field, an unknown reference,
a material name that does not appear in its step's guide text or a phone number that
does not appear in its contact's text stops the load with the file, the entry and
what is wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
STAGES = ("申报", "受理", "领取")
FORMS = ("原件", "复印件", "原件或复印件")
SOURCE_RE = re.compile(r"^(1[0-3]|[1-9])(\([1-3]\))?$")
PHONE_RE = re.compile(r"^0\d{2,3}-\d{7,8}$")


class KnowledgeError(ValueError):
    """A knowledge file is wrong; the message names the file, the entry and the fault."""


@dataclass(frozen=True)
class Material:
    kind: str
    name: str
    form: Optional[str] = None
    copies: Optional[int] = None
    alternative: Optional[str] = None
    detail: Optional[str] = None

    def describe(self) -> str:
        """Name with form, e.g. 省级以上报刊原件（或情况说明）."""
        text = self.name + (self.form or "")
        if self.detail:
            text += f"（{self.detail}）"
        if self.alternative:
            text += f"（或{self.alternative}）"
        return text


@dataclass(frozen=True)
class Note:
    text: str
    topic: Optional[str] = None


@dataclass(frozen=True)
class Step:
    stage: str
    source: str
    text: str
    place: Optional[str] = None
    purpose: Optional[str] = None
    materials: Tuple[Material, ...] = ()
    bring: Tuple[Material, ...] = ()
    uploads: Tuple[str, ...] = ()
    notes: Tuple[Note, ...] = ()
    next_procedure: Optional[str] = None


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    source: str
    steps: Tuple[Step, ...]
    aliases: Tuple[str, ...] = ()
    patterns: Tuple[str, ...] = ()
    variant: Optional[str] = None
    suppresses: Tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """Display name; the two 遗失补办 variants are told apart by their variant."""
        return f"{self.name}（{self.variant}）" if self.variant else self.name

    def step(self, stage: str) -> Optional[Step]:
        return next((s for s in self.steps if s.stage == stage), None)

    @property
    def intake(self) -> Step:
        """The 受理 step: what to hand in at the window."""
        return self.step("受理")  # validated to exist

    @property
    def collection(self) -> Optional[Step]:
        return self.step("领取")

    @property
    def notes(self) -> Tuple[Note, ...]:
        return tuple(n for s in self.steps for n in s.notes)


@dataclass(frozen=True)
class Ambiguity:
    id: str
    question: str
    terms: Tuple[str, ...]
    candidates: Tuple[str, ...]
    hints: Dict[str, Tuple[str, ...]]
    hints_decide: bool = False  # hints in the question itself pick the candidate (遗失声明…补办 → 遗失)


@dataclass(frozen=True)
class MaterialKind:
    kind: str
    label: str
    aliases: Tuple[str, ...]
    meets: Tuple[str, ...] = ()  # words for a level that satisfies the label (全国性的报纸 for 省级以上报刊)
    falls_short: Tuple[str, ...] = ()  # words for one that does not (市里的晚报)


@dataclass(frozen=True)
class Policy:
    id: str
    source: str
    text: str
    answer: str
    cues: Tuple[str, ...]
    questions: Tuple[str, ...]
    document: Optional[str] = None
    title: Optional[str] = None
    yes_no_answer: Optional[str] = None
    procedure: Optional[str] = None
    procedures: Tuple[str, ...] = ()
    months_early: Optional[int] = None
    context: Tuple[str, ...] = ()  # a cue counts only when one of these words is present too


@dataclass(frozen=True)
class Contact:
    id: str
    source: str
    name: str
    purpose: str
    text: str
    cues: Tuple[str, ...]
    questions: Tuple[str, ...]
    phones: Tuple[str, ...] = ()
    via: Optional[str] = None
    yes_no_answer: Optional[str] = None
    priority: int = 10
    context: Tuple[str, ...] = ()
    patterns: Tuple[str, ...] = ()  # phrasings with words apart (监理系统有没有人工客服电话)


@dataclass(frozen=True)
class Aspect:
    name: str
    priority: int
    cues: Tuple[str, ...]
    patterns: Tuple[str, ...] = ()  # regular expressions for phrasings a word list cannot hold


@dataclass(frozen=True)
class SilentTopic:
    """Something people ask that the guide does not say (fees, how long review takes)."""
    id: str
    label: str
    cues: Tuple[str, ...]
    unless: Tuple[str, ...] = ()  # words that make it a question the guide does answer (提前多久)
    stage: Optional[str] = None  # the step whose text says what the guide does ask (邮寄 → 受理: 携带至窗口)
    ours: bool = False  # asked with no other word of ours it is still about us (多久能批下来), unless off topic
    alone: bool = False  # only when no procedure is named (搬家的时候证书丢了 is about the loss, not the move)
    unless_linked: bool = False  # not when the procedures asked about follow one another (item 8, then item 9)
    material: Optional[str] = None  # about this material kind: silent only where the procedure asks for it


@dataclass(frozen=True)
class Language:
    aspects: Tuple[Aspect, ...]
    stages: Dict[str, Tuple[str, ...]]
    yes_no_patterns: Tuple[str, ...]
    forms: Dict[str, Tuple[str, ...]]
    out_of_scope_cues: Tuple[str, ...]
    words: Tuple[str, ...] = ()
    domain_words: Tuple[str, ...] = ()
    proxy_cues: Tuple[str, ...] = ()
    status_cues: Tuple[str, ...] = ()
    human_cues: Tuple[str, ...] = ()
    next_cues: Tuple[str, ...] = ()
    scope_cues: Tuple[str, ...] = ()  # 这个电话能问那件事吗: list each named contact's purpose
    foreign_cues: Tuple[str, ...] = ()  # another office's business (驾驶证到期), unless a core word is there
    core_words: Tuple[str, ...] = ()  # words that keep a question ours despite a foreign cue (监理, 注册)
    foreign_patterns: Tuple[str, ...] = ()  # another profession's registration (造价工程师延续注册), unless 监理 is said
    foreign_offices: Tuple[str, ...] = ()  # the 监理员's certificate: never ours
    foreign_provinces: Tuple[str, ...] = ()  # another province's office: not ours, unless home_cues say it is
    home_cues: Tuple[str, ...] = ()
    other_professions: Tuple[str, ...] = ()
    places: Tuple[str, ...] = ()  # 是在2号窗口吧: a place the guide names, confirmed when the answer names it  # 二级建造师注册在别的单位: that clause is about the other certificate
    chitchat_cues: Dict[str, Tuple[str, ...]] = field(default_factory=dict)  # greet / thanks / goodbye
    opener_cues: Tuple[str, ...] = ()  # 问个事儿: a greeting, when nothing of the business is said
    ack_cues: Tuple[str, ...] = ()  # 好的 / 知道了 alone: acknowledged like thanks
    slips: Dict[str, str] = field(default_factory=dict)  # 省停 → 省厅: input-method and speech slips
    silent_topics: Tuple[SilentTopic, ...] = ()  # 收费 / 办理时限: the guide says nothing, so we do not guess

    def silent_topic(self, topic_id: str) -> SilentTopic:
        return next(t for t in self.silent_topics if t.id == topic_id)


@dataclass(frozen=True)
class Stage:
    """A stage of an application in the case store (已上报 … 已退回)."""

    name: str
    timeline: str
    meaning: str
    next: str


NEXT_STEPS = ("intake", "announce", "collect", "resubmit", "done")
TIMELINE = ("申报", "受理", "审核", "公告", "领取")


@dataclass(frozen=True)
class Knowledge:
    procedures: Tuple[Procedure, ...]
    ambiguities: Tuple[Ambiguity, ...]
    material_kinds: Tuple[MaterialKind, ...]
    policies: Tuple[Policy, ...]
    contacts: Tuple[Contact, ...]
    language: Language
    stages: Tuple[Stage, ...] = ()
    _by_id: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def procedure(self, procedure_id: str) -> Procedure:
        return self._by_id["procedure:" + procedure_id]

    def procedure_by_name(self, name: str) -> Optional[Procedure]:
        """By id, title or name (a bare 遗失补办 means the item-4 variant)."""
        for p in self.procedures:
            if name in (p.id, p.title):
                return p
        return next((p for p in self.procedures if p.name == name), None)

    def policy(self, policy_id: str) -> Policy:
        return self._by_id["policy:" + policy_id]

    def contact(self, contact_id: str) -> Contact:
        return self._by_id["contact:" + contact_id]

    def stage(self, name: str) -> Optional[Stage]:
        return next((s for s in self.stages if s.name == name), None)

    def material_kind(self, kind: str) -> MaterialKind:
        return self._by_id["material:" + kind]

    def phones_of(self, contact: Contact) -> Tuple[str, ...]:
        return contact.phones or (self.contact(contact.via).phones if contact.via else ())


# --- loading ---------------------------------------------------------------------


class _Entry:
    """Reads one mapping and reports faults with file and entry name."""

    def __init__(self, file: str, label: str, data: Any):
        self.file, self.label = file, label
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, got {type(data).__name__}")
        self.data = data

    def fail(self, what: str):
        raise KnowledgeError(f"{self.file}: {self.label}: {what}")

    def text(self, key: str, required: bool = True) -> Optional[str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(f"missing '{key}'")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
            self.fail(f"'{key}' must be non-empty text")
        return str(value)

    def texts(self, key: str, required: bool = False) -> Tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(f"missing '{key}'")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"'{key}' must be a list of non-empty texts")
        if required and not value:
            self.fail(f"'{key}' must not be empty")
        return tuple(value)

    def source(self) -> str:
        value = self.text("source")
        if not SOURCE_RE.match(value):
            self.fail(f"'source' {value!r} is not a guide item such as \"1\" or \"1(2)\"")
        return value

    def mappings(self, key: str) -> List[dict]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            self.fail(f"'{key}' must be a list")
        return value

    def unknown_keys(self, allowed: set):
        extra = set(self.data) - allowed
        if extra:
            self.fail(f"unknown key(s) {', '.join(sorted(map(str, extra)))}")


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{path.name}: file is missing") from None
    except yaml.YAMLError as e:
        raise KnowledgeError(f"{path.name}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path.name}: expected a mapping at the top")
    return data


def _material(file: str, label: str, raw: Any, step_text: str) -> Material:
    e = _Entry(file, label, raw)
    e.unknown_keys({"kind", "name", "form", "copies", "alternative", "detail"})
    m = Material(
        kind=e.text("kind"),
        name=e.text("name"),
        form=e.text("form", required=False),
        copies=raw.get("copies"),
        alternative=e.text("alternative", required=False),
        detail=e.text("detail", required=False),
    )
    if m.form and m.form not in FORMS:
        e.fail(f"form {m.form!r} is not one of {', '.join(FORMS)}")
    if m.copies is not None and (not isinstance(m.copies, int) or m.copies < 1):
        e.fail("copies must be a positive whole number")
    for word in filter(None, (m.name, m.alternative)):
        if word not in step_text:
            e.fail(f"{word!r} does not appear in the step's guide text")
    return m


def _step(file: str, label: str, raw: Any) -> Step:
    e = _Entry(file, label, raw)
    e.unknown_keys({"stage", "source", "text", "place", "purpose", "materials", "bring", "uploads", "notes", "next_procedure"})
    stage = e.text("stage")
    if stage not in STAGES:
        e.fail(f"stage {stage!r} is not one of {', '.join(STAGES)}")
    text = e.text("text")
    notes = []
    for i, n in enumerate(e.mappings("notes")):
        ne = _Entry(file, f"{label} note {i + 1}", n)
        ne.unknown_keys({"text", "topic"})
        notes.append(Note(text=ne.text("text"), topic=ne.text("topic", required=False)))
    step = Step(
        stage=stage,
        source=e.source(),
        text=text,
        place=e.text("place", required=False),
        purpose=e.text("purpose", required=False),
        materials=tuple(_material(file, f"{label} material {i + 1}", m, text) for i, m in enumerate(e.mappings("materials"))),
        bring=tuple(_material(file, f"{label} bring {i + 1}", m, text) for i, m in enumerate(e.mappings("bring"))),
        uploads=e.texts("uploads"),
        notes=tuple(notes),
        next_procedure=e.text("next_procedure", required=False),
    )
    for word in filter(None, (step.place,)):
        if word not in text:
            e.fail(f"place {word!r} does not appear in the step's guide text")
    if stage == "受理" and not step.materials:
        e.fail("a 受理 step must list its materials")
    return step


def _compile_patterns(e: _Entry, patterns) -> None:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as err:
            e.fail(f"pattern {p!r} is not a valid regular expression: {err}")


def _procedures(data: dict) -> Tuple[Tuple[Procedure, ...], Tuple[Ambiguity, ...]]:
    file = "procedures.yml"
    procedures = []
    for i, raw in enumerate(data.get("procedures") or []):
        e = _Entry(file, f"procedure {i + 1} ({raw.get('id', '?') if isinstance(raw, dict) else '?'})", raw)
        e.unknown_keys({"id", "name", "source", "steps", "aliases", "patterns", "variant", "suppresses"})
        pid = e.text("id")
        steps = tuple(_step(file, f"procedure {pid} step {j + 1}", s) for j, s in enumerate(e.mappings("steps")))
        stages = [s.stage for s in steps]
        if "申报" not in stages or "受理" not in stages:
            e.fail("needs at least a 申报 and a 受理 step")
        if stages != sorted(stages, key=STAGES.index) or len(set(stages)) != len(stages):
            e.fail("steps must be in the order 申报, 受理, 领取, each once")
        source = e.source()
        for s in steps:
            if not s.source.startswith(source + "("):
                e.fail(f"step {s.stage} has source {s.source!r}, not under item {source}")
        patterns = e.texts("patterns")
        _compile_patterns(e, patterns)
        procedures.append(Procedure(
            id=pid, name=e.text("name"), source=source, steps=steps,
            aliases=e.texts("aliases", required=True), patterns=patterns,
            variant=e.text("variant", required=False), suppresses=e.texts("suppresses"),
        ))
    if not procedures:
        raise KnowledgeError(f"{file}: no procedures")
    ambiguities = []
    for i, raw in enumerate(data.get("ambiguous") or []):
        e = _Entry(file, f"ambiguous {i + 1}", raw)
        e.unknown_keys({"id", "question", "terms", "candidates", "hints", "hints_decide"})
        hints_raw = raw.get("hints") or {}
        if not isinstance(hints_raw, dict):
            e.fail("'hints' must map procedure ids to cue lists")
        ambiguities.append(Ambiguity(
            id=e.text("id"), question=e.text("question"), terms=e.texts("terms", required=True),
            candidates=e.texts("candidates", required=True),
            hints={k: tuple(v) for k, v in hints_raw.items()}, hints_decide=raw.get("hints_decide") is True,
        ))
    return tuple(procedures), tuple(ambiguities)


def _material_kinds(data: dict) -> Tuple[MaterialKind, ...]:
    kinds = []
    for i, raw in enumerate(data.get("materials") or []):
        e = _Entry("materials.yml", f"material {i + 1}", raw)
        e.unknown_keys({"kind", "label", "aliases", "levels"})
        levels = _Entry("materials.yml", f"material {i + 1} levels", raw.get("levels") or {})
        levels.unknown_keys({"meets", "falls_short"})
        kinds.append(MaterialKind(kind=e.text("kind"), label=e.text("label"), aliases=e.texts("aliases", required=True),
                                  meets=levels.texts("meets"), falls_short=levels.texts("falls_short")))
    return tuple(kinds)


def _policies(data: dict) -> Tuple[Policy, ...]:
    policies = []
    for i, raw in enumerate(data.get("policies") or []):
        e = _Entry("policies.yml", f"policy {i + 1}", raw)
        e.unknown_keys({"id", "source", "document", "title", "text", "answer", "yes_no_answer", "cues", "questions", "procedure", "procedures", "months_early", "context"})
        months = raw.get("months_early")
        if months is not None and (not isinstance(months, int) or months < 1):
            e.fail("months_early must be a positive whole number")
        policies.append(Policy(
            id=e.text("id"), source=e.source(), text=e.text("text"), answer=e.text("answer"),
            cues=e.texts("cues", required=True), questions=e.texts("questions", required=True),
            document=e.text("document", required=False), title=e.text("title", required=False),
            yes_no_answer=e.text("yes_no_answer", required=False),
            procedure=e.text("procedure", required=False), procedures=e.texts("procedures"),
            months_early=months, context=e.texts("context"),
        ))
    return tuple(policies)


def _contacts(data: dict) -> Tuple[Contact, ...]:
    contacts = []
    for i, raw in enumerate(data.get("contacts") or []):
        e = _Entry("contacts.yml", f"contact {i + 1}", raw)
        e.unknown_keys({"id", "source", "name", "purpose", "phones", "text", "cues", "questions", "via", "yes_no_answer", "priority", "context",
                        "patterns"})
        patterns = e.texts("patterns")
        _compile_patterns(e, patterns)
        c = Contact(
            id=e.text("id"), source=e.source(), name=e.text("name"), purpose=e.text("purpose"),
            text=e.text("text"), cues=e.texts("cues", required=True), questions=e.texts("questions", required=True),
            phones=e.texts("phones"), via=e.text("via", required=False),
            yes_no_answer=e.text("yes_no_answer", required=False),
            priority=raw.get("priority", 10), context=e.texts("context"), patterns=patterns,
        )
        for phone in c.phones:
            if not PHONE_RE.match(phone):
                e.fail(f"phone {phone!r} is not of the form 010-88381873")
            if phone not in c.text:
                e.fail(f"phone {phone!r} does not appear in the contact's text")
        contacts.append(c)
    return tuple(contacts)


def _language(data: dict) -> Language:
    file = "language.yml"
    aspects = []
    for name, raw in (data.get("aspects") or {}).items():
        e = _Entry(file, f"aspect {name}", raw)
        e.unknown_keys({"priority", "cues", "patterns"})
        if not isinstance(raw.get("priority"), int):
            e.fail("priority must be a whole number")
        patterns = e.texts("patterns")
        _compile_patterns(e, patterns)
        aspects.append(Aspect(name=name, priority=raw["priority"], cues=e.texts("cues", required=True),
                              patterns=patterns))
    top = _Entry(file, "top level", data)
    patterns = top.texts("yes_no_patterns", required=True)
    _compile_patterns(top, patterns)
    stages = {k: tuple(v) for k, v in (data.get("stages") or {}).items()}
    if set(stages) != set(STAGES):
        top.fail(f"stages must name exactly {', '.join(STAGES)}")
    forms = {k: tuple(v) for k, v in (data.get("forms") or {}).items()}
    foreign_patterns, foreign_offices = top.texts("foreign_patterns"), top.texts("foreign_offices")
    foreign_provinces = top.texts("foreign_provinces")
    _compile_patterns(top, foreign_patterns + foreign_offices + foreign_provinces)
    silent = []
    for name, raw in (data.get("silent_topics") or {}).items():
        e = _Entry(file, f"silent topic {name}", raw)
        e.unknown_keys({"label", "cues", "unless", "stage", "ours", "alone", "unless_linked", "material"})
        stage = e.text("stage", required=False)
        if stage is not None and stage not in STAGES:
            e.fail(f"stage must be one of {', '.join(STAGES)}")
        silent.append(SilentTopic(id=name, label=e.text("label"), cues=e.texts("cues", required=True),
                                  unless=e.texts("unless"), stage=stage, ours=raw.get("ours") is True,
                                  alone=raw.get("alone") is True, unless_linked=raw.get("unless_linked") is True,
                                  material=e.text("material", required=False)))
    return Language(
        aspects=tuple(sorted(aspects, key=lambda a: -a.priority)), stages=stages,
        yes_no_patterns=patterns, forms=forms, out_of_scope_cues=top.texts("out_of_scope_cues"),
        words=top.texts("words"), domain_words=top.texts("domain_words", required=True),
        proxy_cues=top.texts("proxy_cues"), status_cues=top.texts("status_cues", required=True),
        human_cues=top.texts("human_cues", required=True), next_cues=top.texts("next_cues"),
        scope_cues=top.texts("scope_cues"), core_words=top.texts("core_words"),
        foreign_cues=top.texts("foreign_cues"), foreign_patterns=foreign_patterns, foreign_offices=foreign_offices,
        foreign_provinces=foreign_provinces, home_cues=top.texts("home_cues"),
        other_professions=top.texts("other_professions"), places=top.texts("places"),
        chitchat_cues={k: top.texts(f"{k}_cues") for k in ("greet", "thanks", "goodbye")},
        opener_cues=top.texts("opener_cues"), ack_cues=top.texts("ack_cues"),
        slips={str(k): str(v) for k, v in (data.get("slips") or {}).items()},
        silent_topics=tuple(silent),
    )


def _stages(data: dict) -> Tuple[Stage, ...]:
    stages = []
    for i, raw in enumerate(data.get("stages") or []):
        e = _Entry("stages.yml", f"stage {i + 1}", raw)
        e.unknown_keys({"name", "timeline", "meaning", "next"})
        stage = Stage(name=e.text("name"), timeline=e.text("timeline"), meaning=e.text("meaning"), next=e.text("next"))
        if stage.next not in NEXT_STEPS:
            e.fail(f"next {stage.next!r} is not one of {', '.join(NEXT_STEPS)}")
        if stage.timeline not in TIMELINE:
            e.fail(f"timeline {stage.timeline!r} is not one of {', '.join(TIMELINE)}")
        stages.append(stage)
    if not stages:
        raise KnowledgeError("stages.yml: no stages")
    return tuple(stages)


def _check_references(kb: Knowledge) -> None:
    ids = _index_ids(kb)
    kb._by_id.update(ids)
    _check_procedure_refs(kb, ids)
    _check_ambiguity_refs(kb, ids)
    _check_policy_refs(kb, ids)
    _check_contact_refs(kb, ids)


def _index_ids(kb: Knowledge) -> Dict[str, Any]:
    """Every procedure, policy, contact and material kind by "prefix:id"; an id defined twice fails."""
    ids: Dict[str, Any] = {}
    for prefix, items, key in (
        ("procedure", kb.procedures, "id"), ("policy", kb.policies, "id"),
        ("contact", kb.contacts, "id"), ("material", kb.material_kinds, "kind"),
    ):
        for item in items:
            k = f"{prefix}:{getattr(item, key)}"
            if k in ids:
                raise KnowledgeError(f"{prefix} id {getattr(item, key)!r} is defined twice")
            ids[k] = item
    return ids


def _need(ids: Dict[str, Any], kind: str, ident: str, where: str) -> None:
    if f"{kind}:{ident}" not in ids:
        raise KnowledgeError(f"{where}: unknown {kind} {ident!r}")


def _check_procedure_refs(kb: Knowledge, ids: Dict[str, Any]) -> None:
    for p in kb.procedures:
        for s in p.steps:
            for m in s.materials + s.bring:
                _need(ids, "material", m.kind, f"procedures.yml: procedure {p.id} step {s.stage}")
            if s.next_procedure:
                _need(ids, "procedure", s.next_procedure, f"procedures.yml: procedure {p.id} step {s.stage}")
            for n in s.notes:
                if n.topic:
                    _need(ids, "policy", n.topic, f"procedures.yml: procedure {p.id} step {s.stage} note")
        for other in p.suppresses:
            _need(ids, "procedure", other, f"procedures.yml: procedure {p.id} suppresses")


def _check_ambiguity_refs(kb: Knowledge, ids: Dict[str, Any]) -> None:
    for a in kb.ambiguities:
        for c in a.candidates:
            _need(ids, "procedure", c, f"procedures.yml: ambiguous {a.id}")
        for c in a.hints:
            if c not in a.candidates:
                raise KnowledgeError(f"procedures.yml: ambiguous {a.id}: hint for {c!r}, which is not a candidate")


def _check_policy_refs(kb: Knowledge, ids: Dict[str, Any]) -> None:
    for pol in kb.policies:
        for pid in filter(None, (pol.procedure, *pol.procedures)):
            _need(ids, "procedure", pid, f"policies.yml: policy {pol.id}")


def _check_contact_refs(kb: Knowledge, ids: Dict[str, Any]) -> None:
    for c in kb.contacts:
        if c.via:
            _need(ids, "contact", c.via, f"contacts.yml: contact {c.id}")
            for phone in kb.contact(c.via).phones:
                if phone not in c.text:
                    raise KnowledgeError(f"contacts.yml: contact {c.id}: phone {phone!r} of {c.via} does not appear in its text")
        if not kb.phones_of(c) and c.id not in ("window", "announcements"):
            raise KnowledgeError(f"contacts.yml: contact {c.id}: no phone number")


def load(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Load and validate every knowledge file in `directory`."""
    directory = Path(directory)
    procedures, ambiguities = _procedures(_read_yaml(directory / "procedures.yml"))
    kb = Knowledge(
        procedures=procedures,
        ambiguities=ambiguities,
        material_kinds=_material_kinds(_read_yaml(directory / "materials.yml")),
        policies=_policies(_read_yaml(directory / "policies.yml")),
        contacts=_contacts(_read_yaml(directory / "contacts.yml")),
        language=_language(_read_yaml(directory / "language.yml")),
        stages=_stages(_read_yaml(directory / "stages.yml")),
    )
    _check_references(kb)
    return kb


def vocabulary(kb: Knowledge) -> List[str]:
    """Every word the knowledge knows: names, aliases and cues (for the tokenizer and normaliser)."""
    words = []
    for p in kb.procedures:
        words += [p.name, *p.aliases]
        for s in p.steps:
            words += [m.name for m in s.materials + s.bring] + [m.alternative for m in s.materials if m.alternative]
    for a in kb.ambiguities:
        words += a.terms
    for m in kb.material_kinds:
        words += [m.label, *m.aliases]
    for item in (*kb.policies, *kb.contacts):
        words += item.cues
    for c in kb.contacts:
        words.append(c.name)
    lang = kb.language
    for a in lang.aspects:
        words += a.cues
    for cues in (*lang.stages.values(), *lang.forms.values()):
        words += cues
    words += lang.out_of_scope_cues
    words += lang.words
    words += lang.domain_words
    seen = set()
    return [w for w in words if w and not (w in seen or seen.add(w))]


QUESTION_WORDS = ("什么", "哪", "怎", "吗", "多久", "几", "谁", "能", "可以", "要", "需", "带", "交", "在")
# phrases such as 上报错了 or 省里发 are not names to correct towards
NOT_NAMES = ("了", "错", "不", "没", "过", "撤", "取消", "发", "批", "看", "找", "问", "是", "里", "说", "来", "去")


def names(kb: Knowledge) -> List[str]:
    """Every name and alias of a procedure, material or contact, whatever its length."""
    words = [w for p in kb.procedures for w in (p.name, *p.aliases)]
    words += [w for m in kb.material_kinds for w in (m.label, *m.aliases)]
    words += [c.name for c in kb.contacts] + [cue for c in kb.contacts for cue in c.cues]
    return list(dict.fromkeys(words))


def key_terms(kb: Knowledge) -> List[str]:
    """Names worth correcting when mistyped (初使注册, 监理琐, 社宝证明): procedure names
    first, then their aliases, then material and contact names and noun-like cues."""
    terms = [p.name for p in kb.procedures] + [a for p in kb.procedures for a in p.aliases]
    terms += [w for m in kb.material_kinds for w in (m.label, *m.aliases) if len(w) >= 3]
    terms += [c.name for c in kb.contacts]
    terms += [cue for item in (*kb.policies, *kb.contacts) for cue in item.cues  # 3 characters: too risky
              if len(cue) >= 4 and not any(q in cue for q in QUESTION_WORDS + NOT_NAMES)]
    return list(dict.fromkeys(t for t in terms if len(t) >= 3))


@lru_cache(maxsize=None)
def default() -> Knowledge:
    """The repository's knowledge, loaded once per process."""
    return load(KNOWLEDGE_DIR)
