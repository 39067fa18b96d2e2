"""The normaliser: what users type becomes what the knowledge knows, and nothing else changes."""
import pytest
from hypothesis import given, settings, strategies as st

from bot.normalise import MAX_LENGTH, normalise


@pytest.mark.parametrize("raw, clean", [
    ("監理鎖壞了找誰", "监理锁坏了找谁"),                 # traditional → simplified
    ("ＺＪ２０２６０００１０１", "zj2026000101"),          # full-width → half-width, lower case
    ("初始注册 需要 什么", "初始注册需要什么"),             # stray spaces between Chinese
    ("延续注册怎么办？？？！！", "延续注册怎么办?!"),        # repeated punctuation
    ("初使注册要带啥", "初始注册要带什么"),                 # near-miss procedure name, colloquial 啥
    ("延续住册", "延续注册"),
    ("注销住册的材料", "注销注册的材料"),
    ("专业变跟", "专业变更"),
    ("监理协汇电话", "监理协会电话"),
    ("社宝证明", "社保证明"),
    ("身份证姓名等其它变更", "身份证姓名等其他变更"),
    ("公司gai名了 zhengshu咋办", "公司改名了证书怎么办"),  # pinyin next to Chinese
    ("住册监理初是注册要带啥", "注册监理初始注册要带什么"),  # pinyin-input slips: 住册, 初是
    ("延续注侧要带一寸招吗", "延续注册要带一寸招吗"),
    ("领证要带介少信吗😂", "领证要带介绍信吗"),              # the middle character of a three-character name; emoji
    ("我们company改name了", "我们公司改名了"),               # English words among Chinese  # 一寸招 is a known way to write 一寸照 (materials.yml)
    ("i want to gain access", "i want to gain access"),  # English is left alone
])
def test_normalises(raw, clean):
    assert normalise(raw) == clean


@pytest.mark.parametrize("text", [
    "注册证书丢了", "转注册要带什么", "换了单位,转注册需要带哪些材料", "我已经注册过了",
    "延续注册需要带一寸照吗", "申请表是什么时候打印", "系统里已经上报了,还需要跑窗口吗",
    "监理工程师管理信息系统操作报错", "身份证姓名等变更", "我的证书注销了吗", "监理注册开发票", "身份证后四位1234",
    "去拿新证书要带什么",  # 拿 is not a misspelt 换 (换新证书): one action for another is no typo
    "从网上申报到拿到新证书",  # nor 到: the first character of 换新证书 is never the typo
    "我们公司王小明的证书可以去领了吗",  # a name before 的证书 is not a misspelt 旧的证书
    "请问是监理工程师注册的咨询吗",  # a function word is a typo only as the one slip inside a name
    "申请人姓名", "委托人",  # the last character of a three-character name is never the slip
])
def test_correct_text_is_left_alone(text):
    assert normalise(text) == text


def test_bad_input():
    assert normalise("") == ""
    assert normalise("   \t\n ") == ""
    assert normalise("\x00\x07初始\u200b注册\ufeff") == "初始注册"
    assert normalise("/choose_procedure{\"procedure\":\"lost\"}") == "/choose_procedure{\"procedure\":\"lost\"}"
    huge = "初始注册" * 100_000
    assert len(normalise(huge)) <= MAX_LENGTH * 4


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_handled_and_normalising_twice_changes_nothing(text):
    once = normalise(text)
    assert isinstance(once, str)
    assert normalise(once) == once
