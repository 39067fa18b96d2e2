"""Who is who when several colleagues are discussed (bot.people)."""
import pytest

from bot import people, understand
from bot.normalise import normalise

READ = understand.default().procedures_in


def test_colleagues_are_named_with_their_procedures():
    text = normalise("我在帮两个同事办事：老王要延续注册，小陈证书丢了要补办。先说老王的要带什么")
    found = people.introduced(text, READ)
    assert found == [("老王", "renewal"), ("小陈", "lost")]
    assert people.first_only(text, found, READ) == "renewal"


@pytest.mark.parametrize("text, expected", [("小陈的呢", "lost"), ("老王那个要不要交照片", "renewal"),
                                            ("另一个呢", "lost"), ("第一个人批下来以后呢", "renewal"),
                                            ("延续注册要带什么", None)])
def test_a_later_message_means_that_colleague(text, expected):
    known = people.merged([], [("老王", "renewal"), ("小陈", "lost")])
    assert people.asked_about(normalise(text), known, current="renewal") == expected


def test_words_that_look_like_names_are_not_colleagues():
    for text in ("我们公司有个老同志不干了，证要销掉", "员工离职了，转注册要带什么"):
        assert all(label.startswith("#") for label, _ in people.introduced(normalise(text), READ))


def test_unnamed_procedures_of_a_message_about_several_are_remembered_but_not_asked_by_name():
    found = people.introduced(normalise("公司改名要变更注册，同时还有个员工离职要注销"), READ)
    known = people.merged([], found)
    assert people.procedures_of(known) == ["rename", "cancellation"]
    assert people.asked_about("另一个呢", known, current="rename") is None
