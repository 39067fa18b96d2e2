"""`python -m bot staff add NAME --role admin|agent`: the password is asked at the prompt,
or read from stdin when it is not a terminal (for scripts)."""
from __future__ import annotations

import getpass
import sys

from bot import db
from bot.console.auth import StaffStore


def run(args) -> int:
    store = StaffStore(args.db or db.url_from_env("CONVERSATIONS_DB_URL", "conversations.db"))
    if args.staff_command == "list":
        for s in store.list():
            print(f"{s['name']}\t{s['role']}\t{'active' if s['active'] else 'disabled'}")
        return 0
    if args.staff_command == "disable":
        store.set_active(args.name, False)
        store.record("cli", "staff_disable", args.name)
        print(f"{args.name} disabled")
        return 0
    if sys.stdin.isatty():
        password = getpass.getpass("密码：")
        if getpass.getpass("再输一次：") != password:
            print("两次输入的密码不一致", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        store.add(args.name, args.role, password)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    store.record("cli", "staff_add", args.name, args.role)
    print(f"已创建 {args.role} 账号 {args.name}")
    return 0
