"""The conversation core's pipeline: which route answers, the topic held against things that
belong to other procedures, and dates read by their role (in-process, no Rasa)."""
from datetime import date, datetime, timezone

import pytest

from bot import dates, knowledge, routes, understand
from bot.dialogue import Responder, State, Turn
from bot.normalise import normalise

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def responder():
    return Responder(knowledge.default(), understand.default())


def say(responder, state, text, today=TODAY):
    reply = responder.respond(Turn(text=normalise(text)), state, today)
    shown = "\n".join(m.get("text", "") + "".join(b["title"] for b in m.get("buttons", [])) or m.get("response", "")
                      for m in reply.messages)
    return reply, shown


def visit(responder, *texts, today=TODAY):
    state, replies = State(), []
    for text in texts:
        reply, shown = say(responder, state, text, today)
        state = reply.state
        replies.append((reply, shown))
    return replies


def test_every_route_has_a_chinese_label_and_a_unique_name():
    names = [r.name for r in routes.ROUTES]
    assert len(names) == len(set(names))
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r.label) for r in routes.ROUTES)
    assert routes.ROUTES[-1].name == "aspect"  # the last route always applies


@pytest.mark.parametrize("text, route", [
    ("初始注册需要带什么材料", "aspect"),
    ("延续注册收费吗", "silent_topic"),
    ("监理锁找谁", "topic"),
    ("我要转人工", "handoff"),
    ("ZJ2026000101到哪一步了", "status_lookup"),
    ("我要办变更", "clarify"),
])
def test_the_reply_names_the_route_that_answered(responder, text, route):
    reply, _ = say(responder, State(), text)
    assert reply.route == route


@pytest.mark.parametrize("first, question, absent, listed", [
    ("我的证书明年2月到期，要续", "要不要再开一份老单位的解聘证明？", "解聘证明", "延续注册申请表"),
    ("公司改名了要办手续", "要户口本吗？", "户口本", "营业执照复印件"),
    ("我换了单位，要转过去", "那还用登报吗？", "省级以上报刊", "变更注册申请表"),
    ("我们要办注销", "要交营业执照吗", "营业执照", "注销注册申请表"),
])
def test_a_material_of_another_procedure_does_not_drag_the_topic(responder, first, question, absent, listed):
    (_, _), (reply, shown) = visit(responder, first, question)
    assert "不需要" in shown and absent in shown and listed in shown
    before = visit(responder, first)[0][0].state.procedure
    assert reply.state.procedure == before  # and the conversation stays there


def test_a_situation_described_does_change_the_topic(responder):
    (_, _), (reply, shown) = visit(responder, "我的证书明年2月到期，要续", "我同事证书丢了，要登报吗")
    assert reply.state.procedure == "lost" and "省级以上报刊" in shown


def test_today_as_stated_is_not_the_expiry(responder):
    (reply, shown), = visit(responder, "今天是2026年12月4日，我的证书2027年2月28日到期，现在能报延续吗")
    assert "2027年2月28日" in shown and "可以" in shown and "还不能" not in shown


def test_a_birth_year_is_not_the_expiry(responder):
    (reply, shown), = visit(responder, "我1968年出生的，证书2027年6月30日到期，现在能续吗")
    assert "还不能" in shown and "2027年3月30日" in shown


def test_a_date_stated_as_today_holds_for_the_conversation(responder):
    replies = visit(responder, "今天是2027年2月1日", "我的证书2027年4月20日到期，现在能报延续吗", today=TODAY)
    _, shown = replies[1]
    assert "可以" in shown and "还不能" not in shown  # the window opened on 2027-01-20; from 2026-12-04 it would not be


