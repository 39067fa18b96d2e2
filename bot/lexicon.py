"""Phrasing knowledge as data: the regular expressions that read questions, from knowledge/lexicon.yml.

Each pattern there comes with the questions it was added for (`examples`) and, where one is known,
the near misses it must leave alone (`not_examples`). They are checked when the file is loaded, so
a pattern edited until it no longer matches what it was written for fails at start-up and in the
tests, not silently in a conversation.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict

import yaml

LEXICON_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "lexicon.yml"
USES = ("search", "match", "fullmatch")  # how the code applies a pattern, and so how its examples are checked
KEYS = {"pattern", "examples", "not_examples", "note", "use"}


class LexiconError(ValueError):
    """The lexicon cannot be used: the message names the file, the entry and what is wrong."""


def load(path: Path = LEXICON_FILE) -> Dict[str, re.Pattern]:
    """Every pattern of the file, compiled and checked against its examples."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise LexiconError(f"{path}: cannot be read: {e}") from e
    entries = raw.get("patterns") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise LexiconError(f"{path}: no `patterns:` mapping")
    return {name: _checked(path, name, entry) for name, entry in entries.items()}


def _checked(path: Path, name: str, entry) -> re.Pattern:
    """One entry compiled; refused unless each example matches and each near miss does not."""
    where = f"{path}: {name}"
    if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
        raise LexiconError(f"{where}: needs a `pattern:` string")
    unknown = set(entry) - KEYS
    if unknown:  # a misspelt not_examples would otherwise check nothing
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)}")
    use = entry.get("use", "search")
    if use not in USES:
        raise LexiconError(f"{where}: use must be one of {USES}, not {use!r}")
    examples, near_misses = entry.get("examples") or [], entry.get("not_examples") or []
    if not examples or not all(isinstance(x, str) for x in [*examples, *near_misses]):
        raise LexiconError(f"{where}: needs `examples:`, a list of strings the pattern matches")
    try:
        compiled = re.compile(entry["pattern"])
    except re.error as e:
        raise LexiconError(f"{where}: pattern does not compile: {e}") from e
    applied = getattr(compiled, use)
    for example in examples:
        if not applied(example):
            raise LexiconError(f"{where}: pattern does not {use} its example {example!r}")
    for example in near_misses:
        if applied(example):
            raise LexiconError(f"{where}: pattern should not {use} {example!r} (not_examples)")
    return compiled


@lru_cache(maxsize=1)
def _lexicon() -> Dict[str, re.Pattern]:
    """The real lexicon, read once per process."""
    return load(LEXICON_FILE)


def pattern(name: str) -> re.Pattern:
    """The compiled pattern `name` of knowledge/lexicon.yml (a KeyError names a missing entry)."""
    try:
        return _lexicon()[name]
    except KeyError:
        raise KeyError(f"{LEXICON_FILE}: no pattern {name!r}") from None
