"""Who is who when HR staff ask about several colleagues in one conversation.

"老王要延续注册，小陈证书丢了要补办" introduces two people, each with a procedure; later
"小陈的呢", "老王那个要不要交照片", "另一个呢" or "第二个人批下来以后呢" mean that person's
procedure. People are kept as "label=procedure id" strings, in the order they were named,
with their certificate's expiry when one was given ("小李=renewal@2027-01-15"), so that
"小李现在能报吗" answers from 小李's date and "他们几个谁要一寸照" answers for each of them.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from bot.status import SURNAMES

_SURNAME = "[" + "".join(sorted(SURNAMES)) + "]"
# 老王 / 小陈 / 张工 / 同事A / A / 一个同事 / 另一个同事: how a colleague is named in passing
LABEL = re.compile(rf"(?<![a-z])([a-z])(?![a-z])|([老小]{_SURNAME})|((?:欧阳|司马|诸葛|上官|东方|皇甫|慕容|司徒|夏侯|公孙|令狐|{_SURNAME})工)(?![作程资厂地具人会期钱种龄商])|"
                   r"(另一个|另外一个|一个)(?:同事|员工|人)|(阿[\u4e00-\u9fff])(?<!阿姨)(?<!阿公)(?<!阿婆)")
# 张伟刚考出来 / 陈刚是从别的公司跳槽过来的 / 帮两个同事问：周婷的证书弄丢了: a full name opening a clause
FULL_NAME = re.compile(rf"(?:^|[,，;；:：、。!！?？\s]|同事|员工|还有|另外|帮|给|替|的是)({_SURNAME}[\u4e00-\u9fff]{{1,2}}?)"
                       r"(?=的|是|要|想|刚|那|呢|去|也|现在|已经|今年|明年|去年|需要|打算|准备|从|本来|其实|不是|[,，;；:：?？]|$|"
                       r"(?:证|离职|离开|考试|考过|考完|调|丢|跳槽|转|快|换|改名|身份证|户口|还|在|和|跟))")
CLAUSE = re.compile(r"[,，;；。?？!！、]")  # 老刘离职注销、小周初始注册、小谢增加专业: one colleague a clause
ORDINAL = re.compile(r"第([一二两1-2])(?:个|位)(?:人|同事|员工)?")
OTHER = re.compile(r"另一个|另外一个|另一位|另外那个")
FIRST_ONLY = re.compile(r"先(?:说|问|讲|看|答)(?:一下)?(.{1,8}?)(?:的|那个|[,，。?？]|$)")
ORDINALS = {"一": 0, "1": 0, "二": 1, "两": 1, "2": 1}
EXPIRY_TALK = ("到期", "过期", "有效期", "届满")
# 他们几个 / 哪几个 / 哪几位 / 这三个都 / 每个人 / 各自 / 谁现在能报: every colleague named
ALL_OF_THEM = re.compile(r"他们|她们|他俩|她俩|两人|俩人|哪几|哪些人|哪个人|哪位|几个人|[这那两三四五几]个(人)?都|[这那][两三四五几]个|[两三四五几]个(人|同事)?(的|用|分别|各|里)|每个人|每个|各自|分别|大家|谁")


def _label(match: re.Match) -> str:
    label = next(g for g in match.groups() if g)
    return {"一个": "1", "另一个": "2", "另外一个": "2"}.get(label, label.upper())


def _full_names(text: str) -> List[Tuple[int, str]]:
    """(position, name) of each full name opening a clause (张伟 / 陈刚), not a word (高新区)."""
    from bot.status import NAME_STOPS, _looks_like_name
    return [(m.start(1), m.group(1)) for m in FULL_NAME.finditer(text)
            if _looks_like_name(m.group(1)) and not NAME_STOPS.search(m.group(1))]


def _found_labels(text: str) -> List[str]:
    """Every colleague label in a text, in the order said: 老王 / 小陈 / 张工 / A / 一个同事, and full names."""
    found = [(m.start(), _label(m)) for m in LABEL.finditer(text)] + _full_names(text)
    return [label for _, label in sorted(found)]


def _labels(clause: str) -> List[str]:
    """The colleagues a clause names, each once; "另一个同事小李" is one colleague, 小李: a name
    beats the generic 一个同事 / 另一个同事 said with it."""
    labels = list(dict.fromkeys(_found_labels(clause)))
    names = [x for x in labels if x not in ("1", "2")]
    return names or labels


def _segments(clause: str) -> List[str]:
    """A clause that names several colleagues, cut where each is named (老王证书到期要延续小李刚考出来要初始注册,
    typed without punctuation)."""
    starts = sorted({m.start() for m in LABEL.finditer(clause)} | {pos for pos, _ in _full_names(clause)})
    if len(starts) < 2:
        return [clause]
    cuts = [0, *starts[1:], len(clause)]
    return [clause[a:b] for a, b in zip(cuts, cuts[1:]) if clause[a:b].strip()]


def introduced(text: str, procedures_in) -> List[Tuple[str, str]]:
    """(label, procedure id) for each clause that names one colleague and one procedure; in a
    message about several procedures, the others too, unnamed ("#" + id: 还有个员工离职要注销)."""
    found = []
    clauses = [part for c in CLAUSE.split(text) if c.strip() for part in _segments(c)]
    several = len(procedures_in(text)) > 1
    waiting = None  # 张伟刚考出来，第一次注册: the name in one clause, the procedure in the next
    seen: List[str] = []  # 先说郑丽注销要什么: a name said earlier in the message names its clause too
    for clause in clauses:
        labels = _labels(clause) or [x for x in seen if len(x) >= 2 and x in clause][:1]
        seen += [x for x in labels if x not in seen]
        named = procedures_in(clause)
        if len(labels) == 1 and len(named) == 1:
            found.append((labels[0], named[0]))
        elif not labels and len(named) == 1 and waiting:
            found.append((waiting, named[0]))
        elif several and len(named) == 1:
            found.append(("#" + named[0], named[0]))
        waiting = labels[0] if len(labels) == 1 and not named else None if labels or named else waiting
    return found


def labels_in(text: str) -> List[str]:
    """The colleagues named in a text, each once."""
    return list(dict.fromkeys(_found_labels(text)))


def parse(entry: str) -> Tuple[str, str, str]:
    """"小李=renewal@2027-01-15" → (label, procedure id, expiry or "")."""
    label, _, rest = entry.partition("=")
    pid, _, expiry = rest.partition("@")
    return label, pid, expiry


def procedures_of(people: Sequence[str]) -> List[str]:
    """Every procedure named for someone in this conversation."""
    return [parse(entry)[1] for entry in people]


def named(people: Sequence[str]) -> List[Tuple[str, str, str]]:
    """The colleagues named by a label (not the unnamed "#…" procedures), in order."""
    return [parse(entry) for entry in people if not entry.startswith("#")]


def everyone(people: Sequence[str]) -> List[Tuple[str, str, str]]:
    """Every procedure in play: the colleagues by label, then the unnamed ones (公司改名) with an empty label."""
    return named(people) + [("", pid, expiry) for label, pid, expiry in map(parse, people) if label.startswith("#")]


def expiries_in(text: str, expiry_in) -> Dict[str, str]:
    """Each colleague's expiry date, from the clause that names them alone (小李的证2027年1月15日到期，
    老周2027年5月20日): `expiry_in(clause)` reads a clause's date (as an ISO string)."""
    dates: Dict[str, str] = {}
    about_expiry = any(w in text for w in EXPIRY_TALK)
    for clause in (part for c in CLAUSE.split(text) if c.strip() for part in _segments(c)):
        labels = _labels(clause)
        if len(labels) == 1 and labels[0] not in ("1", "2"):
            found = expiry_in(clause if any(w in clause for w in EXPIRY_TALK) or not about_expiry else clause + "到期")
            if found:
                dates[labels[0]] = found
    return dates


