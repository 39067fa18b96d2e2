"""The case store: applications loaded by staff, looked up by applicants.

Cases and the history of every stage change live in SQL (SQLite under var/ by default,
`CASES_DB_URL` to change). A CSV import is all or nothing: every row is checked first,
bad rows are reported with their line numbers, and the rows are written in one
transaction. Lookups give nothing away unless the case number and the identity match,
and failed lookups are limited per sender and per case number.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, List, Optional, Sequence, Tuple

import opencc
import sqlalchemy as sa

from bot import dates, db, knowledge

COLUMNS = ["case_no", "name", "id_last4", "company", "procedure", "stage", "updated_at", "note"]
CASE_NO_RE = re.compile(r"^[A-Z]{1,4}\d{6,14}$")
ID_LAST4_RE = re.compile(r"^\d{3}[\dX]$")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
FAILURE_LIMIT = 5  # distinct wrong guesses per sender
CLIENT_LIMIT = 10  # per client (network address), however many sender ids it makes up
NUMBER_LIMIT = 10  # per case number, from anyone: then the number rests, its owner is told why and staff see it
FAILURE_WINDOW = 15 * 60  # seconds

metadata = sa.MetaData()
cases = sa.Table(
    "cases", metadata,
    sa.Column("case_no", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("id_last4", sa.String(4), nullable=False),
    sa.Column("company", sa.String(200), nullable=False, default=""),
    sa.Column("procedure", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.String(10), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
)
history = sa.Table(
    "case_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_no", sa.String(32), sa.ForeignKey("cases.case_no"), nullable=False, index=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.String(10), nullable=False),
    sa.Column("recorded_at", sa.Float, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
)
failures = sa.Table(
    "lookup_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender", sa.String(200), nullable=False, index=True),
    sa.Column("client", sa.String(200), nullable=True, index=True),  # the network address (WeChat: the OpenID)
    sa.Column("case_no", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    # a digest of the (number, identity) tried: the same wrong guess again teaches a prober
    # nothing, so only distinct guesses count towards the limit (NULL in rows of older versions)
    sa.Column("guess", sa.String(32), nullable=True),
)

_t2s = opencc.OpenCC("t2s")


class ImportFailed(ValueError):
    """The CSV was not imported; `problems` are (line number, message) pairs."""

    def __init__(self, problems: List[tuple]):
        self.problems = problems
        super().__init__("\n".join(f"第{line}行：{msg}" if line else msg for line, msg in problems))


@dataclass
class Case:
    case_no: str
    name: str
    id_last4: str
    company: str
    procedure: str
    stage: str
    updated_at: str
    note: str = ""


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    stage_changes: int = 0
    unchanged: int = 0


@dataclass
class Lookup:
    status: str  # "found" | "no_match" | "locked"
    case: Optional[Case] = None
    retry_at: Optional[float] = None  # epoch seconds when a locked lookup may be tried again
    history: List[dict] = field(default_factory=list)


# --- normalisation -------------------------------------------------------------------------


# a case number in a lower-cased message: letters, then 6–14 digits (ZJ2026000101); failing
# that, digits in groups (zj-2026-000101, ZJ 2026 000 101): "ZJ2026000101 1234" is a number and
# the ID's last four, not one long number
_CASE_NO_PLAIN = re.compile(r"(?<![a-z0-9])([a-z]{1,4})\s*[-_]?\s*(\d{6,14})(?!\d)")
# (not dec 31 2026, nor "expires on 2027-01-10": a date's groups of two digits are no case number)
_CASE_NO_GROUPED = re.compile(r"(?<![a-z0-9])([a-z]{1,4})\s*[-_]?\s*(\d{4,}(?:[ \-_]\d{3,}){1,4})(?![\d])")


def case_no_match(text: str) -> Optional[re.Match]:
    """Where a case number stands in a (lower-cased) message, if anywhere."""
    m = _CASE_NO_PLAIN.search(text)
    if m is None:
        m = _CASE_NO_GROUPED.search(text)
        if m and not 6 <= sum(c.isdigit() for c in m.group(2)) <= 14:
            m = None
    return m


def normalise_case_no(text: str) -> str:
    """ＺＪ ２０２６ ０００１０１ / zj2026-000101 → ZJ2026000101."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-_/]", "", text).upper()


