"""Files Rasa reads that are derived from knowledge/: the jieba user dictionary and
the material lookup table with its synonyms. `python -m bot nlu-assets` writes them;
a test fails when they are out of date, so knowledge/ stays the one place words live."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

from bot import knowledge

ROOT = Path(__file__).resolve().parent.parent
JIEBA_DICT = ROOT / "nlu" / "jieba" / "userdict.txt"
LOOKUPS = ROOT / "data" / "lookups.yml"
HEADER = "# Generated from knowledge/ by `python -m bot nlu-assets`; do not edit by hand.\n"


def jieba_dictionary(kb: knowledge.Knowledge) -> str:
    """The guide's terms (names, aliases, materials), not question phrases such as 带什么."""
    lang = kb.language
    phrases = {c for a in lang.aspects for c in a.cues} | {c for cues in lang.stages.values() for c in cues}
    words = sorted(
        w for w in knowledge.vocabulary(kb)
        if len(w) >= 2 and " " not in w and w not in phrases and not any(q in w for q in knowledge.QUESTION_WORDS)
    )
    # a high frequency keeps each term one token (jieba format: word freq)
    return "".join(f"{w} {2000 + 100 * len(w)}\n" for w in words)


def lookups(kb: knowledge.Knowledge) -> str:
    synonyms: Dict[str, list] = {}
    for m in kb.material_kinds:
        synonyms[m.kind] = list(dict.fromkeys([m.label, *m.aliases]))
    for p in kb.procedures:
        for s in p.steps:
            for m in s.materials + s.bring:
                if m.name not in synonyms[m.kind]:
                    synonyms[m.kind].append(m.name)
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:", "  - lookup: material", "    examples: |"]
    all_words = sorted({w for words in synonyms.values() for w in words}, key=lambda w: (-len(w), w))
    lines += [f"      - {w}" for w in all_words]
    for kind, words in synonyms.items():
        lines += [f"  - synonym: {kind}", "    examples: |"] + [f"      - {w}" for w in words]
    lines += ["  - regex: case_no", "    examples: |", "      - zj\\d{10}"]
    return "\n".join(lines) + "\n"


def expected_files(kb: knowledge.Knowledge) -> Dict[Path, str]:
    return {JIEBA_DICT: jieba_dictionary(kb), LOOKUPS: lookups(kb)}


def write(kb: knowledge.Knowledge) -> None:
    for path, content in expected_files(kb).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def stale(kb: knowledge.Knowledge) -> list:
    """Paths whose content differs from what knowledge/ gives."""
    return [p for p, c in expected_files(kb).items() if not p.exists() or p.read_text(encoding="utf-8") != c]
