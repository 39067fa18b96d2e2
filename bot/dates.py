"""Dates people type (2027年1月15日, 2027-01-15, 1月15号) and the renewal window.

Today comes from the clock; HELPDESK_TODAY=YYYY-MM-DD fixes it for tests and demos.
"""
from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import List, Optional

_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
_FULL_DATE = re.compile(r"(?<!\d)(20\d{2}|\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?")
_COMPACT_DATE = re.compile(r"(?<![\da-z])(20\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH_DAY = re.compile(r"(?<![\d年.\-/])(\d{1,2})\s*月\s*(\d{1,2})(?:\s*[日号]|(?=\s*(?:到期|过期|届满|截止|为止|就到)))")
_YEAR_MONTH = re.compile(r"(?<!\d)(20\d{2}|\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")  # 2027年5月 / 27年2月底
_EARLY = re.compile(r"(提前|提早|早)\s*(\d+|[一二两三四五六七八九十半]+)\s*(个)?\s*(月|年|天|周|星期)")
_EXPIRY_WORDS = ("到期", "过期", "有效期", "届满", "延续", "续期", "截止", "延注", "续注", "证到", "证书到", "有效至", "expir",
                 "valid until", "renew")
_EN_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_EN_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+{_EN_MONTH},?\s+(20\d{{2}})")  # 15 march 2027
_EN_MDY = re.compile(rf"{_EN_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(20\d{{2}})")  # march 15, 2027
_DATE_LIKE = re.compile(r"\d{1,4}\s*[年./\-]\s*\d{1,2}|[一二三四五六七八九十]+月|\d{1,2}月")
_NEXT_YEAR_WORDS = re.compile(r"过了年|过完年|年后的?")  # 过了年2月份到期 → 明年2月
_NEW_YEAR = re.compile(r"元旦(?:过后|之后|以后|后)?\s*((\d+|[一二两三四五六七八九十半]+)\s*个?\s*(天|周|星期|礼拜|月))?[^,，。]{0,6}(到期|过期|届满)")
_MONTHS_AND_DAYS = re.compile(r"(还有|还剩|再过)\s*(\d+|[一二两三四五六七八九十]+)\s*个月\s*(?:零|又)\s*(\d+|[一二两三四五六七八九十]+)\s*天")
_MONTH_ONLY = re.compile(r"(?<![\d年/.\-])(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?(?![\d一二三四五六七八九十]|\s*\d|[日号初中])")
_PAST = re.compile(r"(已经|已|早就|就)[^,，。]{0,4}(到期|过期)|(到期|过期)了")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_N = r"(\d+|[一二两三四五六七八九十百零半]+)"
_IN_TIME = re.compile(rf"(还有|再过|还剩|不到|只有)\s*{_N}\s*(?:来|多)?\s*(个多|多个|个)?\s*(月|天|年|周|星期|礼拜)[^,，。]{{0,6}}(到期|过期|届满)")
_LEFT = re.compile(rf"(到期|过期|届满).{{0,4}}(还有|还剩|只剩|只有|不到)\s*{_N}\s*(?:来|多)?\s*(个半|个多|个)?\s*(月|天|年|周|星期|礼拜)")
_THIS_MONTH_DAY = re.compile(r"(这个月|本月|下个月|下月|上个月|上月)\s*(\d{1,2})\s*[号日]")
_AFTER_TIME = re.compile(rf"{_N}\s*(个)?\s*(月|天|年|周|星期|礼拜)\s*(后|以后|之后)[^,，。]{{0,4}}(到期|过期|届满)")
_AGO = re.compile(rf"(过期|到期)(了)?\s*{_N}\s*(个多|多个|个)?\s*(月|天|年|周|星期|礼拜)")
_NEXT_MONTH = re.compile(r"(下个月|下月)[^,，。]{0,6}(到期|过期|届满)")
_THIS_OR_NEXT_YEAR = re.compile(r"(今年|明年|后年)\s*(\d{1,2}|[一二三四五六七八九十]+)\s*月(?:\s*(\d{1,2}|[一二三四五六七八九十]+)\s*[日号]?)?")


# A date the user plans to hand in on (打算2027年1月25日再去交 / 拖到2027年2月底才去交): not the expiry.
_PLAN_DATE = (r"((?:20\d{2}|\d{2})\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号]?|底|末|初|上旬|中旬|下旬)?"
              r"|(?:明年|今年)?\d{1,2}\s*月份?\s*(?:\d{1,2}\s*[日号]?|底|末|初|上旬|中旬|下旬)?)")
_PLANNED = re.compile(r"(拖到|等到|打算|准备|计划|想|定在|到)?\s*" + _PLAN_DATE +
                      r"\s*(?:左右|前后)?\s*(?:的时候)?\s*(再|才)?\s*(?:去|来)?\s*(?:交|报|申报|提交|递交|办|送|上报)")


class BadDate(ValueError):
    pass


OFFICE_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")  # China keeps no summer time: a fixed offset is exact


def today(clock: Optional[datetime] = None) -> date:
    """The help desk's today: HELPDESK_TODAY (YYYY-MM-DD) if set, else the office's date in
    Beijing time (the server's UTC date is yesterday from midnight to 8 a.m. there)."""
    fixed = os.environ.get("HELPDESK_TODAY", "").strip()
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise BadDate(f"HELPDESK_TODAY={fixed!r} is not a YYYY-MM-DD date") from None
    return (clock or datetime.now(timezone.utc)).astimezone(OFFICE_TZ).date()


@dataclass(frozen=True)
class ExpiryDate:
    """A certificate's expiry date as the user gave it.

    precision: "day" (2027年3月15日), "month" (2027年3月: the month's last day is used)
    or "approx" (还有两个月到期: counted from today)."""

    value: date
    precision: str = "day"

    def describe(self) -> str:
        if self.precision == "month":  # 下个月月底: the month, and the last day that is counted
            return f"{self.value.year}年{self.value.month}月底（{self.value.month}月{self.value.day}日）"
        if self.precision == "approx":
            return f"约{chinese_date(self.value)}"
        if self.precision == "year":
            return f"{self.value.year}年"
        return chinese_date(self.value)


_CN_DIGITS = {"〇": "0", "零": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9"}
_CN_DATE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})[日号])?")
_DAY_WORDS = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2}
_YEAR_ONLY = re.compile(r"(?<!\d)(20\d{2})\s*年(?!\s*[\d一二三四五六七八九十]+\s*月)")


