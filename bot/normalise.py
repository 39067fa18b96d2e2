"""Clean up what people type before anything tries to understand it.

Traditional characters become simplified, full-width letters and digits half-width,
stray spaces and repeated punctuation go, a few colloquial words become standard
ones, and near-miss procedure names (初使注册, 延续住册) are corrected with rapidfuzz.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

import opencc
from rapidfuzz.distance import Levenshtein

from bot import knowledge
from bot.status import SURNAMES
from bot.terms import find_terms

CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}])\s+|\s+(?=[{CJK}])")
_SPACES = re.compile(r"\s+")
_CJK_ONLY = re.compile(rf"[{CJK}]+")
_CIRCLED = re.compile("[\u2460-\u2469]")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")  # 😂 ends no question
_REPEATED_PUNCT = re.compile(r"([!?,.;:~。，！？、；：…～\-])\1+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\u061c]")
_COLLOQUIAL = (("啥", "什么"), ("咋", "怎么"), ("哪些个", "哪些"))
# pinyin (or an English word) typed in the middle of Chinese when the input method was off
# (公司gai名了 zhengshu咋办);
# replaced only next to a Chinese character, so English words are left alone
_PINYIN = {"zhengshu": "证书", "zhuce": "注册", "cailiao": "材料", "yanxu": "延续", "zhuxiao": "注销",
           "buban": "补办", "dianhua": "电话", "zhaopian": "照片", "jiepin": "解聘", "gaiming": "改名", "gai": "改",
           # English words typed among Chinese (我们company改name了，监理registration要怎么update)
           "company": "公司", "name": "名", "registration": "注册", "certificate": "证书", "update": "更新", "lock": "锁",
           "initial": "初始", "cancel": "注销", "renew": "延续", "materials": "材料", "material": "材料", "steps": "流程",
           "step": "流程", "upload": "上传", "cert": "证书", "social security": "社保", "original": "原件", "copy": "复印件",
           "approve": "批", "expire": "到期", "expires": "到期", "renewal": "延续注册", "half year": "半年",
           "status": "进度", "transfer": "转注册", "photo": "照片", "fee": "费用", "fees": "费用",
           "after approval": "批下来以后", "approval": "审核通过", "approved": "批下来", "add": "增加", "procedure": "流程",
           "process": "流程", "documents": "材料", "document": "材料", "next step": "下一步", "social insurance": "社保",
           "pick up": "领取", "collect": "领取", "withdraw": "撤回", "submit": "提交", "application form": "申请表",
           "newspaper": "报纸", "specialty": "专业", "major": "专业", "driver license": "驾驶证", "driving license": "驾驶证",
           "driver's license": "驾驶证", "id card": "身份证", "lost": "丢了", "my": "我的",
           "what should i bring to": "要带什么去", "what should i bring": "要带什么", "what do i need": "需要什么"}
_PINYIN_NEXT_TO_CJK = re.compile(
    r"(?<=[\u4e00-\u9fff])\s?(" + "|".join(sorted(_PINYIN, key=len, reverse=True)) + r")(?![a-z])"
    r"|(?<![a-z])(" + "|".join(sorted(_PINYIN, key=len, reverse=True)) + r")\s?(?=[\u4e00-\u9fff])")
_NAME_GIVEN = re.compile(r"(?<![a-z])name\s*(?:is|:|：)?\s*(?=[\u4e00-\u9fff]{2,4}(?:[\s,，.。;；]|$))")
MAX_LENGTH = 1000

_converter = opencc.OpenCC("t2s")


class Normaliser:
    """Normalises text.

    `terms` are the names whose near misses get corrected; `known_words` (the terms
    themselves and every other word the knowledge knows, such as 注册证书) are never
    rewritten, so a correct word is not "corrected" into a similar one.
    """

    def __init__(self, terms: Iterable[str], known_words: Iterable[str] = (), names: Iterable[str] = (),
                 slips: Optional[Dict[str, str]] = None):
        terms = list(dict.fromkeys(terms))  # names come first, so a tie goes to the name
        self.terms: List[str] = sorted((t for t in terms if len(t) >= 3), key=len, reverse=True)
        self.known_words: List[str] = sorted({w for w in (*terms, *known_words) if len(w) >= 2}, key=len, reverse=True)
        self._names = set(names) | set(terms)
        self._known = set(self.known_words)
        self.slips = dict(slips or {})
        self._slips = re.compile("|".join(map(re.escape, sorted(self.slips, key=len, reverse=True)))) if self.slips else None

    def normalise(self, text: str) -> str:
        if not text:
            return ""
        if text.startswith("/"):  # a Rasa intent payload such as /greet: leave it alone
            return text.strip()
        text = _CONTROL.sub("", text[:MAX_LENGTH])  # the gateway's limit, inside Rasa's pipeline too
        text = _CIRCLED.sub(lambda m: f";{ord(m.group()) - 0x245F}.", text)  # ①②: keep a numbered list a list
        text = _EMOJI.sub("", text).strip() or text  # 👍 alone stays: something must be left to read
        text = unicodedata.normalize("NFKC", text)
        text = _converter.convert(text)
        text = text.lower()
        text = _SPACE_BETWEEN_CJK.sub("", text)
        text = _SPACES.sub(" ", text).strip()
        text = _REPEATED_PUNCT.sub(r"\1", text)
        for old, new in _COLLOQUIAL:
            text = text.replace(old, new)
        if self._slips:  # 住册 / 省停 / 窗扣: slips too short for the fuzzy correction (language.yml)
            text = self._slips.sub(lambda m: self.slips[m.group()], text)
        for _ in range(3):  # initial registration的step: each word replaced makes the next one touch Chinese
            replaced = _NAME_GIVEN.sub("姓名", text)  # name 李华 / name: 李华 gives a name (改name了 renames)
            replaced = _PINYIN_NEXT_TO_CJK.sub(lambda m: _PINYIN[m.group(1) or m.group(2)], replaced)
            if replaced == text:
                break
            text = replaced
        return self.correct_terms(text)

    def correct_terms(self, text: str) -> str:
        """Replace near misses of known terms (one wrong, missing or extra character)."""
        known = self._exact_spans(text)
        fixes: List[Tuple[int, int, str]] = []
        chars = set(text)
        for term in self.terms:
            if term[0] not in chars and term[-1] not in chars:
                continue
            # a correct word elsewhere blocks windows over it, unless it is part of this
            # term (延续 inside 延续住册 is what we are correcting)
            blocked = [(a, b) for a, b, w in known if w not in term] + [(a, b) for a, b, _ in fixes]
            best = None
            # a wrong character, or (long terms) a missing one inside the term
            for size in (len(term), len(term) - 1)[: 2 if len(term) >= 5 else 1]:
                for start in self._starts(text, term, size):
                    end = start + size
                    if any(start < b and a < end for a, b in blocked):
                        continue
                    window = text[start:end]
                    if not _CJK_ONLY.fullmatch(window) or not _plausible_typo(window, term):
                        continue
                    if self._word_plus_one(window, term):
                        continue
                    distance = Levenshtein.distance(window, term)
                    if 0 < distance <= _max_edits(term) and (best is None or distance < best[0]):
                        best = (distance, start, end)
                if best:
                    break
            if best:
                fixes.append((best[1], best[2], term))
        for start, end, term in sorted(fixes, reverse=True):
            text = text[:start] + term + text[end:]
        return text

    def _word_plus_one(self, window: str, term: str) -> bool:
        """身份证后 is the name 身份证 followed by another word, not a misspelt 身份证件
        (but 监理琐 is a misspelt 监理锁: 监理 alone names nothing)."""
        if len(window) != len(term):
            return False
        if window[0] != term[0] and self._whole_word(window[1:]):
            return True
        return window[-1] != term[-1] and self._whole_word(window[:-1])

    def _whole_word(self, text: str) -> bool:
        """A name, or a known word long enough to stand on its own (监理工程师, not 监理)."""
        return text in self._names or (len(text) >= 3 and text in self._known)

    @staticmethod
    def _starts(text: str, term: str, size: int):
        """Window starts worth scoring: the window begins or ends like the term
        (a three-character term must begin like it)."""
        last = len(text) - size
        for i, ch in enumerate(text):
            if ch == term[0] and i <= last:
                yield i
            elif len(term) > 3 and ch == term[-1] and 0 <= i - size + 1 <= last:
                yield i - size + 1

    def _exact_spans(self, text: str) -> List[Tuple[int, int, str]]:
        """Where known words occur, longest first, not overlapping."""
        return find_terms(text, ((w, w) for w in self.known_words))


FUNCTION_CHARS = set("吗呢吧啊呀了的是么和与或在有要就也都还很把被给让这那你我们个什哪怎谁几多少能可会想请问不没未别到过完着上下出起")


ACTION_CHARS = set("拿领取办交带换补改转加增送递寄报填打印开查看问找去来做")


def _plausible_typo(window: str, term: str) -> bool:
    """A typo changes a content character inside a term (初使 for 初始, 初是 for 初始; in a
    three-character term only the middle one), never its
    first one (王小明的证书 is not 王小旧的证书, 拿到新证书 is not 拿换新证书: the window then
    reaches into the word before), never adds a function word at the end (一寸照吗 is not
    一寸照片), never swaps one action for another (拿新证书 is not 换新证书), and a missing
    character is not the first or last."""
    if len(window) == len(term):
        changed = [(i, w, t) for i, (w, t) in enumerate(zip(window, term)) if w != t]
        inner = 0 < changed[0][0] < len(term) - 1 if changed else False
        if len(term) == 3 and not (inner and len(changed) == 1):
            return False  # 介少信 is 介绍信, but 申请人 is not a misspelt 申请表
        return window[0] == term[0] and all(
            (w not in FUNCTION_CHARS or (inner and len(changed) == 1)) and not (w in ACTION_CHARS and t in ACTION_CHARS)
            for _, w, t in changed)
    return window[0] == term[0] and window[-1] == term[-1]


def _max_edits(term: str) -> int:
    """One wrong or missing character; two in long names such as 身份证姓名等其他变更."""
    return 1 if len(term) <= 8 else 2


def normalise_words(text: str) -> str:
    """Each space-separated piece normalised on its own, the spaces kept: where a name ends
    (ZJ2026000103 赵敏 为啥被退回来了) is worth more to a case lookup than tidy text."""
    return " ".join(normalise(piece) for piece in (text or "")[: MAX_LENGTH * 4].split())


@lru_cache(maxsize=None)
def default() -> Normaliser:
    kb = knowledge.default()
    colleagues = [f"{prefix}{surname}" for prefix in "老小" for surname in SURNAMES]  # 老王证书 is not 老的证书
    return Normaliser(knowledge.key_terms(kb), [*knowledge.vocabulary(kb), *colleagues], knowledge.names(kb),
                      kb.language.slips)


def normalise(text: str) -> str:
    return default().normalise(text)
