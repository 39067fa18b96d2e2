"""knowledge/lexicon.yml: the phrasing patterns load, and each is held to its examples."""
import re
from pathlib import Path

import pytest
import yaml

from bot import answers, dialogue, lexicon, understand


def test_real_lexicon_loads_and_every_example_passes():
    patterns = lexicon.load()  # raises on any example that fails
    raw = yaml.safe_load(lexicon.LEXICON_FILE.read_text(encoding="utf-8"))["patterns"]
    assert set(patterns) == set(raw) and all(entry["examples"] for entry in raw.values())
    for name, entry in raw.items():
        applied = getattr(patterns[name], entry.get("use", "search"))
        assert all(applied(x) for x in entry["examples"]), name
        assert not any(applied(x) for x in entry.get("not_examples", [])), name


def test_every_lexicon_pattern_is_used_by_the_core_or_the_actions():
    actions = "".join(p.read_text(encoding="utf-8") for p in (Path(__file__).parent.parent / "actions").glob("*.py"))
    for name in lexicon.load():
        assert any(getattr(m, name, None) is lexicon.pattern(name) for m in (dialogue, understand, answers)) or f'lexicon.pattern("{name}")' in actions, name


def _write(tmp_path, entries):
    path = tmp_path / "lexicon.yml"
    path.write_text(yaml.safe_dump({"patterns": entries}, allow_unicode=True), encoding="utf-8")
    return path


def test_an_example_that_does_not_match_is_refused(tmp_path):
    path = _write(tmp_path, {"REPEAT": {"pattern": "再说一遍", "examples": ["再说一遍", "重复一下"], "note": "again"}})
    with pytest.raises(lexicon.LexiconError, match=r"REPEAT: pattern does not search its example '重复一下'") as err:
        lexicon.load(path)
    assert str(path) in str(err.value)


def test_a_near_miss_that_matches_is_refused(tmp_path):
    path = _write(tmp_path, {"COLLECTING": {"pattern": "领|办", "examples": ["批了去哪领"],
                                            "not_examples": ["单位能帮他办吗"], "note": "collecting"}})
    with pytest.raises(lexicon.LexiconError, match="COLLECTING: pattern should not search '单位能帮他办吗'"):
        lexicon.load(path)


def test_examples_are_checked_the_way_the_code_applies_the_pattern(tmp_path):
    entry = {"pattern": "还有别的吗?", "use": "fullmatch", "examples": ["那还有别的吗"], "note": "more"}
    with pytest.raises(lexicon.LexiconError, match="MORE: pattern does not fullmatch"):
        lexicon.load(_write(tmp_path, {"MORE": entry}))
    entry["examples"] = ["还有别的吗", "还有别的"]
    assert lexicon.load(_write(tmp_path, {"MORE": entry}))["MORE"].fullmatch("还有别的")


def test_a_malformed_pattern_is_refused(tmp_path):
    path = _write(tmp_path, {"ORDER": {"pattern": "先(网上", "examples": ["先网上"], "note": "order"}})
    with pytest.raises(lexicon.LexiconError, match="ORDER: pattern does not compile"):
        lexicon.load(path)


@pytest.mark.parametrize("entry, message", [
    ({"pattern": "领"}, "needs `examples:`"),
    ({"pattern": "领", "examples": ["领"], "not_example": ["办"]}, "unknown keys"),
    ({"pattern": "领", "examples": ["领"], "use": "findall"}, "use must be one of"),
    ({"examples": ["领"]}, "needs a `pattern:` string"),
])
def test_incomplete_entries_are_refused(tmp_path, entry, message):
    with pytest.raises(lexicon.LexiconError, match=re.escape(f"COLLECTING: {message}")):
        lexicon.load(_write(tmp_path, {"COLLECTING": entry}))


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "lexicon.yml"
    path.write_text("patterns: [unclosed", encoding="utf-8")
    with pytest.raises(lexicon.LexiconError, match="cannot be read"):
        lexicon.load(path)
    with pytest.raises(lexicon.LexiconError, match="cannot be read"):
        lexicon.load(tmp_path / "missing.yml")