def test_todays_date_is_the_offices_not_the_servers(monkeypatch):
    monkeypatch.delenv("HELPDESK_TODAY", raising=False)
    late_utc = datetime(2026, 12, 3, 20, 30, tzinfo=timezone.utc)  # 04:30 on 4 December in Beijing
    assert dates.today(late_utc) == date(2026, 12, 4)
    assert dates.today(datetime(2026, 12, 4, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 4)
    assert dates.today(datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)) == date(2026, 12, 5)


@pytest.mark.parametrize("text, expected", [
    ("今天是12月4号，证书明年3月1日到期", date(2027, 3, 1)),
    ("我2015年考的证，有效期到2027年1月15日", date(2027, 1, 15)),
    ("2023年转过来的，现在证书有效期到2027年3月1日", date(2027, 3, 1)),
    ("1970年生人，证2027年5月底到期", date(2027, 5, 31)),
])
def test_the_expiry_among_other_dates(text, expected):
    assert dates.find_expiry(text, TODAY).value == expected


def test_each_colleague_is_answered_from_their_own_procedure_and_date(responder):
    replies = visit(responder, "帮我看看几个同事的延续：小李2027年1月20日到期，老周2027年5月20日到期，小吴2026年11月28日已经到期了。谁现在能报？",
                    "老周具体哪天开始能报", "小吴呢")
    (_, first), (_, zhou), (_, wu) = replies
    assert "小李：可以" in first and "老周：现在还不能" in first and "小吴：不能" in first
    assert "2027年2月20日" in zhou and "小李" not in zhou
    assert "小吴" in wu and "2026年11月28日" in wu and "现在就可以" not in wu


def test_a_question_about_all_of_them_gets_a_line_each(responder):
    replies = visit(responder, "我手上有四件事：小王初始注册，老张注销，小陈从外单位转进来，小李延续。先说小王的要带什么",
                    "哪几个要交解聘证明？")
    reply, shown = replies[1]
    assert reply.route == "each_person"
    lines = dict(line.split("：", 1) for line in shown.splitlines())
    assert "不需要" in lines["小王（初始注册）"] and "不需要" in lines["小李（延续注册）"]
    assert "解聘证明" in lines["老张（注销注册）"] and "解聘证明" in lines["小陈（转注册）"]
    assert "不需要" not in lines["老张（注销注册）"]


def test_the_two_kinds_of_a_name_the_guide_gives_twice_are_compared(responder):
    (reply, shown), = visit(responder, "指南里有两个遗失补办，它们交的材料有什么区别？")
    assert reply.route == "compare" and "省级以上报刊" in shown and "证书原件" in shown


def test_the_answerable_part_of_a_partly_silent_question(responder):
    (reply, shown), = visit(responder, "遗失补办在哪登报？登报要多少钱？")
    assert "省级以上报刊" in shown and "没有关于收费的说明" in shown and "元" not in shown


def test_someone_going_in_their_place(responder):
    replies = visit(responder, "我刚考出来，要第一次注册", "我自己没空，公司同事能帮我去吗？", "那同事去要带什么？")
    assert "代办" in replies[1][1] and "单位介绍信" in replies[2][1]


def test_a_story_then_the_question(responder):
    replies = visit(responder, "我证书明年2月到期要续", "撤回重报以后，窗口要带什么？")
    assert "延续注册申请表" in replies[1][1] and "88381873" not in replies[1][1]


@pytest.mark.parametrize("text", ["那一建证书的转注册在哪办？", "造价工程师的注销去哪办", "新开一家监理公司，公司营业执照怎么办理？",
                                  "我在江苏南京的公司，江苏省的监理工程师注册去哪个窗口交材料？"])
def test_other_offices_business_gets_none_of_our_facts(responder, text):
    (reply, shown), = visit(responder, text)
    assert reply.route == "not_ours"
    assert not any(digits in shown for digits in ("81956261", "88381756", "88381873", "68313292", "68362887"))


def test_a_general_question_gets_the_general_answer(responder):
    (reply, shown), = visit(responder, "申请表在哪填？")
    assert reply.route == "general" and "企业版注册监理工程师管理系统" in shown and "上报后打印申请表" in shown


