"""`python -m bot cases …`: the case store at the command line, for staff."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.cases import CaseStore, ImportFailed


def run(args) -> int:
    store = CaseStore(args.db)
    cmd = args.case_command
    if cmd == "import":
        path = Path(args.file)
        try:
            data = path.read_bytes()
        except OSError as e:
            print(f"无法读取文件：{e}", file=sys.stderr)
            return 2
        try:
            summary = store.import_csv(data, source=f"import:{path.name}")
        except ImportFailed as e:
            print(f"导入失败，案件库未做任何修改：\n{e}", file=sys.stderr)
            return 1
        print(f"导入完成：新增 {summary.added}，更新 {summary.updated}（其中阶段变化 {summary.stage_changes}），未变 {summary.unchanged}")
    elif cmd == "list":
        rows = store.list(stage=args.stage, search=args.search, limit=args.limit)
        for c in rows:
            print(f"{c.case_no}\t{c.name}\t{c.procedure}\t{c.stage}\t{c.updated_at}\t{c.company}")
        print(f"共 {len(rows)} 条")
    elif cmd == "show":
        case = store.get(args.case_no)
        if case is None:
            print(f"没有申请编号为 {args.case_no} 的申请", file=sys.stderr)
            return 1
        for key, value in case.__dict__.items():
            print(f"{key}: {value}")
        print("history:")
        for h in store.history_of(case.case_no):
            print(f"  {h['updated_at']}  {h['stage']}  {h['note']}  ({h['source']})")
    elif cmd == "set-stage":
        try:
            case = store.set_stage(args.case_no, args.stage, args.note, source="cli")
        except (KeyError, ValueError) as e:
            print(e.args[0], file=sys.stderr)
            return 1
        print(f"{case.case_no} → {case.stage}（{case.updated_at}）")
    return 0
