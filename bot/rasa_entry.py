"""`rasa …` with the API token added in-process.

`rasa run` takes its HTTP API token only from `--auth-token`, and a command line is
readable by every local user (/proc/PID/cmdline). The supervisor puts the token in this
process's environment instead (readable by its own user only) and this entry point appends
it to Rasa's arguments after exec, so it never appears on a command line."""
from __future__ import annotations

import os
import sys


def arguments(argv: list, environ: dict) -> list:
    token = environ.get("RASA_API_TOKEN", "")
    return ["rasa", *argv, f"--auth-token={token}"] if token else ["rasa", *argv]  # "=": a token may start with "-"


def main() -> None:
    sys.argv = arguments(sys.argv[1:], dict(os.environ))
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