def test_the_check_blocks_a_material_of_another_procedure_and_two_verdicts():
    from bot import check
    kb, reader = knowledge.default(), understand.default()
    wrong = [{"text": "需要。延续注册受理时需携带解聘证明原件或复印件，一份。"}]
    assert check.problems(kb, reader.material_aliases, "aspect", ["renewal"], wrong)
    absent = [{"text": "不需要。办事指南中延续注册的办理材料里没有解聘证明。\n受理材料清单：\n1. 延续注册申请表原件"}]
    assert not check.problems(kb, reader.material_aliases, "aspect", ["renewal"], absent)
    linked = [{"text": "【身份证姓名等其他变更】领取：建设部审核通过后，再申请遗失补办。随后办理【遗失补办（身份证、姓名等变更后补办证书）】"
                       "：1. 遗失补办申请表原件 2. 一寸照原件 3. 情况说明 4. 证书原件"}]
    assert not check.problems(kb, reader.material_aliases, "aspect", ["personal_change"], linked)
    both = [{"text": "可以，现在就可以申报延续注册。"}, {"text": "现在还不能申报延续注册。"}]
    assert check.problems(kb, reader.material_aliases, "topic", ["renewal"], both)
    ours = [{"text": "抱歉，这不是我们的业务。请咨询监理协会0571-81956261。"}]
    assert check.problems(kb, reader.material_aliases, "not_ours", [], ours)


def test_a_blocked_answer_is_not_sent(responder, monkeypatch):
    from bot import check
    monkeypatch.setattr(check, "problems", lambda *args, **kwargs: ["forced"])
    reply, shown = say(responder, State(), "初始注册需要带什么材料")
    assert reply.route == "blocked:aspect" and not reply.understood and "初始注册申请表" not in shown


def test_the_console_shows_which_route_answered_in_chinese(tmp_path):
    from bot.console.pages import message_item
    from bot.gateway.store import ConversationStore
    store = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    conversation = store.conversation("web", "visitor-1").id
    store.add_bot_messages(conversation, [{"text": "不需要。"}], {"intent": "ask_materials", "confidence": 0.9,
                                                                  "understood": True, "route": "aspect"})
    shown = str(message_item(store.history(conversation)[-1]))
    assert "答复：业务解答" in shown and "aspect" not in shown


def test_the_core_benchmark_replays_conversations_and_reports_its_figures():
    from bench import core
    figures = core.time_core([["初始注册要带什么", "那要照片吗"], ["延续注册收费吗"]])
    assert figures["turns"] == 3 and set(figures) >= {"p50_ms", "p95_ms", "mean_ms", "turn_30_ms"}


# -- classes found by sets 52-55 -----------------------------------------------------------

def test_a_named_colleague_is_one_person_even_beside_another_colleague(responder):
    replies = visit(responder, "我是公司人事，同事小王证书丢了，另一个同事小李要从别的单位换到我们公司来，分别要什么",
                    "小李那边要不要一寸照")
    assert replies[-1][0].state.procedure == "transfer" and "不需要" in replies[-1][1]


def test_full_names_are_colleagues_and_a_name_may_precede_its_procedure(responder):
    replies = visit(responder, "帮三个同事办：张伟刚考出来，第一次注册；刘芳的证书明年1月31号到期，要延续；陈刚是从别的公司跳槽过来的。",
                    "陈刚去2号窗口要带哪些材料？", "张伟的证书公布以后，去领的时候要带什么？")
    assert "变更注册申请表原件" in replies[1][1] and "解聘证明" in replies[1][1]
    assert "初始注册" in replies[2][1] and "单位介绍信" in replies[2][1]


def test_another_professions_certificate_describes_no_procedure_of_ours(responder):
    replies = visit(responder, "我今年刚考过监理工程师，想注册到现在的公司", "我还有个二级建造师注册在别的单位，有影响吗",
                    "要不要带注册证书原件")
    assert replies[1][0].state.procedure == "initial" and "不需要" in replies[2][1]


