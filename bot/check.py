"""The last stage before an answer leaves: invariants that a confident wrong answer breaks.

Checked on what the answer is about (its route, the procedure it answers for) against the
knowledge, so that a slip of an earlier stage is caught here rather than sent:

- an answer about one procedure names no material that belongs only to other procedures,
  unless it says that procedure does not need it ("延续注册不需要解聘证明" is a fact about
  延续注册) or names the other procedure it comes from (身份证姓名等其他变更 → 随后办理遗失补办);
- one question gets one verdict per procedure: never "可以" and "还不能" about the same renewal;
- an answer about another office's business carries no phone number of ours.

A reply that fails is not sent: the user is told plainly that the bot cannot answer it for
sure, with the contacts and a person as buttons; the failure is logged and counts as not
understood (the console's unanswered queue).
"""
from __future__ import annotations

import logging
import re
from typing import List, Optional, Sequence

from bot.knowledge import Knowledge
from bot.terms import find_terms

log = logging.getLogger(__name__)

SHARED_KINDS = {"application_form", "certificate"}  # every procedure has one of each (under its own name)
ABSENT = re.compile(r"(没有|不需要|不用|无需|不必|不要|不含|不涉及)[^,，。；;\n]{0,12}$")  # …里没有解聘证明
OPPOSITE = (("现在就可以申报", "现在还不能申报"),)


def problems(kb: Knowledge, aliases: Sequence, route: Optional[str], procedures: Sequence[str],
             messages: List[dict], people_named: bool = False) -> List[str]:
    """What is wrong with these messages as an answer of `route` about `procedures` (empty: nothing)."""
    text = "\n".join(m.get("text") or "" for m in messages)
    found = []
    if route == "not_ours":
        found += [f"our phone {p}" for p in _phones(kb) if p in text]
    if route == "aspect" and len(procedures) == 1:
        found += [f"material of another procedure: {k}" for k in _foreign_materials(kb, aliases, procedures[0], text)]
    if not people_named and len(procedures) <= 1:
        found += [f"two verdicts: {a} / {b}" for a, b in OPPOSITE if a in text and b in text]
    return found


def _phones(kb: Knowledge) -> List[str]:
    return [phone.split("-")[-1] for c in kb.contacts for phone in kb.phones_of(c)]


def _foreign_materials(kb: Knowledge, aliases: Sequence, pid: str, text: str) -> List[str]:
    """Materials named in the text that `pid` does not ask for, said as if it did."""
    named_elsewhere = {p.id for p in kb.procedures if p.id != pid and p.title in text}
    allowed = {kind for q in (pid, *named_elsewhere) for kind in _kinds_of(kb, aliases, q)}
    masked = text
    names = sorted({n for p in kb.procedures for n in (p.title, p.name)}, key=len, reverse=True)
    for name in names:  # 遗失补办（身份证、姓名等变更后补办证书）names a procedure, not a material
        masked = masked.replace(name, "\u3000" * len(name))
    wrong = []
    for start, _, kind in find_terms(masked, aliases):
        if kind in allowed or kind in SHARED_KINDS or ABSENT.search(masked[max(0, start - 14):start]):
            continue
        if kind not in wrong:
            wrong.append(kind)
    return wrong


def _kinds_of(kb: Knowledge, aliases: Sequence, pid: str) -> set:
    """The material kinds a procedure asks for, with those it accepts instead (（或情况说明）)."""
    kinds = set()
    for step in kb.procedure(pid).steps:
        for m in step.materials + step.bring:
            kinds.add(m.kind)
            kinds.update(kind for _, _, kind in find_terms(m.alternative or "", aliases))
    return kinds


def blocked_messages() -> List[dict]:
    return [{"text": "抱歉，这个问题我暂时不能给出确定的答复，以免误导您。您可以换个说法再问，也可以查看咨询电话或转人工客服。",
             "buttons": [{"title": "查看咨询电话", "payload": "联系电话"}, {"title": "转人工客服", "payload": "转人工"}]}]


def report(route: Optional[str], question: str, found: List[str]) -> None:
    log.warning("answer blocked (%s) for %r: %s", route, question[:200], "; ".join(found))