def _arabic(text: str) -> str:
    """二〇二七年一月二十日 → 2027年1月20日."""
    def number(word: str) -> str:
        value = _number(word)
        return str(int(value)) if value else word

    def repl(m) -> str:
        year = "".join(_CN_DIGITS[c] for c in m.group(1))
        day = f"{number(m.group(3))}日" if m.group(3) else ""
        return f"{year}年{number(m.group(2))}月{day}"
    return _CN_DATE.sub(repl, text)


def find_expiry(text: str, now: Optional[date] = None) -> Optional[ExpiryDate]:
    """The expiry date in a message that talks about expiry, or None. Dates in other roles (today
    as the user states it, a birth year, the year they qualified) are not read as the expiry."""
    if not any(w in text for w in _EXPIRY_WORDS):
        return None
    now = now or today()
    text = without_other_dates(_english_dates(_arabic(_month_end_named(_NEXT_YEAR_WORDS.sub("明年", text), now))))
    found = (_new_year_relative(text, now) or _months_and_days(text, now) or _day_word_expiry(text, now)
             or _absolute_expiry(text, now) or _relative_expiry(text, now) or _loose_expiry(text, now))
    return found


def _month_end_named(text: str, now: date) -> str:
    """上个月底 / 这个月底 / 下个月底 as the date they name (the month's last day)."""
    def end(shift: int) -> str:
        first = months_before(date(now.year, now.month, 1), shift)
        return f"{first.year}年{first.month}月{calendar.monthrange(first.year, first.month)[1]}日"
    for words, shift in ((("上个月月底", "上个月底", "上月底", "上月末"), 1), (("这个月月底", "这个月底", "本月底", "本月末"), 0),
                         (("下个月月底", "下个月底", "下月底", "下月末"), -1)):
        for w in words:
            if w in text:
                return text.replace(w, end(shift))
    return text


def _day_word_expiry(text: str, now: date) -> Optional[ExpiryDate]:
    for word, offset in _DAY_WORDS.items():  # 证书昨天刚到期
        if re.search(word + r".{0,3}(到期|过期|届满)|(到|至)" + word + "(为止|截止|止|结束)", text):  # 有效期到今天为止
            return ExpiryDate(now + timedelta(days=offset))
    return None