@pytest.mark.parametrize("text, planned, verdict", [
    ("我的证书2027年1月20日到期，我打算2027年1月25日再去交延续材料，来得及吗", "2027-01-25", "来不及"),
    ("证书2027年3月1日到期，打算2026年12月10日去交延续材料可以吗", "2026-12-10", "可以，来得及"),
])
def test_the_day_one_plans_to_hand_in_on_is_judged_not_today(responder, text, planned, verdict):
    reply, shown = say(responder, State(), text)
    assert dates.find_planned(text, TODAY).isoformat() == planned
    assert shown.startswith(verdict) and "还不能" not in shown


def test_a_plan_later_in_the_visit_is_judged_against_the_expiry_said_earlier(responder):
    replies = visit(responder, "今天是2026年12月4日，我的证2027年2月10日到期，现在能申请延续吗？", "要交什么材料？",
                    "要是我拖到2027年2月底才去交呢？")
    assert replies[-1][1].startswith("来不及") and "2027年2月10日" in replies[-1][1]


def test_a_past_day_said_as_past_is_not_next_years(responder):
    reply, shown = say(responder, State(), "今天是12月4号，我的注册证书11月30号就过期了，现在还能办延续注册吗？")
    assert "不能办理延续注册" in shown and "2026年11月30日" in shown


@pytest.mark.parametrize("question, answer, route", [
    ("退休了没有解聘证明，退休证行不行", "没有关于能否用退休证代替", "unlisted_material"),
    ("要带考试合格证明吗", "不需要。办事指南中注销注册的办理材料里没有考试合格证明", "unlisted_material"),
    ("证书原件不带行不行", "不行，需要带", "aspect"),
])
def test_documents_the_guide_does_not_list_and_leaving_one_out(responder, question, answer, route):
    replies = visit(responder, "我们公司有个老监理退休了，他的注册要注销", question)
    assert answer in replies[-1][1] and replies[-1][0].route == route


def test_verbs_are_not_documents(responder):
    for text in ("遗失补办的新证本人没空去领，单位的人能代领吗", "延续批下来了，要不要把旧证带过去", "公司改名的那批证审完了，要拿着证去哪里盖章吗"):
        assert responder.reader.read(normalise(text)).unlisted is None, text


def test_a_correction_answers_what_the_corrected_procedure_needs(responder):
    replies = visit(responder, "我想加个专业，要准备啥", "哦不对，我搞错了，其实是证书快到期了要续，明年1月10号到期")
    assert "延续注册申请表原件" in replies[-1][1] and "可以" in replies[-1][1]
    replies = visit(responder, "我们单位要转注册，要什么材料", "不对，我说错了，其实是公司名字变了，人没动", "那还要解聘证明吗")
    assert "营业执照复印件" in replies[1][1] and replies[2][1].startswith("不需要")


def test_item_8_keeps_its_conversation_and_names_what_the_reissue_needs(responder):
    replies = visit(responder, "我改过名字，现在身份证上的名字跟监理证不一样", "要带证书原件吗", "然后呢", "那个要带啥")
    assert replies[1][1].startswith("不需要") and "审核通过后还要办理遗失补办" in replies[1][1]
    assert replies[1][0].state.procedure == "personal_change"
    assert "遗失补办申请表原件" in replies[3][1]


@pytest.mark.parametrize("first, follow_up, expected", [
    ("延续注册", "公告在哪看", "单位介绍信"),  # then 到时候带什么: collecting
    ("我现在是房建专业，想再加一个市政专业，要怎么办", "还要别的材料吗", "只需携带"),
    ("我身份证从15位升到18位了，证上还是老号码", "办完就好了吗", "遗失补办"),
    ("公司改名了", "那这个批了之后也要补办吗", "不需要补办"),
    ("我延续注册的材料已经交到2号窗口了", "之后还剩什么要做？", "浙江省建设信息港"),
])
def test_what_remains_follows_the_procedure_in_context(responder, first, follow_up, expected):
    texts = [first, follow_up] + (["到时候带什么"] if follow_up == "公告在哪看" else [])
    assert expected in visit(responder, *texts)[-1][1]


