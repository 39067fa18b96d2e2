"""Status lookups through the real running bot (cases from tests/data/cases.csv)."""
import pytest


def test_form_in_turns(running_bot):
    me = running_bot.new_sender()
    assert "申请编号" in running_bot.text("我想查一下我的申请到哪一步了", me)
    assert "姓名" in running_bot.text("ZJ2026100001", me)
    reply = running_bot.text("陈静", me)
    assert "已公告" in reply and "贴条" in reply and "注册证书原件" in reply
    assert "2026年11月21日" in reply


def test_one_message_in_either_order(running_bot):
    reply = running_bot.text("查询进度，申请编号ZJ2026100004，姓名孙丽")
    assert "审核中" in reply and "浙江省建设信息港" in reply
    reply = running_bot.text("姓名：孙丽，帮我查下编号 zj 2026100004 的进度")
    assert "审核中" in reply
    assert "审核中" in running_bot.text("ZJ2026100004 孙丽")


def test_a_name_alone_starts_the_lookup(running_bot):
    me = running_bot.new_sender()
    assert "申请编号" in running_bot.text("我叫孙丽", me)
    assert "审核中" in running_bot.text("ZJ2026100004", me)


def test_i_am_answering_a_clarification_is_not_a_name(running_bot):
    me = running_bot.new_sender()
    assert "哪种情况" in running_bot.text("补证要交旧证书吗", me)
    reply = running_bot.text("我是改了名字以后补证", me)
    assert "情况说明" in reply and "申请编号" not in reply


def test_id_last_four_and_full_width_number(running_bot):
    me = running_bot.new_sender()
    running_bot.text("查询进度", me)
    running_bot.text("ＺＪ２０２６１０００02", me)
    reply = running_bot.text("身份证后四位765x", me)
    assert "身份证姓名等其他变更" in reply and "遗失补办" in reply and "情况说明" in reply


def test_status_phrasing_nlu_may_miss_still_starts_the_lookup(running_bot):
    me = running_bot.new_sender()
    assert "申请编号" in running_bot.text("我的申请现在怎么样了", me)
    assert "姓名" in running_bot.text("ZJ2026100005", me)
    assert "已办结" in running_bot.text("吴刚", me)


def test_next_steps_by_stage(running_bot):
    reported = running_bot.text("查询进度，申请编号ZJ2026100003，姓名周敏")
    assert "已上报" in reported and "2号窗口" in reported and "010-88381873" in reported
    done = running_bot.text("查询进度，申请编号ZJ2026100005，姓名吴刚")
    assert "已办结" in done


def test_timeline_payload_marks_the_stage(running_bot):
    messages = running_bot.send("查询进度，申请编号ZJ2026100004，姓名孙丽")
    timeline = next(m["custom"] for m in messages if m.get("custom", {}).get("type") == "timeline")
    assert [s["stage"] for s in timeline["steps"]] == ["申报", "受理", "审核", "公告", "领取"]
    assert [s["stage"] for s in timeline["steps"] if s["current"]] == ["审核"]


@pytest.mark.parametrize("message", ["查询进度，申请编号ZJ2026100004，姓名张三",   # wrong name
                                     "查询进度，申请编号ZJ2099999999，姓名孙丽"])  # unknown number
def test_wrong_identity_and_unknown_number_look_the_same(running_bot, message):
    reply = running_bot.text(message)
    assert "未找到与该编号和身份信息匹配的申请" in reply
    for secret in ("孙丽", "嘉兴", "审核中", "2026年11月10日", "2222"):
        assert secret not in reply


def test_lockout_per_sender(running_bot):
    me = running_bot.new_sender()
    for i in range(5):
        assert "未找到" in running_bot.text(f"查询进度，申请编号ZJ20990000{i:02d}，姓名孙丽", me)
    reply = running_bot.text("查询进度，申请编号ZJ2026100006，姓名郑强", me)  # right this time, but locked
    assert "查询失败次数过多" in reply and "已受理" not in reply
    other = running_bot.text("查询进度，申请编号ZJ2026100006，姓名郑强")   # another sender is not locked
    assert "已受理" in other