def _absolute_expiry(text: str, now: date) -> Optional[ExpiryDate]:
    """2027年3月15日 / 20270315 / 3月15日 (the next one) / 2027年5月 (the month's end)."""
    for pattern in (_FULL_DATE, _COMPACT_DATE):
        for m in pattern.finditer(text):
            year, month, day = (int(g) for g in m.groups())
            parsed = _safe_date(year + 2000 if year < 100 else year, month, day)
            if parsed:
                return ExpiryDate(parsed)
    m = _MONTH_DAY.search(text)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        past = bool(_PAST.search(text))  # 11月30号就过期了: the last one, not the next
        for year in ((now.year, now.year - 1) if past else (now.year, now.year + 1)):
            parsed = _safe_date(year, month, day)
            if parsed and (parsed <= now if past else parsed >= now):
                return ExpiryDate(parsed)
    m = _YEAR_MONTH.search(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        year += 2000 if year < 100 else 0
        if 1 <= month <= 12:
            return ExpiryDate(date(year, month, calendar.monthrange(year, month)[1]), precision="month")
    return None


def _loose_expiry(text: str, now: date) -> Optional[ExpiryDate]:
    """十月份就已经到期了 (past) / 3月份到期 (the next one) / 有效期到2029年 (the year's last day)."""
    m = _MONTH_ONLY.search(text)
    if m:
        month = _number(m.group(1))
        if month and 1 <= month <= 12:
            month = int(month)
            past = bool(_PAST.search(text))
            year = now.year if (month < now.month if past else month >= now.month) else now.year + (-1 if past else 1)
            return ExpiryDate(date(year, month, calendar.monthrange(year, month)[1]), precision="month")
    m = _YEAR_ONLY.search(text)
    if m:
        return ExpiryDate(date(int(m.group(1)), 12, 31), precision="year")
    return None


# A date the user states as today (今天是12月4号 / 今天2026年12月4日): today, not an expiry.
_TODAY_SAID = re.compile(r"(?:今天|今日|现在|目前|当前)(?:是|为|已经是|已是|已经|都|都已经)?\s*[(（:：]?\s*"
                         r"((?:20\d{2}\s*[年\-/.]\s*)?\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*[日号]?)")
# A date in the story, not the certificate's (1968年出生 / 2015年考的证 / 2023年转过来的).
_STORY_DATE = re.compile(r"((?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?)\s*"
                         r"(?=出生|生人|生的|年生|的时候|考|取得|拿到|拿的|入职|毕业|参加工作|转过来|调过来|来的|进的|首次注册|初始注册|注册的|开始)")


def stated_today(text: str, now: Optional[date] = None) -> Optional[date]:
    """The date the user gives as today, if any (今天是2026年12月4日 / 今天12月4号)."""
    m = _TODAY_SAID.search(_arabic(text))
    if not m:
        return None
    now = now or today()
    said = m.group(1)
    full = _FULL_DATE.search(said)
    if full:
        year, month, day = (int(g) for g in full.groups())
        return _safe_date(year + 2000 if year < 100 else year, month, day)
    parts = re.findall(r"\d{1,2}", said)
    if len(parts) >= 2:
        return _safe_date(now.year, int(parts[0]), int(parts[1]))
    return None


def without_other_dates(text: str) -> str:
    """The text with the dates that are not an expiry blanked out: today as stated, story years,
    the day the user plans to hand in on."""
    text = _TODAY_SAID.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + " " * len(m.group(1)), text)
    text = _planned_dates_blanked(text)
    return _STORY_DATE.sub(lambda m: " " * len(m.group(0)), text)


def _planned_dates_blanked(text: str) -> str:
    for m in reversed([m for m in _PLANNED.finditer(text) if m.group(1) or m.group(3)]):
        text = text[:m.start(2)] + " " * (m.end(2) - m.start(2)) + text[m.end(2):]
    return text