@pytest.mark.parametrize("text, topic", [
    ("如果已经交到窗口受理了还能撤吗", "withdraw_after_acceptance"),
    ("解聘证明谁开", "issuer"),
    ("周末窗口开门吗", "office_hours"),
    ("他原来公司不肯给解聘证明怎么办", "unobtainable"),
    ("网址是多少", "website_address"),
    ("每个人都要单独报一份吗", "per_person"),
])
def test_more_questions_the_guide_is_silent_on(responder, text, topic):
    state = State(procedure="transfer", last_question="转注册要带什么", last_aspect="materials")
    reply, shown = say(responder, state, text)
    assert reply.route == "silent_topic" and "办事指南中没有" in shown
    assert responder.reader.read(normalise(text)).silent.id == topic


def test_a_place_put_forward_for_confirmation_is_confirmed(responder):
    reply, shown = say(responder, State(), "延续注册是在2号窗口交材料吧")
    assert shown.startswith("是的")
    reply, shown = say(responder, State(), "延续注册是在3号窗口交材料吧")
    assert not shown.startswith("是的")


def test_where_results_are_announced_is_no_lookup(responder):
    reply, shown = say(responder, State(procedure="initial", last_question="初始注册要啥材料"), "批了去哪看结果？")
    assert reply.route != "status_lookup" and "浙江省建设信息港" in shown


def test_a_situation_denied_or_told_through_a_material_keeps_the_topic(responder):
    replies = visit(responder, "我今年刚考过监理，第一次注册要带啥", "要不要带那个解聘证明？我之前没在别的单位注册过")
    assert replies[-1][1].startswith("不需要") and "初始注册" in replies[-1][1] and "转注册" not in replies[-1][1]
    replies = visit(responder, "证书搬家弄丢了", "要原单位的解聘证明吗？我没换过单位")
    assert replies[-1][1].startswith("不需要") and "遗失补办" in replies[-1][1]
    replies = visit(responder, "我们单位名字要变了", "不对，我搞错了，是我本人要跳到另一家公司，不是公司改名",
                    "那营业执照复印件和工商变更证明还要吗")
    assert "企业更名" not in replies[1][1] and "转注册" in replies[1][1]
    assert replies[2][1].startswith("不需要") and "转注册" in replies[2][1]


@pytest.mark.parametrize("text, procedure", [
    ("证书丢了，遗失声明登在我们市里的晚报上算不算数", "lost"),  # the match is cut before 遗失声明, not dropped
    ("新招的监理原单位已经给他开了解聘证明，我们去窗口还要带什么", "transfer"),  # something done with the document
    ("不是丢了 是改名以后换新证书", "reissue_after_change"),  # the denial ends where 是 begins
])
def test_situations_read_around_materials_and_denials(responder, text, procedure):
    assert responder.reader.procedures_in(normalise(text)) == [procedure]


def test_a_date_in_brackets_after_today_is_today_and_a_colleagues_date_is_theirs(responder):
    replies = visit(responder, "我们公司有三个人：郑丽离职了要注销，林峰是从别的公司转过来的，徐婷证书2027年1月20日到期。"
                               "先说郑丽注销要什么？", "徐婷今天（12月4日）能报延续吗？")
    first, second = replies[0][1], replies[1][1]
    assert "注销注册申请表" in first and "延续" not in first  # only 郑丽 was asked about
    assert "2027年1月20日到期" in second and "2026年12月4日到期" not in second


