"""The knowledge files load, validate, and say exactly what the office's guide says."""
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from conftest import SHARED

GUIDE = (SHARED / "seed" / "000_dcceec12f746f217.txt").read_text(encoding="utf-8")


def _flat(text: str) -> str:
    """The guide without white space and without its inline notes （注：…）."""
    return re.sub(r"\s+", "", text)


GUIDE_FLAT = _flat(GUIDE)
GUIDE_WITHOUT_NOTES = re.sub(r"（注：[^）]*）", "", GUIDE_FLAT)


def test_all_procedures_of_the_guide_are_there(kb):
    names = [p.name for p in kb.procedures]
    for name in ["初始注册", "延续注册", "注销注册", "遗失补办", "转注册", "专业变更（增加）", "企业更名", "身份证姓名等其他变更"]:
        assert name in names
    assert names.count("遗失补办") == 2, "items 4 and 9 are both 遗失补办"
    assert len({p.title for p in kb.procedures}) == len(kb.procedures), "the two variants need distinct titles"


def test_every_step_is_the_guides_own_sentence(kb):
    for p in kb.procedures:
        for s in p.steps:
            assert s.text.rstrip("。；") in GUIDE_WITHOUT_NOTES, f"{p.id} {s.stage}: {s.text}"
            assert f"（{s.source[-2]}）{s.stage}" in GUIDE_FLAT
            for n in s.notes:
                assert n.text.rstrip("。") in GUIDE_FLAT, n.text


def test_every_phone_number_comes_from_the_guide(kb):
    phones = [ph for c in kb.contacts for ph in kb.phones_of(c)]
    assert set(phones) == {"0571-81956261", "010-88381756", "010-88381873", "010-68313292", "010-68362887"}
    guide_phones = set(re.findall(r"0\d{2,3}-\d{7,8}", GUIDE))
    assert set(phones) == guide_phones


def test_policy_text_is_verbatim(kb):
    for pol in kb.policies:
        assert pol.text.rstrip("。") in GUIDE_FLAT, pol.id


def test_materials_and_forms(kb):
    cancel = kb.procedure("cancellation").intake.materials
    assert [(m.name, m.form) for m in cancel] == [("注销注册申请表", "原件"), ("解聘证明", "原件或复印件"), ("注册证书", "原件")]
    lost = kb.procedure("lost").intake.materials
    assert lost[2].alternative == "情况说明"
    reissue = [m.name for m in kb.procedure("reissue_after_change").intake.materials]
    assert "情况说明" in reissue and "证书" in reissue
    assert kb.procedure("personal_change").collection.next_procedure == "reissue_after_change"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge.KNOWLEDGE_DIR, target)
    return target


def _edit(directory: Path, name: str, change):
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("name, change, message", [
    ("procedures.yml", lambda d: d["procedures"][0]["steps"][1]["materials"][1].update(name="二寸照"),
     "procedures.yml: procedure initial step 2 material 2: '二寸照' does not appear in the step's guide text"),
    ("procedures.yml", lambda d: d["procedures"][1].pop("name"), "procedures.yml: procedure 2 (renewal): missing 'name'"),
    ("procedures.yml", lambda d: d["procedures"][2]["steps"][1].update(source="14(2)"), "is not a guide item"),
    ("procedures.yml", lambda d: d["procedures"][0]["steps"][1]["materials"][0].update(form="扫描件"), "form '扫描件' is not one of"),
    ("procedures.yml", lambda d: d["procedures"][7]["steps"][2].update(next_procedure="nowhere"), "unknown procedure 'nowhere'"),
    ("procedures.yml", lambda d: d["procedures"][0].update(patterns=["(unclosed"]), "is not a valid regular expression"),
    ("contacts.yml", lambda d: d["contacts"][1].update(phones=["010-88381757"]), "phone '010-88381757' does not appear in the contact's text"),
    ("contacts.yml", lambda d: d["contacts"].append(dict(d["contacts"][0])), "contact id 'association' is defined twice"),
    ("policies.yml", lambda d: d["policies"][0].update(colour="red"), "unknown key(s) colour"),
])
def test_loader_names_file_entry_and_fault(tmp_path, name, change, message):
    directory = _copy(tmp_path)
    _edit(directory, name, change)
    with pytest.raises(knowledge.KnowledgeError) as err:
        knowledge.load(directory)
    assert message in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    directory = _copy(tmp_path)
    (directory / "contacts.yml").unlink()
    with pytest.raises(knowledge.KnowledgeError, match="contacts.yml: file is missing"):
        knowledge.load(directory)
    (directory / "contacts.yml").write_text("contacts: [unclosed", encoding="utf-8")
    with pytest.raises(knowledge.KnowledgeError, match="contacts.yml: not valid YAML"):
        knowledge.load(directory)


def test_generated_nlu_files_are_current(kb):
    from bot import nlu_assets
    assert nlu_assets.stale(kb) == [], "run `make nlu-assets` after changing knowledge/"


def test_a_silent_topic_about_a_material_names_a_known_kind(kb):
    kinds = {m.kind for m in kb.material_kinds}
    about = [t for t in kb.language.silent_topics if t.material]
    assert about and all(t.material in kinds for t in about)
