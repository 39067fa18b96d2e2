"""The case store on a real SQLite file: import all or nothing, encodings, history,
normalisation, lookups and their limits, and the command line."""
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bot import cases
from bot.cases import CaseStore, ImportFailed, case_no_match, failures
from conftest import DATA, ROOT

HEADER = "case_no,name,id_last4,company,procedure,stage,updated_at,note\n"
GOOD = HEADER + "ZJ2026000101,王小明,1234,杭州某某工程监理有限公司,初始注册,已公告,2026-11-20,\n" \
                "ZJ2026000102,李华,5678,宁波某某建设监理有限公司,延续注册,已受理,2026-11-18,\n"


@pytest.fixture
def store(tmp_path):
    return CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")


def test_import_and_reimport_records_stage_changes(store):
    summary = store.import_csv(GOOD.encode())
    assert (summary.added, summary.updated) == (2, 0)
    changed = GOOD.replace("延续注册,已受理,2026-11-18,", "延续注册,审核中,2026-11-22,已报部")
    summary = store.import_csv(changed.encode())
    assert (summary.added, summary.updated, summary.stage_changes, summary.unchanged) == (0, 1, 1, 1)
    assert [h["stage"] for h in store.history_of("ZJ2026000102")] == ["已受理", "审核中"]
    assert store.get("zj2026000102").note == "已报部"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encodings_excel_uses(store, encoding):
    store.import_csv(GOOD.encode(encoding))
    assert store.get("ZJ2026000101").name == "王小明"


def test_a_bad_row_changes_nothing_and_names_its_line(store):
    store.import_csv(GOOD.encode())
    bad = GOOD.replace("已公告", "审核中") + "ZJ2026000103,赵敏,9012,温州,转注册,完成了,2026-11-15,\n" \
                                           ",张三,1111,x,初始注册,已受理,2026-11-01,\n" \
                                           "ZJ2026000104,李四,2222,x,初始注册,已受理,2026-02-30,\n"
    with pytest.raises(ImportFailed) as err:
        store.import_csv(bad.encode())
    lines = {line for line, _ in err.value.problems}
    assert lines == {4, 5, 6}
    assert "第4行：未知阶段“完成了”" in str(err.value)
    assert "第5行：缺少申请编号" in str(err.value)
    assert "第6行：日期“2026-02-30”不对" in str(err.value)
    assert store.get("ZJ2026000101").stage == "已公告"  # the good rows were not written either
    assert store.get("ZJ2026000103") is None


@pytest.mark.parametrize("content, message", [
    (b"", "文件是空的"),
    (b"a,b,c\n1,2,3\n", "表头应为"),
    (HEADER.encode() + b"ZJ2026000101,x,1234,x,\xe5\x88\x9d\xe5\xa7\x8b\xe6\xb3\xa8\xe5\x86\x8c,\n", "应有 8 列"),
    ((GOOD + "ZJ2026000101,王小明,1234,x,初始注册,已公告,2026-11-20,\n").encode(), "与第2行重复"),
    ((HEADER + "ZJ2026000109,王,1234,x,摇号,已公告,2026-11-20,\n").encode(), "未知业务“摇号”"),
    (b"\xff\xfe\x00\x00garbage", "编码无法识别"),
    (b"x" * (cases.MAX_IMPORT_BYTES + 1), "文件过大"),
])
def test_malformed_files(store, content, message):
    with pytest.raises(ImportFailed, match=message):
        store.import_csv(content)


def test_case_numbers_and_names_are_normalised(store):
    store.import_csv((HEADER + " zj 2026000105 ,陳 靜,123x,x,遗失补办,已受理,2026/11/02,\n").encode())
    case = store.get("ＺＪ２０２６０００１０５")
    assert (case.case_no, case.id_last4, case.updated_at, case.procedure) == ("ZJ2026000105", "123X", "2026-11-02", "遗失补办")
    assert store.lookup("zj-2026000105", "陈静", "s").status == "found"
    assert store.lookup("ZJ2026000105", "123x", "s").status == "found"


def test_lookup_needs_number_and_identity(store):
    store.import_csv(GOOD.encode())
    assert store.lookup("ZJ2026000101", "王小明", "a").case.company == "杭州某某工程监理有限公司"
    assert store.lookup("ZJ2026000101", "1234", "a").status == "found"
    for identity in ("张三", "4321", "", "王小"):
        result = store.lookup("ZJ2026000101", identity, "b")
        assert result.status == "no_match" and result.case is None