def test_last_months_day_is_a_past_expiry(responder):
    reply, shown = say(responder, State(), "同事的证书上个月30号就过期了，还能办延续吗？")
    assert "2026年11月30日" in shown and "不能" in shown


def test_every_colleague_answered_by_name_and_the_same_answer_said_once(responder):
    replies = visit(responder, "我们公司有三个人：郑丽离职了要注销，林峰是从别的公司转过来的，徐婷证书2027年1月20日到期。"
                               "先说郑丽注销要什么？", "他们三个都要交什么申请表，帮我列一下。", "他们三个的申请表都是在哪个系统里填的？")
    listed, system = replies[1], replies[2]
    assert listed[0].route == "each_person"
    assert all(x in listed[1] for x in ("郑丽（注销注册）", "注销注册申请表", "林峰（转注册）", "变更注册申请表", "延续注册申请表"))
    assert "都一样" in system[1] and "注册监理工程师管理系统" in system[1]


def test_which_colleague_is_which_can_be_swapped(responder):
    replies = visit(responder, "我们公司有两个人要办事：陈刚证书丢了，孙磊离职了要注销。先说陈刚，要带什么材料去窗口？",
                    "等等我说反了，丢证的是孙磊，离职要注销的是陈刚。那陈刚现在要交什么？", "他们两个谁需要交注册证书原件？")
    assert "注销注册申请表" in replies[1][1] and "遗失补办申请表" not in replies[1][1]
    assert "陈刚（注销注册）：需要" in replies[2][1] and "孙磊（遗失补办（注册证书遗失））：不需要" in replies[2][1]


def test_a_follow_up_after_an_answer_for_each_colleague_stays_with_each(responder):
    replies = visit(responder, "同事周杰的证书找不到了，要补办，先在网上做什么？", "同事刘芳想增加专业，她要交一寸照吗？",
                    "他俩批下来以后，哪个要带注册证书去贴条？", "贴条的时候盖的是什么章？")
    assert replies[2][0].route == "each_person" and "刘芳" in replies[2][1]
    assert replies[3][0].route == "each_person" and "注册监理工程师注册管理专用章" in replies[3][1]


def test_english_words_among_chinese(responder):
    replies = visit(responder, "Hi，我想 add 一个专业到我的注册证书上，procedure 是怎样的？", "pick up的时候要带什么")
    assert "专业变更（增加）" in replies[0][1] and "单位介绍信" in replies[1][1]


@pytest.mark.parametrize("text", ["我是江苏南京的，想注册一级建造师，去哪里办、打什么电话？", "他原来在江苏交的社保怎么转到杭州？"])
def test_another_profession_or_social_insurance_transfer_is_not_ours(responder, text):
    reply, shown = say(responder, State(procedure="transfer", last_question="转注册要交什么"), text)
    assert reply.route == "not_ours" and "010-" not in shown and "0571-" not in shown


def test_withdrawing_after_acceptance_and_what_is_printed_after_withdrawing(responder):
    replies = visit(responder, "系统里给新人报初始注册，照片传错了，已经上报了，还没去省厅交纸质材料，能撤吗",
                    "如果纸质材料已经交到2号窗口受理了呢？还能撤吗", "撤回改好后再上报，要打印什么", "那我怎么知道审过了没")
    assert "010-88381873" in replies[0][1]
    assert replies[1][0].route.startswith("silent_topic") and "没有关于材料已送到省厅受理以后能否撤回" in replies[1][1]
    assert "上报后打印申请表" in replies[2][1]
    assert "浙江省建设信息港" in replies[3][1]


def test_original_or_copy_is_answered_with_the_form(responder):
    replies = visit(responder, "我名字改了，身份证上的名字变了", "户口本交原件还是复印件？", "转注册的解聘证明要原件还是复印件")
    assert replies[1][1].startswith("户口本交复印件")
    assert replies[2][1].startswith("解聘证明原件或复印件均可")