def find_planned(text: str, now: Optional[date] = None) -> Optional[date]:
    """The day the user means to hand the renewal in on, said with 打算 / 拖到 / 再 / 才
    (打算2027年1月25日再去交 → 2027-01-25; 拖到2027年2月底才去交 → 2027-02-28); a month's end,
    start or middle is its last, first or 15th day; a date without a year is the next one."""
    now = now or today()
    for m in _PLANNED.finditer(_arabic(_NEXT_YEAR_WORDS.sub("明年", text))):
        if not (m.group(1) or m.group(3)):
            continue
        said = m.group(2)
        numbers = [int(x) for x in re.findall(r"\d+", said)]
        if said.startswith(("明年", "今年")):  # 过完年2月份再交 (过完年 is 明年 by now)
            year = now.year + (1 if said.startswith("明年") else 0)
            month, day = numbers[0], numbers[1] if len(numbers) > 1 else None
        elif "年" in said:
            year, month = numbers[0] + (2000 if numbers[0] < 100 else 0), numbers[1]
            day = numbers[2] if len(numbers) > 2 else None
        else:
            year, month, day = None, numbers[0], numbers[1] if len(numbers) > 1 else None
        if not 1 <= month <= 12:
            continue
        for y in ([year] if year else [now.year, now.year + 1]):
            last = calendar.monthrange(y, month)[1]
            d = day or (last if any(w in said for w in ("底", "末", "下旬")) else 15 if "中旬" in said else 1)
            found = _safe_date(y, month, min(d, last))
            if found and (year or found >= now):
                return found
    return None


def find_expiries(text: str, now: Optional[date] = None) -> List[ExpiryDate]:
    """Every full date in a message about expiry, when it names more than one (张工的到2027年1月10日，
    陈工的到2027年5月1日); otherwise the one expiry date, if any."""
    if any(w in text for w in _EXPIRY_WORDS):
        days = []
        for m in _FULL_DATE.finditer(without_other_dates(_arabic(text))):
            year, month, day = (int(g) for g in m.groups())
            parsed = _safe_date(year + 2000 if year < 100 else year, month, day)
            if parsed and parsed not in days:
                days.append(parsed)
        if len(days) > 1:
            return [ExpiryDate(d) for d in days]
    found = find_expiry(text, now)
    return [found] if found else []


def bare_date(text: str, now: Optional[date] = None) -> Optional[ExpiryDate]:
    """A date said on its own (27年2月28), read as an expiry when renewal is being discussed."""
    return find_expiry(text + " 到期", now) if _DATE_LIKE.search(text) else None


def _new_year_relative(text: str, now: date) -> Optional[ExpiryDate]:
    """元旦过后半个月左右到期: counted from next 1 January."""
    m = _NEW_YEAR.search(text)
    if not m:
        return None
    new_year = date(now.year + 1, 1, 1)
    days = 0
    if m.group(1):
        amount = _number(m.group(2)) or 0
        days = int(amount * 30) if m.group(3) == "月" else int(amount * 7) if m.group(3) in ("周", "星期", "礼拜") else int(amount)
    return ExpiryDate(new_year + timedelta(days=days), precision="approx")


def _months_and_days(text: str, now: date) -> Optional[ExpiryDate]:
    """还有三个月零两天到期."""
    m = _MONTHS_AND_DAYS.search(text)
    if not m:
        return None
    months, days = _number(m.group(2)), _number(m.group(3))
    if not months or days is None:
        return None
    return ExpiryDate(months_before(now, -int(months)) + timedelta(days=int(days)), precision="approx")


def _english_dates(text: str) -> str:
    """15 March 2027 / March 15, 2027 → 2027年3月15日 (the message is lower-cased)."""
    text = _EN_DMY.sub(lambda m: f"{m.group(3)}年{_EN_MONTHS.index(m.group(2)) + 1}月{m.group(1)}日", text)
    return _EN_MDY.sub(lambda m: f"{m.group(3)}年{_EN_MONTHS.index(m.group(1)) + 1}月{m.group(2)}日", text)


def _relative_expiry(text: str, now: date) -> Optional[ExpiryDate]:
    """还有两个月到期 / 半年后到期 / 下个月到期 / 明年3月到期: an approximate date."""
    return _calendar_relative(text, now) or _span_relative(text, now)