def test_failures_lock_a_sender_and_a_number_for_fifteen_minutes(store):
    store.import_csv(GOOD.encode())
    t = 1_000_000.0
    for i in range(5):
        store.lookup(f"ZJ20990000{i:02d}", "王小明", "prober", now=t + i)
    locked = store.lookup("ZJ2026000101", "王小明", "prober", now=t + 10)
    assert locked.status == "locked" and locked.retry_at == pytest.approx(t + 15 * 60)
    assert store.lookup("ZJ2026000101", "王小明", "prober", now=t + 15 * 60 + 1).status == "found"
    for i, guess in enumerate(("张三", "李四", "王五", "0000", "0001")):  # one number, five senders: not enough
        store.lookup("ZJ2026000102", guess, f"sender-{i}", client=f"10.0.0.{i}", now=t + i)
    assert store.lookup("ZJ2026000102", "李华", "honest", now=t + 20).status == "found"
    for i, guess in enumerate(("赵六", "钱七", "孙八", "0002", "0003")):  # ten distinct guesses: the number rests
        store.lookup("ZJ2026000102", guess, f"sender-{i + 5}", client=f"10.0.1.{i}", now=t + 30 + i)
    rested = store.lookup("ZJ2026000102", "李华", "honest", now=t + 40)
    assert rested.status == "number_locked" and rested.retry_at > t + 40  # the owner is told why (utter_lookup_number_locked)
    assert [n for n, _, _ in store.resting_numbers(now=t + 40)] == ["ZJ2026000102"]  # and the console shows it
    assert store.lookup("ZJ2026000102", "李华", "honest", now=t + 30 + 15 * 60 + 10).status == "found"


def test_one_client_making_up_sender_ids_is_still_one_client(store):
    """Attack: each fresh sender id had its own five tries; the client (network address) is limited too."""
    store.import_csv(GOOD.encode())
    t = 1_000_000.0
    for i in range(10):
        store.lookup(f"ZJ20990001{i:02d}", "王小明", f"fresh-{i}", client="203.0.113.5", now=t + i)
    assert store.lookup("ZJ2026000101", "王小明", "fresh-new", client="203.0.113.5", now=t + 20).status == "locked"
    assert store.lookup("ZJ2026000101", "王小明", "someone", client="198.51.100.1", now=t + 20).status == "found"


def test_the_same_wrong_guess_again_is_not_a_new_try(store):
    """A user retyping the same misspelt name, or many visitors trying one wrong name, teach a
    prober nothing new: only distinct guesses count towards the lockout."""
    store.import_csv(GOOD.encode())
    t = 1_000_000.0
    for i in range(8):
        assert store.lookup("ZJ2026000101", "王晓明", f"visitor-{i % 2}", now=t + i).status == "no_match"
    for i in range(4):
        assert store.lookup("ZJ2026000101", " 王 晓明 ", "visitor-0", now=t + 10 + i).status == "no_match"
    assert store.lookup("ZJ2026000101", "王小明", "visitor-1", now=t + 20).status == "found"
    for i, guess in enumerate(("张三", "李四", "王五", "0000")):  # four more distinct guesses: five
        store.lookup("ZJ2026000101", guess, "visitor-0", now=t + 30 + i)
    assert store.lookup("ZJ2026000101", "王小明", "visitor-0", now=t + 40).status == "locked"  # that prober
    assert store.lookup("ZJ2026000101", "王小明", "visitor-1", now=t + 40).status == "found"  # not the owner
    with store.engine.connect() as conn:  # what is kept of a wrong guess is a digest, not the name
        kept = " ".join(str(v) for row in conn.execute(sa.select(failures)) for v in row)
    assert "晓明" not in kept and "张三" not in kept


def test_set_stage_records_history(store):
    store.import_csv(GOOD.encode())
    store.set_stage("zj2026000101", "已办结", note="已领证")
    assert store.get("ZJ2026000101").stage == "已办结"
    assert [h["stage"] for h in store.history_of("ZJ2026000101")] == ["已公告", "已办结"]
    with pytest.raises(ValueError):
        store.set_stage("ZJ2026000101", "完成")
    with pytest.raises(KeyError):
        store.set_stage("ZJ2099000000", "已办结")


def test_hostile_values_are_stored_as_text(store):
    store.import_csv((HEADER + "ZJ2026000106,\"Robert'); DROP TABLE cases;--\",1234,<script>x</script>,初始注册,已受理,2026-11-01,\"a,b\"\n").encode())
    case = store.get("ZJ2026000106")
    assert case.company == "<script>x</script>" and case.note == "a,b"
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from cases")).scalar() == 1


def test_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "bot", "cases", "--db", url, *args], cwd=ROOT,
                              capture_output=True, text=True)
    ok = cli("import", str(DATA / "cases.csv"))
    assert ok.returncode == 0 and "新增 10" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ZJ1,x,1,x,x,x,x,\n", encoding="utf-8")
    failed = cli("import", str(bad))
    assert failed.returncode == 1 and "第2行" in failed.stderr and "未做任何修改" in failed.stderr
    assert "ZJ2026100001" in cli("list").stdout
    assert cli("set-stage", "ZJ2026100001", "已办结", "--note", "已贴条").returncode == 0
    shown = cli("show", "zj2026100001").stdout
    assert "stage: 已办结" in shown and "已贴条" in shown
    assert cli("show", "ZJ2099").returncode == 1


@pytest.mark.parametrize("text, found", [("zj 2026 000 101", "zj 2026 000 101"), ("zj-2026-000101", "zj-2026-000101"),
                                         ("my cert expires on dec 31 2026", None), ("证书 abc 12 345678", None)])
def test_case_number_in_a_message(text, found):
    """Grouped digits are a case number only when they start like one (2026…), not a date."""
    m = case_no_match(text)
    assert (m.group(0) if m else None) == found