def test_a_pending_choice_between_two_is_answered_for_both_until_one_is_picked(responder):
    replies = visit(responder, "我的监理证书要补一个", "要带什么", "其实我说错了，证没丢，是我改名字了证上还是老名字，那要带什么")
    assert replies[0][0].route == "clarify" and replies[0][1].count("遗失补办") == 2
    assert "省级以上报刊" in replies[1][1] and "情况说明（本人签字和单位盖章）" in replies[1][1]
    assert "户口本复印件" in replies[2][1]  # the situation told replaces the choice offered


@pytest.mark.parametrize("first, text, expected", [
    ("解聘证明要交吗，转注册", "解聘证明要原来单位盖章吗", "没有说明解聘证明是否需要签字或盖章"),
    ("身份证号码更正了", "户口本复印件要盖章吗？", "没有说明户口本是否需要签字或盖章"),
])
def test_who_signs_or_seals_is_said_only_where_the_guide_says_it(responder, first, text, expected):
    replies = visit(responder, first, text)
    assert expected in replies[-1][1] and not replies[-1][1].startswith("需要")


@pytest.mark.parametrize("texts, topic", [
    (("我要转到新单位，同时想增加一个专业", "这两个能同时办吗？"), "merged"),
    (("注销注册", "注销了以后过几年还能再注册回来吗"), "reregister"),
    (("初始注册", "审核不通过会咋样"), "review_failed"),
    (("企业更名", "贴条要排多长时间队"), "queue"),
    (("我现在注册的是房建，想再加一个市政的专业", "加专业要不要先修继续教育学时"), "continuing_education"),
])
def test_more_silent_topics_in_a_conversation(responder, texts, topic):
    reply, shown = visit(responder, *texts)[-1]
    assert reply.route.startswith("silent_topic") and "办事指南中没有" in shown


def test_procedures_that_follow_one_another_are_not_a_silent_merger(responder):
    reply, shown = say(responder, State(), "身份证号变更和补办证书能同时报吗")
    assert not reply.route.startswith("silent_topic") and "遗失补办" in shown


@pytest.mark.parametrize("texts, expected", [
    (("延续注册", "还要带单位介绍信吗？", "证书呢？"), "注册证书原件"),  # a material after a collection verdict: collecting
    (("证书上有效期到2027年2月28号", "要去哪个窗口", "我孙子帮我在网上弄行不行"), "企业登录企业版注册监理工程师管理系统"),
    (("我不打算干监理了，想把注册的证退掉", "带哪些东西"), "注销注册申请表"),
    (("我要注册监理，第一次弄，去窗口要带什么材料",), "初始注册申请表"),
    (("我从原来那家监理公司辞职了，下个月去新公司，证要怎么跟过去", "老单位要给我开啥"), "解聘证明"),
])
def test_follow_ups_and_first_turns_in_everyday_words(responder, texts, expected):
    assert expected in visit(responder, *texts)[-1][1]


@pytest.mark.parametrize("text", ["上海的注册监理工程师初始注册也是到你们省厅2号窗口交材料吗？",
                                  "我在江苏的监理公司，注册监理工程师延续注册是交到你们2号窗口吗？",
                                  "我们公司的一级建造师证书改名也是在你们这里办吗？"])
def test_another_provinces_or_professions_office_is_not_ours(responder, text):
    reply, shown = say(responder, State(procedure="rename", last_question="公司改名了"), text)
    assert reply.route == "not_ours" and "010-" not in shown and "0571-" not in shown


def test_colleagues_typed_without_punctuation_are_each_answered(responder):
    reply, shown = say(responder, State(), "你好 我是杭州一家监理公司的人事 手上有三个人要办 老王证书明年1月20号到期要延续 "
                                           "小李刚考出来要初始注册 张工证书搞丢了 分别要交什么")
    assert reply.route == "each_person" and reply.state.people == ["老王=renewal@2027-01-20", "小李=initial", "张工=lost"]
    assert all(x in shown for x in ("延续注册申请表", "初始注册申请表", "遗失补办申请表"))
    reply, shown = say(responder, reply.state, "张工那个登报是必须的吗 我们没登")
    assert "情况说明" in shown and "遗失补办" in shown