def test_a_case_number_guessed_at_rests_and_its_owner_is_told(running_bot):
    for name in ("李四", "张三", "周九", "钱七", "孙八"):  # five distinct wrong guesses, five senders: not yet
        running_bot.text(f"查询进度，申请编号ZJ2026100007，姓名{name}", running_bot.new_sender())
    assert "已受理" in running_bot.text("查询进度，申请编号ZJ2026100007，姓名王五", running_bot.new_sender())
    for name in ("吴一", "郑二", "冯三", "陈四", "褚五"):  # ten: the number rests
        running_bot.text(f"查询进度，申请编号ZJ2026100007，姓名{name}", running_bot.new_sender())
    reply = running_bot.text("查询进度，申请编号ZJ2026100007，姓名王五", running_bot.new_sender())
    assert "暂停在线查询" in reply and "转人工" in reply and "已受理" not in reply
    assert "已受理" in running_bot.text("查询进度，申请编号ZJ2026100008，姓名赵六", running_bot.new_sender())


def test_bad_case_number_is_asked_again(running_bot):
    me = running_bot.new_sender()
    running_bot.text("查询进度", me)
    assert "申请编号" in running_bot.text("不知道", me)


def test_a_question_during_the_lookup_is_answered(running_bot):
    me = running_bot.new_sender()
    running_bot.text("查询进度", me)
    reply = running_bot.text("初始注册要带什么材料", me)
    assert "一寸照" in reply
    assert "一寸照" in running_bot.text("那要带什么材料", me)  # the conversation goes on normally


def test_small_talk_while_asked_for_identity_keeps_the_number(running_bot):
    me = running_bot.new_sender()
    assert "姓名" in running_bot.text("帮我查下ZJ2026100001的进度", me)
    for chat in ("我是他同事", "是我本人，你直接查就是了"):
        reply = running_bot.text(chat, me)
        assert "姓名或身份证号后四位" in reply and "申请编号" not in reply and "已公告" not in reply
    assert "已公告" in running_bot.text("陈静", me)


def test_stopping_the_lookup(running_bot):
    me = running_bot.new_sender()
    running_bot.text("查询进度", me)
    assert "姓名" in running_bot.text("ZJ2026100001", me)
    assert "已取消查询" in running_bot.text("算了不查了", me)
    assert "一寸照" in running_bot.text("初始注册要带什么", me)
    running_bot.text("查询进度", me)
    running_bot.text("ZJ2026100001", me)
    reply = running_bot.text("那先不查了，注销要带什么", me)
    assert "解聘证明" in reply and "已取消" not in reply


def test_the_looked_up_records_own_fields_and_what_follows_the_stage(running_bot):
    me = running_bot.new_sender()
    running_bot.text("ZJ2026100001 陈静", me)
    assert "延续注册" in running_bot.text("这个是办的哪个业务", me)  # ZJ2026100001 is 陈静's 延续注册
    assert "2026年11月21日" in running_bot.text("这条记录啥时候更新的", me)
    me = running_bot.new_sender()
    running_bot.text("ZJ2026100004 孙丽", me)
    running_bot.text("下一步是什么？", me)
    reply = running_bot.text("要带什么去？", me)
    assert "单位介绍信" in reply  # what to bring to the collection that follows, not the papers handed in


def test_a_right_id_beside_a_wrong_name_shows_nothing(running_bot):
    me = running_bot.new_sender()
    reply = running_bot.text("帮忙查个进度 ZJ2026100001 陈晶 尾号4321", me)
    assert "已公告" not in reply and "杭州测试监理有限公司" not in reply and "未找到" in reply
    assert "已公告" in running_bot.text("ZJ2026100001 陈静 尾号4321", me)  # both right: shown