def normalise_name(text: str) -> str:
    text = _t2s.convert(unicodedata.normalize("NFKC", text or ""))
    return re.sub(r"[\s·•．.]", "", text)


def normalise_id_last4(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().upper()


# --- the store --------------------------------------------------------------------------------


class CaseStore:
    def __init__(self, url: Optional[str] = None, kb: Optional[knowledge.Knowledge] = None):
        self.url = url or db.url_from_env("CASES_DB_URL", "cases.db")
        self.engine = db.engine(self.url)
        self.kb = kb or knowledge.default()
        metadata.create_all(self.engine)
        db.add_missing_columns(self.engine, metadata)

    # -- import -------------------------------------------------------------------------

    def import_csv(self, data: bytes, source: str = "import") -> ImportSummary:
        rows = parse_csv(data, self.kb)
        return self.upsert(rows, source)

    def upsert(self, rows: Sequence[Case], source: str) -> ImportSummary:
        """Write rows in one transaction: new cases, updates, and a history entry per stage change."""
        summary = ImportSummary()
        now = time.time()
        with self.engine.begin() as conn:
            existing = {}
            numbers = [c.case_no for c in rows]
            for i in range(0, len(numbers), 500):  # IN lists of a sane size
                for r in conn.execute(sa.select(cases).where(cases.c.case_no.in_(numbers[i:i + 500]))):
                    existing[r.case_no] = r
            inserts, updates, changes = [], [], []
            for row in rows:
                values = row.__dict__.copy()
                old = existing.get(row.case_no)
                if old is None:
                    inserts.append(values)
                    changes.append(row)
                elif dict(old._mapping) == values:
                    summary.unchanged += 1
                else:
                    updates.append({**values, "key": row.case_no})
                    if old.stage != row.stage:
                        changes.append(row)
                        summary.stage_changes += 1
            if inserts:
                conn.execute(cases.insert(), inserts)
            if updates:
                conn.execute(cases.update().where(cases.c.case_no == sa.bindparam("key")).values(
                    {c: sa.bindparam(c) for c in COLUMNS if c != "case_no"}), updates)
            if changes:
                conn.execute(history.insert(), [dict(case_no=r.case_no, stage=r.stage, note=r.note, updated_at=r.updated_at,
                                                     recorded_at=now, source=source) for r in changes])
            summary.added, summary.updated = len(inserts), len(updates)
        return summary

    @staticmethod
    def _record(conn, row: Case, now: float, source: str) -> None:
        conn.execute(history.insert().values(case_no=row.case_no, stage=row.stage, note=row.note,
                                             updated_at=row.updated_at, recorded_at=now, source=source))

    # -- staff operations ---------------------------------------------------------------------

    def get(self, case_no: str) -> Optional[Case]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.case_no == normalise_case_no(case_no))).first()
        return Case(**row._mapping) if row else None

    def history_of(self, case_no: str) -> List[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(history).where(history.c.case_no == normalise_case_no(case_no))
                                .order_by(history.c.recorded_at, history.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def list(self, stage: Optional[str] = None, search: Optional[str] = None, limit: int = 100) -> List[Case]:
        query = sa.select(cases).order_by(cases.c.updated_at.desc(), cases.c.case_no).limit(limit)
        if stage:
            query = query.where(cases.c.stage == stage)
        if search:
            like = f"%{search.strip()}%"
            query = query.where(sa.or_(cases.c.case_no.like(f"%{normalise_case_no(search)}%"), cases.c.name.like(like)))
        with self.engine.connect() as conn:
            return [Case(**r._mapping) for r in conn.execute(query)]

    def set_stage(self, case_no: str, stage: str, note: Optional[str] = None, source: str = "cli",
                  on: Optional[date] = None) -> Case:
        if self.kb.stage(stage) is None:
            raise ValueError(f"未知阶段“{stage}”，可选：{'、'.join(s.name for s in self.kb.stages)}")
        case = self.get(case_no)
        if case is None:
            raise KeyError(f"没有申请编号为 {normalise_case_no(case_no)} 的申请")
        case.stage = stage
        case.note = case.note if note is None else note.strip()
        case.updated_at = (on or dates.today()).isoformat()
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(cases.update().where(cases.c.case_no == case.case_no)
                         .values(stage=case.stage, note=case.note, updated_at=case.updated_at))
            self._record(conn, case, now, source)
        return case

    # -- applicant lookups --------------------------------------------------------------------

    def lookup(self, case_no: str, identity: str, sender: str, now: Optional[float] = None,
               client: Optional[str] = None) -> Lookup:
        """Find a case for an applicant. Unknown numbers and wrong identities look the same.
        Distinct wrong guesses are limited per sender, per client (the network address, so new
        sender ids do not reset it) and per number; a number guessed at too often rests for
        FAILURE_WINDOW ("number_locked": its owner is told why, and the console shows it), so
        brute force stays infeasible and nobody is locked out without being told. Repeating the
        same wrong guess (a user retyping a misspelt name) teaches a prober nothing: not counted."""
        now = time.time() if now is None else now
        number = normalise_case_no(case_no)[:64]
        retry_at = self._caller_locked_until(sender, client, now)
        if retry_at:
            return Lookup("locked", retry_at=retry_at)
        retry_at = self._locked_until(failures.c.case_no, number, NUMBER_LIMIT, now) if number else None
        if retry_at:
            return Lookup("number_locked", retry_at=retry_at)
        case = self.get(number) if number else None
        if case is None or not identity_matches(case, identity):
            with self.engine.begin() as conn:
                conn.execute(failures.insert().values(sender=sender[:200], client=(client or sender)[:200], case_no=number,
                                                      at=now, guess=guess_digest(number, identity)))
            return Lookup("no_match", retry_at=self._caller_locked_until(sender, client, now))
        return Lookup("found", case=case, history=self.history_of(number))

    def sender_locked_until(self, sender: str, now: Optional[float] = None, client: Optional[str] = None) -> Optional[float]:
        """When a sender (or its client) locked out by failed lookups may try again (None: not locked)."""
        return self._caller_locked_until(sender, client, time.time() if now is None else now)

    def _caller_locked_until(self, sender: str, client: Optional[str], now: float) -> Optional[float]:
        return (self._locked_until(failures.c.sender, sender[:200], FAILURE_LIMIT, now)
                or (self._locked_until(failures.c.client, client[:200], CLIENT_LIMIT, now) if client else None))

    def _locked_until(self, column, value: str, limit: int, now: float) -> Optional[float]:
        since = now - FAILURE_WINDOW
        with self.engine.connect() as conn:
            last_try: dict = {}  # each distinct guess, when it was last tried
            for row in conn.execute(sa.select(failures.c.id, failures.c.at, failures.c.guess)
                                    .where(column == value, failures.c.at > since)):
                key = row.guess or row.id
                last_try[key] = max(last_try.get(key, 0.0), row.at)
        if len(last_try) >= limit:
            return sorted(last_try.values())[-limit] + FAILURE_WINDOW
        return None

    def resting_numbers(self, now: Optional[float] = None) -> List[Tuple[str, int, float]]:
        """(case number, distinct wrong guesses, rests until) for numbers guessed at too often now:
        for the console, so staff can help the owner and see the probing."""
        now = time.time() if now is None else now
        with self.engine.connect() as conn:
            numbers = [r.case_no for r in conn.execute(
                sa.select(failures.c.case_no).where(failures.c.at > now - FAILURE_WINDOW).group_by(failures.c.case_no)
                .having(sa.func.count(sa.distinct(failures.c.guess)) >= NUMBER_LIMIT))]
        found = []
        for number in numbers:
            until = self._locked_until(failures.c.case_no, number, NUMBER_LIMIT, now)
            if until:
                with self.engine.connect() as conn:
                    guesses = conn.execute(sa.select(sa.func.count(sa.distinct(failures.c.guess))).where(
                        (failures.c.case_no == number) & (failures.c.at > now - FAILURE_WINDOW))).scalar()
                found.append((number, int(guesses), until))
        return found


def guess_digest(number: str, identity: str) -> str:
    """A short digest of a failed guess: enough to tell guesses apart, and no name kept."""
    normal = "|".join(_normal_identity(part) for part in (identity or "").split("|"))
    return hashlib.sha256(f"{number}\n{normal}".encode("utf-8")).hexdigest()[:32]


def _normal_identity(identity: str) -> str:
    normal = normalise_id_last4(identity)
    return normal if ID_LAST4_RE.match(normal) else normalise_name(identity)


def identity_matches(case: Case, identity: str) -> bool:
    """The name or the ID last four matches; "李明|5678" (both given) only when both do."""
    parts = [p for p in (identity or "").split("|") if p.strip()]
    return bool(parts) and all(_one_identity_matches(case, p) for p in parts)


def _one_identity_matches(case: Case, identity: str) -> bool:
    identity = (identity or "").strip()
    if not identity:
        return False
    if ID_LAST4_RE.match(normalise_id_last4(identity)):
        return normalise_id_last4(identity) == case.id_last4
    return normalise_name(identity) == normalise_name(case.name)


# --- CSV ----------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, or GBK/GB18030 as Excel saves it in China."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFailed([(0, "文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV")]) from None


def parse_csv(data: bytes, kb: knowledge.Knowledge) -> List[Case]:
    """Every row checked; raises ImportFailed listing every bad row with its line number."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFailed([(0, f"文件过大（超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB）")])
    text = decode(data)
    if "\x00" in text:
        raise ImportFailed([(0, "文件不是文本格式的 CSV")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([(0, "文件是空的")]) from None
    except csv.Error as e:
        raise ImportFailed([(1, f"无法解析：{e}")]) from None
    header = [h.strip() for h in header]
    if header != COLUMNS:
        raise ImportFailed([(1, f"表头应为 {','.join(COLUMNS)}，实际为 {','.join(header)}")])
    rows, problems, seen = [], [], {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            case, errors = _row(fields, kb)
            if case and case.case_no in seen:
                errors.append(f"申请编号 {case.case_no} 与第{seen[case.case_no]}行重复")
            if errors:
                problems += [(line, e) for e in errors]
            else:
                seen[case.case_no] = line
                rows.append(case)
    except csv.Error as e:
        problems.append((reader.line_num, f"无法解析：{e}"))
    if problems:
        raise ImportFailed(problems)
    return rows


def _row(fields: List[str], kb: knowledge.Knowledge):
    if len(fields) != len(COLUMNS):
        return None, [f"应有 {len(COLUMNS)} 列，实际 {len(fields)} 列"]
    raw = dict(zip(COLUMNS, (f.strip() for f in fields)))
    errors = []
    case_no = normalise_case_no(raw["case_no"])
    if not case_no:
        errors.append("缺少申请编号")
    elif not CASE_NO_RE.match(case_no):
        errors.append(f"申请编号“{raw['case_no']}”格式不对（应为字母加数字，如 ZJ2026000101）")
    name = unicodedata.normalize("NFKC", raw["name"])
    if not name:
        errors.append("缺少姓名")
    elif len(name) > 30:
        errors.append("姓名过长")
    id_last4 = normalise_id_last4(raw["id_last4"])
    if not ID_LAST4_RE.match(id_last4):
        errors.append(f"身份证后四位“{raw['id_last4']}”不对（应为4位数字，最后一位可为X）")
    procedure = kb.procedure_by_name(unicodedata.normalize("NFKC", raw["procedure"]).replace("(", "（").replace(")", "）"))
    if procedure is None:
        errors.append(f"未知业务“{raw['procedure']}”，应为办事指南中的业务名称")
    if kb.stage(raw["stage"]) is None:
        errors.append(f"未知阶段“{raw['stage']}”，可选：{'、'.join(s.name for s in kb.stages)}")
    updated = _parse_date(raw["updated_at"])
    if updated is None:
        errors.append(f"日期“{raw['updated_at']}”不对（应为 2026-11-20 这样的格式）")
    if len(raw["company"]) > 200 or len(raw["note"]) > 2000:
        errors.append("单位名称或备注过长")
    if errors:
        return (Case(case_no, name, id_last4, "", "", "", "") if case_no else None), errors
    return Case(case_no=case_no, name=name, id_last4=id_last4, company=raw["company"],
                procedure=procedure.title if procedure.variant and procedure.name != raw["procedure"] else procedure.name,
                stage=raw["stage"], updated_at=updated.isoformat(), note=raw["note"]), []


def _parse_date(text: str) -> Optional[date]:
    text = unicodedata.normalize("NFKC", text or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed if 2000 <= parsed.year <= 2100 else None
    return None


def export_rows(rows: Iterable[Case]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for c in rows:
        writer.writerow([getattr(c, k) for k in COLUMNS])
    return out.getvalue()
