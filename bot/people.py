"""Who is who when HR staff ask about several colleagues in one conversation.

"老王要延续注册，小陈证书丢了要补办" introduces two people, each with a procedure; later
"小陈的呢", "老王那个要不要交照片", "另一个呢" or "第二个人批下来以后呢" mean that person's
procedure. People are kept as "label=procedure id" strings, in the order they were named
(a list slot in Rasa).
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from bot.status import SURNAMES

_SURNAME = "[" + "".join(sorted(SURNAMES)) + "]"
# 老王 / 小陈 / 张工 / 同事A / A / 一个同事 / 另一个同事: how a colleague is named in passing
LABEL = re.compile(rf"(?<![a-z])([a-z])(?![a-z])|([老小]{_SURNAME})|({_SURNAME}工)(?![作程资厂地具人会期钱种龄商])|"
                   r"(另一个|另外一个|一个)(?:同事|员工|人)")
CLAUSE = re.compile(r"[,，;；。?？!！]")
ORDINAL = re.compile(r"第([一二两1-2])(?:个|位)(?:人|同事|员工)?")
OTHER = re.compile(r"另一个|另外一个|另一位|另外那个")
FIRST_ONLY = re.compile(r"先(?:说|问|讲|看|答)(?:一下)?(.{1,8}?)(?:的|那个)")
ORDINALS = {"一": 0, "1": 0, "二": 1, "两": 1, "2": 1}


def _label(match: re.Match) -> str:
    label = next(g for g in match.groups() if g)
    return {"一个": "1", "另一个": "2", "另外一个": "2"}.get(label, label.upper())


def introduced(text: str, procedures_in) -> List[Tuple[str, str]]:
    """(label, procedure id) for each clause that names one colleague and one procedure; in a
    message about several procedures, the others too, unnamed ("#" + id: 还有个员工离职要注销)."""
    found, clauses = [], [c for c in CLAUSE.split(text) if c.strip()]
    several = len(procedures_in(text)) > 1
    for clause in clauses:
        labels = list(LABEL.finditer(clause))
        named = procedures_in(clause)
        if len(labels) == 1 and len(named) == 1:
            found.append((_label(labels[0]), named[0]))
        elif several and len(named) == 1:
            found.append(("#" + named[0], named[0]))
    return found


def labels_in(text: str) -> List[str]:
    """The colleagues named in a text, each once."""
    return list(dict.fromkeys(_label(m) for m in LABEL.finditer(text)))


def procedures_of(people: Sequence[str]) -> List[str]:
    """Every procedure named for someone in this conversation."""
    return [entry.split("=", 1)[1] for entry in people]


def merged(people: Sequence[str], found: Sequence[Tuple[str, str]]) -> List[str]:
    """The people known so far, with those just named added or updated."""
    known = dict(entry.split("=", 1) for entry in people)
    for label, pid in found:
        known[label] = pid
    return [f"{label}={pid}" for label, pid in known.items()]


def asked_about(text: str, people: Sequence[str], current: Optional[str]) -> Optional[str]:
    """The procedure of the colleague this message is about, if it names one."""
    known = [entry.split("=", 1) for entry in people if not entry.startswith("#")]
    if not known:
        return None
    m = ORDINAL.search(text)
    if m and ORDINALS[m.group(1)] < len(known):
        return known[ORDINALS[m.group(1)]][1]
    for match in LABEL.finditer(text):
        label = _label(match)
        for known_label, pid in known:
            if label == known_label and label not in ("1", "2"):
                return pid
    if OTHER.search(text):
        others = [pid for _, pid in known if pid != current]
        return others[0] if len(others) == 1 else None
    return None


def first_only(text: str, found: Sequence[Tuple[str, str]], procedures_in) -> Optional[str]:
    """先说老王的要带什么 / 先说加专业的: the one procedure to answer first."""
    m = FIRST_ONLY.search(text)
    if not m:
        return None
    named = procedures_in(m.group(1))
    if len(named) == 1:
        return named[0]
    labels = {label: pid for label, pid in found}
    picked = [labels[_label(x)] for x in LABEL.finditer(m.group(1)) if _label(x) in labels]
    return picked[0] if len(picked) == 1 else None