@pytest.mark.parametrize("texts, expected, unexpected", [
    (("我的监理证上个月25号就过期了 还能延续吗", "那我现在该办啥 重新初始注册？"), "办事指南中没有关于注册证书过期后如何处理", "初始注册申请表"),
    (("延续注册", "贴完条还有别的手续吗"), "就办完了", "申报："),
    (("延续注册", "延续批了以后要是我出差 让公司综合部的人去贴条行不行"), "可以，本人或企业代办人员均可办理", "需要。"),
    (("单位改名了", "批了以后是不是还要申请遗失补办换新证"), "不需要补办", "户口本"),
    (("延续注册", "批了之后证书要交上去吗还是换新证"), "贴条", "户口本"),
    (("转注册要交的两张一寸照片需要贴在申请表上吗？",), "不需要。办事指南中转注册的办理材料里没有一寸照", "办事指南中没有关于一寸照"),
    (("初始注册", "一寸照要贴在表上还是单独交"), "办事指南中没有关于一寸照是贴在申请表上", "不需要"),
    (("证书丢了要补", "我同事也要补证，不过他是因为身份证改了名字"), "户口本复印件", "省级以上报刊"),
    (("申请表是去窗口领空白表，还是自己打印？弄好了交到哪里？",), "2号窗口", "请问您要咨询哪项业务"),
    (("我们公司新来的小王刚考过，要初始注册，带什么材料", "几份？", "那刘工呢，他证书明年3月10号到期，要办延续"),
     "延续注册申请表", "一寸照"),
])
def test_more_follow_ups_read_against_the_conversation(responder, texts, expected, unexpected):
    shown = visit(responder, *texts, today=date(2026, 12, 6))[-1][1]
    assert expected in shown and unexpected not in shown


def test_a_compound_surname_and_a_month_end_are_read(responder):
    reply, shown = say(responder, State(), "还有个诸葛工 明天就到期了 今天在系统上报 来得及吗", today=date(2026, 12, 6))
    assert shown.startswith("诸葛工：") and "有效期内" in shown
    reply, shown = say(responder, State(), "证书下个月月底到期，最晚什么时候得把延续报上去？", today=date(2026, 12, 6))
    assert "1月31日" in shown


@pytest.mark.parametrize("texts, topic", [
    (("延续注册", "到时候我在外地 同事帮我去窗口交行不行"), "proxy_intake"),
    (("初始注册", "资格证拿到以后多久内必须注册"), "register_deadline"),
    (("延续注册", "我证书下个月15号就到期了 到期前没批下来会怎样"), "review_failed"),
    (("我的监理注册上个月底就到期了 忘了续 现在还能办延续吗", "那咋办 要重新走初始注册吗"), "after_expiry"),
])
def test_silent_topics_of_the_last_round(responder, texts, topic):
    reply, shown = visit(responder, *texts, today=date(2026, 12, 6))[-1]
    assert reply.route.startswith("silent_topic") and "办事指南中没有" in shown


def test_a_silent_part_and_a_count_in_one_message(responder):
    reply, shown = visit(responder, "初始注册", "打出来要盖公章吗，要几份")[-1]
    assert "办事指南中没有" in shown and "一份" in shown


def test_named_month_ends(responder):
    assert dates.find_expiry("我的监理注册上个月底就到期了", date(2026, 12, 6)).value == date(2026, 11, 30)
    assert dates.find_expiry("证书下个月底到期", date(2026, 12, 6)).value == date(2027, 1, 31)
    assert dates.find_expiry("证书本月底到期", date(2026, 12, 6)).value == date(2026, 12, 31)
