"""Command line: python -m bot COMMAND.

  train            train the Rasa model if its inputs changed
  run              start the action server and Rasa, print the URLs, stop on Ctrl-C
  knowledge check  load and validate knowledge/
  nlu-assets       regenerate the jieba dictionary and lookup tables from knowledge/
  cases import FILE.csv | list | show CASE_NO | set-stage CASE_NO STAGE [--note …]
                   the case store (CASES_DB_URL, default SQLite under var/)
  staff add NAME --role admin|agent | list | disable NAME
                   console accounts (password at the prompt, or on stdin)
  gateway          run only the gateway (widget, WeChat, console, API)
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true")
    sub.add_parser("run", help="start the help desk")
    sub.add_parser("gateway", help="run only the gateway (web widget, API)")
    know = sub.add_parser("knowledge", help="knowledge files")
    know.add_argument("action", choices=["check"])
    sub.add_parser("nlu-assets", help="regenerate files derived from knowledge/")
    cases = sub.add_parser("cases", help="the case store")
    cases.add_argument("--db", help="database URL (default: CASES_DB_URL or var/cases.db)")
    case_cmd = cases.add_subparsers(dest="case_command", required=True)
    imp = case_cmd.add_parser("import", help="load a CSV (all or nothing)")
    imp.add_argument("file")
    lst = case_cmd.add_parser("list", help="list cases")
    lst.add_argument("--stage")
    lst.add_argument("--search")
    lst.add_argument("--limit", type=int, default=100)
    show = case_cmd.add_parser("show", help="one case with its history")
    show.add_argument("case_no")
    st = case_cmd.add_parser("set-stage", help="change a case's stage")
    st.add_argument("case_no")
    st.add_argument("stage")
    st.add_argument("--note")
    staff = sub.add_parser("staff", help="console staff accounts")
    staff.add_argument("--db", help="database URL (default: CONVERSATIONS_DB_URL or var/conversations.db)")
    staff_cmd = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_cmd.add_parser("add", help="add an account (password at the prompt or on stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=["admin", "agent"], required=True)
    staff_cmd.add_parser("list", help="list accounts")
    dis = staff_cmd.add_parser("disable", help="disable an account")
    dis.add_argument("name")
    return parser


def main(argv=None) -> int:
    from bot.services import private_files
    private_files()  # every command may create files under var/: this user's only
    args = _parser().parse_args(argv)

    if args.command == "staff":
        from bot.console import cli
        return cli.run(args)
    if args.command == "cases":
        from bot import cli_cases
        return cli_cases.run(args)
    if args.command == "train":
        from bot import training
        training.train(force=args.force)
    elif args.command == "run":
        return _run()
    elif args.command == "gateway":
        from bot.gateway.app import main as gateway_main
        gateway_main()
    elif args.command == "knowledge":
        return _knowledge_check()
    elif args.command == "nlu-assets":
        from bot import knowledge, nlu_assets
        nlu_assets.write(knowledge.load())
        print("written:", nlu_assets.JIEBA_DICT, nlu_assets.LOOKUPS)
    return 0


def _knowledge_check() -> int:
    from bot import knowledge
    try:
        kb = knowledge.load()
    except knowledge.KnowledgeError as e:
        print(f"knowledge error: {e}", file=sys.stderr)
        return 1
    print(f"knowledge ok: {len(kb.procedures)} procedures, {len(kb.policies)} policies, {len(kb.contacts)} contacts")
    return 0


def _run() -> int:
    from bot import services, training
    settings = services.Settings()
    model = training.model_path()
    if not model.exists():
        print("no trained model; run `make run` (it trains first)", file=sys.stderr)
        return 1
    print("starting the action server, Rasa and the gateway (about 20 s)…", flush=True)
    procs = services.start_all(settings, model)
    print(f"""
jianli-helpdesk is running
  web chat demo     : {settings.gateway_url}/   (widget: {settings.gateway_url}/widget.js)
  gateway API       : {settings.gateway_url}/api/messages
  Rasa REST channel : {settings.rasa_url}/webhooks/rest/webhook (the gateway's only: X-Helpdesk-Channel-Secret)
  action server     : {settings.actions_url}/webhook
  data and logs     : {settings.var_dir}
Try: curl -s -XPOST {settings.gateway_url}/api/messages -H 'Content-Type: application/json' -d '{{"sender":"me","message":"初始注册需要什么材料"}}'
Press Ctrl-C to stop.""", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    restarts = []  # a process that dies is started again, unless it keeps dying
    ticks = 0
    while not stop.wait(1):
        ticks += 1
        if ticks % 30 == 0:
            services.rotate_logs(settings.var_dir / "logs")
        for p in procs:
            if p.popen.poll() is None:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > 5:
                print(f"{p.name} keeps stopping; giving up. See {p.log}", file=sys.stderr)
                stop.set()
                break
            print(f"{p.name} stopped (exit {p.popen.returncode}); starting it again. See {p.log}", file=sys.stderr, flush=True)
            p.start()
    services.stop_all(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