def _calendar_relative(text: str, now: date) -> Optional[ExpiryDate]:
    """明年3月 / 明年二月二十五 / 这个月30号: a day or month named relative to this one."""
    m = _THIS_OR_NEXT_YEAR.search(text)
    if m:
        year = now.year + {"今年": 0, "明年": 1, "后年": 2}[m.group(1)]
        month = _number(m.group(2))
        if month and 1 <= month <= 12:
            month = int(month)
            day = _number(m.group(3)) if m.group(3) else None  # 明年二月二十五
            if day:
                parsed = _safe_date(year, month, int(day))
                if parsed:
                    return ExpiryDate(parsed)
            return ExpiryDate(date(year, month, calendar.monthrange(year, month)[1]), precision="month")
    m = _THIS_MONTH_DAY.search(text)  # 这个月30号到期
    if m:
        shift = {"这个月": 0, "本月": 0, "上个月": 1, "上月": 1}.get(m.group(1), -1)
        base = months_before(date(now.year, now.month, 1), shift)
        parsed = _safe_date(base.year, base.month, int(m.group(2)))
        if parsed:
            return ExpiryDate(parsed)
    return None


def _span_relative(text: str, now: date) -> Optional[ExpiryDate]:
    """还剩一个半月 / 过期一个多月了 / 下个月到期 / 三个月后到期: counted from today."""
    m = _LEFT.search(text)  # 离到期还剩一个半月
    if m:
        amount = _number(m.group(3))
        if amount is not None:
            amount += 0.5 if m.group(4) == "个半" else 0
            return ExpiryDate(_add(now, amount, m.group(5)), precision="approx")
    m = _AGO.search(text)  # 过期一个多月了: counted back from today
    if m:
        amount = _number(m.group(3))
        if amount is not None:
            return ExpiryDate(_add(now, -amount, m.group(5)), precision="approx")
    if _NEXT_MONTH.search(text):
        nxt = months_before(now, -1)
        return ExpiryDate(date(nxt.year, nxt.month, calendar.monthrange(nxt.year, nxt.month)[1]), precision="month")
    for pattern, unit_group in ((_IN_TIME, 4), (_AFTER_TIME, 3)):
        m = pattern.search(text)
        if m:
            amount = _number(m.group(unit_group - 2 if pattern is _IN_TIME else 1))
            if amount is None:
                continue
            return ExpiryDate(_add(now, amount, m.group(unit_group)), precision="approx")
    return None


def _add(now: date, amount: float, unit: str) -> date:
    if unit in ("天",):
        return now + timedelta(days=amount)
    if unit in ("周", "星期", "礼拜"):
        return now + timedelta(weeks=amount)
    months = amount * (12 if unit == "年" else 1)
    whole = int(months)
    shifted = months_before(now, -whole)
    return shifted + timedelta(days=round((months - whole) * 30))


def find_months_early(text: str) -> Optional[float]:
    """How many months early the user wants to apply (提前两个月 → 2, 提前半年 → 6)."""
    m = _EARLY.search(text)
    if not m:
        return None
    amount = _number(m.group(2))
    if amount is None:
        return None
    unit = m.group(4)
    return {"月": amount, "年": amount * 12, "天": amount / 30, "周": amount * 7 / 30, "星期": amount * 7 / 30, "礼拜": amount * 7 / 30}[unit]


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (5月31日 → 2月28日)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class RenewalWindow:
    expiry: date
    opens: date
    today: date

    @property
    def expired(self) -> bool:
        return self.today > self.expiry

    @property
    def open_now(self) -> bool:
        return self.opens <= self.today <= self.expiry


def renewal_window(expiry: date, months_early: int, now: Optional[date] = None) -> RenewalWindow:
    return RenewalWindow(expiry=expiry, opens=months_before(expiry, months_early), today=now or today())


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _number(word: str) -> Optional[float]:
    if word.isdigit():
        return float(word)
    if "百" in word:  # 一百 / 百来 / 一百二十 / 一百零五
        hundreds, _, rest = word.partition("百")
        base = _NUM.get(hundreds) if hundreds else 1
        spoken_tens = len(rest) == 1 and rest != "十"  # 一百二 is 120; 一百零二 is 102
        tail = _number(rest.lstrip("零")) if rest.lstrip("零") else 0
        if not base or tail is None:
            return None
        return base * 100 + (tail * 10 if spoken_tens else tail)
    if word == "半":
        return 0.5
    if word == "十":
        return 10.0
    if len(word) == 1:
        return _NUM.get(word)
    if len(word) == 2 and word[0] == "十":
        return 10 + _NUM.get(word[1], 0)
    if len(word) == 2 and word[1] == "十":
        return _NUM.get(word[0], 0) * 10
    if len(word) == 3 and word[1] == "十" and word[0] in _NUM and word[2] in _NUM:  # 八十五
        return _NUM[word[0]] * 10 + _NUM[word[2]]
    return None