def merged(people: Sequence[str], found: Sequence[Tuple[str, str]], dates: Optional[Dict[str, str]] = None) -> List[str]:
    """The people known so far, with those just named added or updated (a date said before is
    kept unless a new one is given)."""
    known = {label: [pid, expiry] for label, pid, expiry in map(parse, people)}
    for label, pid in found:
        known[label] = [pid, known.get(label, ["", ""])[1]]
    for label, expiry in (dates or {}).items():
        known.setdefault(label, ["renewal", ""])[1] = expiry
    return [f"{label}={pid}" + (f"@{expiry}" if expiry else "") for label, (pid, expiry) in known.items()]


def person_asked(text: str, people: Sequence[str], current: Optional[str]) -> Optional[Tuple[str, str, str]]:
    """The colleague this message is about, if it names one: (label, procedure id, expiry)."""
    known = named(people)
    if not known:
        return None
    m = ORDINAL.search(text)
    if m and ORDINALS[m.group(1)] < len(known):
        return known[ORDINALS[m.group(1)]]
    for label in _found_labels(text):
        for person in known:
            if label == person[0] and label not in ("1", "2"):
                return person
    for person in known:  # 那周婷呢 / 吴强改名的变更: a name said before, wherever it stands now
        if len(person[0]) >= 2 and person[0] in text:
            return person
    if OTHER.search(text):
        others = [person for person in known if person[1] != current]
        return others[0] if len(others) == 1 else None
    return None


def asked_about(text: str, people: Sequence[str], current: Optional[str]) -> Optional[str]:
    """The procedure of the colleague this message is about, if it names one."""
    person = person_asked(text, people, current)
    return person[1] if person else None


def about_all(text: str, people: Sequence[str]) -> bool:
    """他们几个谁要一寸照 / 哪几个要解聘证明 / 这三个都要去窗口吗: a question about every colleague named."""
    mentioned = any(len(label) >= 2 and label in text for label, _, _ in named(people))
    return len(named(people)) > 1 and not LABEL.search(text) and not mentioned and bool(ALL_OF_THEM.search(text))


def first_only(text: str, found: Sequence[Tuple[str, str]], procedures_in) -> Optional[str]:
    """先说老王的要带什么 / 先说加专业的: the one procedure to answer first."""
    m = FIRST_ONLY.search(text)
    if not m:
        return None
    named = procedures_in(m.group(1))
    if len(named) == 1:
        return named[0]
    labels = {label: pid for label, pid in found}
    picked = [labels[x] for x in _found_labels(m.group(1)) if x in labels]
    return picked[0] if len(picked) == 1 else None
