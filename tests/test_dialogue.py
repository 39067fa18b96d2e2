"""What the bot answers, decided in bot.dialogue from the knowledge (no Rasa needed).

Each conversation is a list of (user says, must contain, must not contain); the intent
is left unknown so these prove the knowledge-driven understanding on its own."""
from datetime import date

import pytest

from bot import knowledge, understand
from bot.dialogue import Responder, State, Turn
from bot.normalise import normalise, normalise_words

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def responder():
    return Responder(knowledge.default(), understand.default())


def talk(responder, turns, intent="nlu_fallback"):
    state = State()
    for say, must, must_not in turns:
        reply = responder.respond(Turn(text=normalise(say), intent=intent), state, TODAY)
        state = reply.state
        text = "\n".join(m.get("text", "") + "".join(b["title"] for b in m.get("buttons", [])) or m.get("response", "")
                         for m in reply.messages)
        for s in must:
            assert s in text, f"{say!r}: missing {s!r} in {text!r}"
        for s in must_not:
            assert s not in text, f"{say!r}: {s!r} must not be in {text!r}"
    return state


CONVERSATIONS = {
    "materials as a list": [("初始注册需要带什么材料", ["1. 初始注册申请表原件", "2. 一寸照原件", "省厅2号窗口"], [])],
    "renewal materials have no photo": [("延续注册要准备哪些材料", ["延续注册申请表"], ["一寸照"])],
    "steps in order": [("初始注册的办理流程", ["1. 申报", "2. 受理", "3. 领取", "企业版注册监理工程师管理系统"], [])],
    "one step only": [("转注册受理要去哪里", ["省厅2号窗口"], ["申报："])],
    "collection with what to bring": [("延续注册批下来以后去窗口做什么", ["贴条", "注册证书原件", "单位介绍信"], [])],
    "no collection step": [("注销注册审核通过后怎么领证", ["没有领取环节"], [])],
    "yes: photo needed": [("初始注册要不要带照片", ["需要。", "一寸照"], ["不需要"])],
    "no: photo not needed": [("延续注册需要带一寸照吗", ["不需要"], [])],
    "copies allowed": [("注销注册的解聘证明复印件行吗", ["可以。", "解聘证明原件或复印件"], [])],
    "original required": [("注销注册时注册证书能交复印件吗", ["不可以", "原件"], [])],
    "license copy": [("企业更名需要带营业执照原件吗", ["复印件"], ["需要原件"])],
    "newspaper or statement": [("证书丢了", ["省级以上报刊原件（或情况说明）"], []),
                               ("没登报可以吗", ["可以", "情况说明"], [])],
    "social security": [("注册还需要上传社保证明吗", ["不需要", "2018年11月12日"], [])],
    "other certificates": [("我还有一级建造师证书，初始注册要注意什么", ["先办结", "最后办理国家注册监理工程师"], [])],
    "lock hotline only": [("监理锁怎么申请", ["010-88381756"], ["81956261", "88381873"])],
    "association": [("浙江省监理工程师的事情问谁", ["0571-81956261"], ["88381756"])],
    "withdraw": [("申请已经上报了，材料还没送到省厅，能撤回吗", ["可以", "010-88381873"], [])],
    "review": [("注册审查方面的问题打哪个电话", ["010-68313292", "010-68362887"], [])],
    "two contacts asked": [("监理锁和系统技术问题分别打哪个电话", ["88381756", "88381873"], ["81956261"])],
    "which line handles what": [("技术答疑电话能问注册审查的问题吗", ["68313292", "注册审查方面的问题", "88381873", "技术问题"],
                                 ["81956261"])],
    "need a copy: yes": [("注销注册需要解聘证明复印件吗", ["需要。", "解聘证明原件或复印件"], ["可以。"])],
    "need a copy of an original-only material": [("注销注册需要注册证书复印件吗", ["不可以", "原件"], ["需要。注销"])],
    "all contacts": [("联系电话", ["81956261", "88381756", "88381873", "68313292"], [])],
    "follow-up keeps the procedure": [("延续注册怎么办理", ["延续"], []),
                                      ("那要带什么材料", ["延续注册申请表"], ["一寸照"]),
                                      ("那注销呢", ["注销注册申请表", "解聘证明"], [])],
    "a new procedure replaces the old": [("初始注册要什么材料", ["一寸照"], []),
                                         ("转注册呢", ["解聘证明"], ["一寸照"])],
    "clarify a change": [("我要办变更", ["转注册", "专业变更（增加）", "企业更名", "身份证姓名等其他变更"], []),
                         ("企业更名", ["营业执照", "工商变更证明"], [])],
    "clarify a reissue": [("我要补办证书", ["注册证书遗失", "变更后补办证书"], []),
                          ("不是丢了，是改名以后换新证书", ["情况说明", "证书原件"], ["省级以上报刊"])],
    "clarify by number": [("我要办变更", ["转注册"], []), ("第三个", ["营业执照"], [])],
    "reissue follows a name change": [("身份证姓名变更怎么办", ["户口本"], []),
                                       ("那之后还要办什么", ["遗失补办"], []),
                                       ("那补办要带什么", ["情况说明", "一寸照", "证书原件"], ["省级以上报刊"])],
    "which procedure?": [("要不要带照片", ["请问您要咨询哪项业务"], []), ("延续注册", ["不需要"], [])],
    "common to all procedures": [("纸质材料交到哪里", ["省厅2号窗口"], ["请问您要咨询哪项业务"]),
                                 ("领证可以让同事代领吗", ["可以", "本人或企业代办人员", "单位介绍信"], [])],
    "typos and traditional": [("初使注册要带啥", ["一寸照"], []), ("監理鎖壞了找誰", ["88381756"], [])],
    "long message": [("你好，我们有位同事从别的公司跳槽过来，他的注册证书还挂在原来的单位，要怎么帮他把注册转过来，需要准备哪些资料",
                      ["解聘证明", "注册证书原件"], [])],
    "renewal window open": [("我的证书2027年1月10日到期，现在能办延续吗", ["可以", "2026年10月10日"], [])],
    "renewal window later": [("我的证书2027年6月10日到期，现在能办延续吗", ["还不能", "2027年3月10日"], [])],
    "renewal expired": [("证书2026年10月1日就到期了还能延续吗", ["不能", "有效期"], [])],
    "too early": [("延续注册可以提前半年办吗", ["不可以", "三个月"], [])],
    "out of scope has no numbers": [("明天杭州天气怎么样", ["utter_out_of_scope"], ["81956261", "88381756"]),
                                    ("东坡肉怎么做", ["utter_out_of_scope"], []),
                                    ("一级建造师年薪能拿多少", ["utter_out_of_scope"], ["先办结"])],
    "another office's renewal": [("我驾驶证快到期了怎么延续", ["utter_out_of_scope"], ["延续注册"])],
    "English request is not thanks": [("Write me a SQL query", ["utter_out_of_scope"], ["utter_thanks"]),
                                      ("thanks", ["utter_thanks"], [])],
    "a city paper falls short": [("遗失声明登在市里的晚报上，拿这个去补办行吗", ["不符合要求", "省级以上报刊", "情况说明"], ["可以，"]),
                                 ("登在全国性的报纸上可以吗", ["可以", "省级以上报刊"], ["不符合要求"])],
    "days left in words": [("我的证书还有八十来天到期，现在能延续吗", ["可以", "2027年2月12日", "2026年11月24日"], [])],
    "the guide is silent on fees": [("办延续注册要交多少钱", ["办事指南中没有关于收费的说明", "转人工客服"], ["元"])],
    "the guide is silent on time": [("初始注册从交材料到拿证一般要多少个工作日", ["审核和办理时限"], ["工作日内"]),
                                    ("延续注册最早提前多久", ["三个月"], ["办事指南中没有"])],
    "mailing: what the guide does say": [("材料能不能快递寄到省厅", ["没有关于邮寄的说明", "2号窗口"], ["邮寄地址"])],
    "a fee mentioned in passing is not the question": [("证书掉了，不想花钱登报，有没有别的材料能代替", ["情况说明"],
                                                         ["办事指南中没有"])],
    "someone off topic asks a price": [("顺丰快递多少钱", ["utter_out_of_scope"], ["收费"])],
    "who left: transfer or cancellation": [("有个员工离职了，他的注册我们怎么处理", ["转注册", "注销注册"], ["一寸照"]),
                                           ("他回老家开饭店，不做监理了，也不去别的单位", ["解聘证明", "注册证书"], ["一寸照"])],
    "change and reissue together": [("姓名变更和补办新证能一起报上去吗", ["不能一起", "审核通过后，再申请遗失补办"], [])],
    "what comes after 上报": [("延续注册在系统里点完上报了，接下来干嘛", ["打印申请表", "2号窗口"], ["办事流程"])],
    "the form's name": [("转注册打印出来的是什么名字的申请表", ["变更注册申请表"], [])],
    "collecting once the list is out": [("丢证补办的名单公布了，去拿新证书要带啥", ["单位介绍信"], ["贴条", "情况说明"])],
    "renewal in English": [("My certificate expires on 15 March 2027. Can I apply for renewal now?", ["还不能", "2026年12月15日"], [])],
    "a story about passing the exam": [("我们部门小陈上个月刚考过了监理工程师，公司准备给他报注册，窗口要递哪几样", ["初始注册申请表", "一寸照"], [])],
    "a story about retiring": [("老总监满65岁退休了，以后不在任何单位干监理了，他的注册该怎么了结，要交什么",
                                ["注销注册申请表", "解聘证明"], ["一寸照"])],
    "a specialty named, not the word 专业": [("老张想在证上再添一个水利水电工程，窗口交什么", ["变更注册申请表"], ["解聘证明"])],
    "who signs the statement": [("改完姓名后补办证书，那份情况说明该由谁签字、谁盖章", ["本人签字和单位盖章"], ["贴条"])],
    "two people, two procedures": [("一个员工退休不干了，另一个员工身份证上的名字改了，两件事各要准备什么材料",
                                    ["解聘证明", "户口本复印件"], [])],
    "print before or after 上报": [("申请表是先打印出来再到系统里上报，还是报完了再打", ["上报后打印申请表"], [])],
    "a change is two procedures": [("员工身份证号码更正这件事，在系统里是不是要前后报两个业务", ["再申请遗失补办"], [])],
    "no certificate on the spot": [("遗失补办的材料窗口收下了，是不是当场就能给新证", ["建设部审核通过后"], [])],
    "the letter for collecting is not another office's business": [("领证要的那封介绍信由谁开，街道还是派出所", ["单位介绍信"],
                                                                     ["utter_out_of_scope"])],
    "a day in words next year": [("到期日是明年二月二十五，今天可以报延续吗", ["2026年11月25日"], ["现在就可以"])],
    "expiring today": [("我的证书有效期就到今天为止，延续还赶得上吗", ["今天"], ["不能办理"])],
    "the window's phone is not in the guide": [("省厅2号窗口有没有直拨电话，号码多少", ["没有关于省厅2号窗口的电话的说明"], [])],
    "what a stage means for this procedure": [("转注册", [], []),
                                             ("已退回是不是所有材料都要从头再交一遍", ["重新申报", "上传", "解聘证明"], [])],
    "another profession's registration": [("造价工程师延续注册要带什么", ["utter_out_of_scope"], ["延续注册申请表"])],
    "an expiry said before, asked again": [("我证书昨天到期了", ["不能办理延续注册"], []), ("还能续吗", ["不能办理", "2026年11月23日"], [])],
    "a short answer to which procedure": [("这个怎么办理", ["注销注册"], []), ("退休的那种", ["解聘证明", "注册证书原件"], ["一寸照"])],
    "short names people type": [("初注要带啥材料啊", ["初始注册申请表", "一寸照"], []), ("转注要啥", ["解聘证明"], []),
                                ("延注贴条盖啥章啊", ["监理工程师注册管理专用章"], [])],
    "goodbye in chat style": [("ok了 没事了 88", ["utter_goodbye"], []),
                              ("88381873是干嘛的", ["技术答疑"], ["utter_goodbye"])],
    "a follow-up keeps the topic": [("51号文讲的啥", ["社保"], []), ("哪天开始执行的", ["2018年11月12日"], []),
                                    ("单位那栏呢", ["并为其缴纳了社会保险"], [])],
    "a bare date while discussing renewal": [("延注想问下", ["延续注册"], []), ("27年2月28", ["2026年11月28日"], [])],
    "only the form, and that is right": [("加专业只带申请表就行吧", ["可以，只需"], ["不够"])],
    "what to bring, procedure asked next": [("要带啥啊", ["初始注册", "延续注册"], ["utter_out_of_scope"]),
                                            ("续期那个", ["延续注册申请表"], [])],
    "other qualifications": [("二建转注册要不要解聘证明", ["utter_out_of_scope"], ["需要"]),
                             ("中级职称评审材料怎么准备", ["utter_out_of_scope"], [])],
    "withdrawing beats the technical line": [("系统里报错了 纸质的还没交 能撤回吗", ["撤回", "88381873"], [])],
    "both kinds of 补办 need the photo": [("补证不用交1寸照吧 系统里本来就有照片的", ["一寸照原件", "注册证书遗失", "变更后补办证书"],
                                           ["请问您要补办证书是哪种情况"])],
    "the letter for collecting, every procedure": [("是不是不管啥业务 去领证都得带单位介绍信", ["不是所有业务都需要", "单位介绍信"], [])],
    "after 上报 comes the window": [("注销在系统里报上去了 然后呢", ["2号窗口", "解聘证明"], ["88381873"])],
    "the notice by its name": [("那个简化申报材料的通知 全名叫什么", ["关于进一下简化监理工程师执业资格注册申报材料的通知"], []),
                               ("申请表个人承诺那一栏 现在多了句啥话", ["本人社会保险已由注册单位缴纳"], [])],
    "withdrawing, and if the papers are in": [("系统里报错了 纸质的还没交 能撤回吗", ["撤回"], []),
                                             ("要是已经交到2号窗口了呢", ["还没有送到省厅"], [])],
    "how long a 补证 takes is not in the guide": [("补证一般要多久", ["审核和办理时限"], ["请问您要补办证书是哪种情况"])],
    "English words for materials": [("延注 material list pls", ["延续注册申请表"], ["utter_handoff", "转接人工"])],
    "where a material is used": [("单位介绍信是在哪个环节用的", ["领取时", "初始注册"], []),
                                 ("情况说明在哪两种情况下要交", ["注册证书遗失", "变更后补办证书"], [])],
    "an area code names the line": [("0571开头的那个号码是管什么的", ["监理协会"], ["88381756"]),
                                    ("浙江省的监理工程师证有问题，是打010开头那个电话吧", ["81956261"], ["88381756", "88381873"])],
    "other provinces and the 监理员": [("江苏省住建厅办监理注册在几号窗口", ["utter_out_of_scope"], ["2号窗口"]),
                                      ("监理员证书到期了怎么延续", ["utter_out_of_scope"], ["延续注册申请表"])],
    "a user corrects themself": [("注销要带啥……哦不是注销，是人要转到新单位去", ["变更注册申请表", "解聘证明"], ["注销注册申请表"])],
    "是不是 asks, it does not deny": [("他这种情况是不是转注册，要带啥", ["变更注册申请表"], [])],
    "the step named as the subject": [("申报这一步是在网上报还是到窗口报", ["企业登录企业版注册监理工程师管理系统"], [])],
    "a change before its reissue": [("身份证姓名变更和补办证书，哪个先办", ["再申请遗失补办"], [])],
    "after 受理": [("企业更名", [], []), ("受理之后呢", ["建设部审核通过后"], [])],
    "the address is not in the guide": [("省厅具体在哪条路，2号窗口在几楼", ["省厅的具体地址"], [])],
    "expiry dates in passing": [("我那本证十月份就已经到期了，现在还能走延续吗", ["不能办理"], []),
                                ("证书过期一礼拜了，延续还能补报吗", ["不能办理"], []),
                                ("还有三个月零两天到期，现在报延续行不行", ["2026年11月26日"], ["现在就可以"]),
                                ("元旦过后半个月左右到期，现在能走延续吗", ["可以"], [])],
    "another profession's procedure, close to ours": [("一级建造师初始注册要什么材料", ["utter_out_of_scope"], ["初始注册申请表"])],
    "who approves in the end": [("注册是谁最后审核的，省里还是部里", ["建设部审核通过后"], [])],
    "collecting for someone": [("初始注册的证书可以由公司的人代领吗", ["可以", "企业代办人员", "单位介绍信"], ["不需要"])],
    "identity details by another name": [("个人身份信息变更在系统里上传哪些附件", ["户口本复印件", "身份证复印件"], [])],
    "how many days is not in the guide": [("初注从交材料到拿证大概要几天", ["审核和办理时限"], [])],
    "cancellation asked in English": [("How do I cancel the supervision engineer registration? what documents?", ["解聘证明"], [])],
    "pinyin typed among Chinese": [("公司gai名了 zhengshu咋办", ["营业执照", "工商变更证明"], [])],
    "a business name change in other words": [("我司已完成工商名称变更，公司所有注册监理工程师都要跟着变更，需提交哪些材料",
                                                ["营业执照复印件", "工商变更证明复印件"], ["户口本"])],
    "who reviews after the window": [("转注册材料交到省厅以后由哪里审核", ["建设部审核通过后"], [])],
    "collecting once announced": [("转注册公告了，证书到哪个窗口去拿", ["单位介绍信", "2号窗口"], [])],
    "my own ID and name": [("证书上的信息要改一下", [], []), ("是我自己的身份证姓名", ["户口本复印件"], ["情况说明"])],
    "how we learn it is approved": [("怎么知道证书可以去拿了，会有人通知吗", ["浙江省建设信息港"], [])],
    "a business licence original is not asked": [("改名的话营业执照正本得拿到窗口给你们核对吧", ["营业执照复印件"],
                                                  ["utter_out_of_scope"])],
    # held-out sets 14–16
    "nothing beyond the form": [("增加注册专业去窗口递交时，除了申请表还要别的材料吗", ["不需要", "只需"], ["需要。除"])],
    "more beyond the form": [("注销注册除了申请表还要交别的吗", ["需要。", "解聘证明", "注册证书原件"], [])],
    "one verdict for two procedures": [("初始注册和丢证补办，是不是都要交一寸照？", ["都需要"], [])],
    "贴条 asked as a denial": [("专业增加批下来以后不用贴条吧？", ["需要。", "贴条"], ["不需要"])],
    "no 贴条 where the certificate is collected": [("初始注册领证要贴条吗", ["不需要", "领取注册证书"], [])],
    "the stamps as the guide writes them": [("延注跟加专业 贴条盖的章是同一个不",
                                            ["写法不同", "“监理工程师注册管理专用章”", "“注册监理工程师注册管理专用章”"], ["都需要"])],
    "the reissue without a newspaper": [("补证没登报 有别的法子没", ["情况说明"], ["请问您要补办证书是哪种情况"])],
    "who signs the statement, either kind of 补办": [("补办时的情况说明需要谁签字、要不要盖章", ["本人签字和单位盖章"], [])],
    "who declares online": [("注册申请是我个人自己登录系统报，还是要公司来报？", ["企业登录企业版注册监理工程师管理系统"], [])],
    "after reporting online": [("在系统里上报完了以后，还需要做什么？", ["打印申请表", "2号窗口"], [])],
    "which printed form": [("办转注册的话，打印的是哪一张申请表？", ["变更注册申请表"], [])],
    "a technical line asked with 有没有": [("系统里上传附件总是失败，有没有技术支持电话", ["010-88381873"], ["请问您要咨询哪项业务"])],
    "a line's number, not a person": [("监理系统有没有人工客服电话", ["010-88381873"], ["81956261", "utter_handoff"])],
    "the previous employer": [("新招的总监理工程师注册还在上一家公司，要注册到我们单位来，窗口要交什么？",
                               ["变更注册申请表", "解聘证明", "注册证书原件"], [])],
    "the company's name changed": [("最近公司刚把名字改了 工商那边已经弄好了 要准备什么", ["营业执照", "工商变更证明"], ["户口本"])],
    "re-registering is not a first registration": [("公司改名了，是要每个人都重新注册一遍吗", ["企业更名"], ["一寸照"])],
    "the ID number upgraded": [("我注册信息要改一下", [], []), ("身份证号 升位了", ["户口本", "身份证"], ["营业执照"])],
    "another profession": [("二级建造师证怎么注册", ["utter_out_of_scope"], [])],
    "an opener": [("问个事儿", ["utter_greet"], [])],
    "thanks after an answer": [("注册审查方面的问题打哪个电话", ["68313292"], []), ("好的谢了", ["utter_thanks"], ["68313292"])],
    # held-out sets 17–19
    "a soaked certificate is a lost one": [("证书被水泡烂了，字都看不清，要重新办的话交什么", ["一寸照", "省级以上报刊"], [])],
    "a rename after an acquisition": [("我们公司今年被一家集团收购了，工商那边名字已经改了，带哪些材料", ["营业执照", "工商变更证明"], ["户口本"])],
    "a specialty added in": [("想在原有专业基础上把水利水电工程也加进注册专业里，这个要交什么材料", ["变更注册申请表"], [])],
    "the window is still needed": [("系统里已经上报了，是不是就不用再跑窗口了", ["不是，还需要", "2号窗口"], [])],
    "where approvals are announced": [("我怎么知道建设部审核有没有通过，会在哪里公布", ["浙江省建设信息港"], ["68313292"])],
    "English words among Chinese": [("我们company改name了，监理registration要怎么update", ["营业执照", "工商变更证明"], [])],
    "a login problem": [("系统登录不进去，打什么电话", ["010-88381873"], ["81956261", "88381756"])],
    "where the form comes from": [("初始注册的申请表怎么来", ["企业版注册监理工程师管理系统", "打印申请表"], [])],
    "a typo in a three-character name, an emoji": [("遗矢补办批了 领证要带介少信吗😂", ["需要", "单位介绍信"], ["贴条"])],
    "another province": [("江苏的注册监理工程师初始注册去哪交材料", ["utter_out_of_scope"], ["2号窗口"])],
    "from another province to ours": [("从江苏的监理公司跳槽到杭州，转注册要带什么", ["解聘证明"], ["utter_out_of_scope"])],
    "not lost: the name changed": [("我证书没丢，是身份证上的名字改了", ["户口本", "身份证"], ["报刊"])],
    # held-out sets 20–22
    "two people's expiry dates": [("张工的证书有效期到2027年1月10日，陈工的到2027年5月1日，他俩现在都能申报延续注册吗",
                                   ["现在就可以", "2027年2月1日"], [])],
    "a material's name is not a step": [("证书遗失补办，省级以上报刊和情况说明是两个都要，还是有一个就行",
                                         ["省级以上报刊原件（或情况说明）"], ["申报："])],
    "the paper asked about by its own name": [("省级以上报刊要原件吗", ["需要原件"], ["可以，办事指南要求"])],
    "the first step, not straight to the window": [("初始注册第一步是干嘛 是不是直接拿着材料去省停窗扣",
                                                    ["申报：企业登录企业版注册监理工程师管理系统"], [])],
    "new certificate or 贴条, by procedure": [("哪些业务是审核通过后领新注册证书，哪些是在原证书上贴条？帮我区分一下",
                                              ["转注册", "贴条", "企业更名"], [])],
    "what the old employer issues": [("员工跳槽过来挂证，原单位那边要开个啥证明", ["解聘证明"], ["最后办理国家注册监理工程师。初始"])],
    "a rename registered at the market regulator": [("我们公司上个月在市场监管局做了名称变更，公司下面的注册监理工程师要准备哪些材料",
                                                     ["营业执照", "工商变更证明"], ["utter_out_of_scope"])],
    "a merger renames the company": [("我们公司和集团里另一家单位合并了，合并后还是我们这个法人主体，只是名字换成了新的，执照也换好了，"
                                      "底下那些注册监理要办什么、带什么", ["营业执照", "工商变更证明"], ["户口本"])],
    "two renames in one message": [("我们公司刚改了名字，另外有个员工身份证上的姓名也改了，这两件事分别要准备什么材料",
                                    ["营业执照", "户口本"], [])],
    "the fee is not in the guide": [("帮员工办转注册要交多少费用", ["收费"], ["元"])],
    "a colleague may do it": [("延续注册怎么办", [], []), ("可以让公司同事代办吗", ["可以", "单位介绍信"], [])],
    "a withdrawal to fill in again": [("网上上报的申请想退回来重新填，打哪个电话", ["010-88381873"], ["68313292"])],
    "the review line for doubts about a result": [("对注册审核结果有疑问，建设部那边打什么号码", ["68313292"], [])],
    "social security proof uploaded": [("社保缴费记录还用传到系统里吗", ["不需要"], [])],
    "the provincial engineer, in speech": [("浙江省那个监理工程师 就是省里面的 不是国家注册的那个 有问题打哪个电话",
                                            ["0571-81956261"], ["88381756"])],
    "speech slips": [("交材料是去省停的几号窗扣啊", ["2号窗口"], [])],
    # held-out sets 23–25: long conversations
    "好的 is acknowledged": [("监理锁怎么申请", ["88381756"], []), ("好的", ["utter_thanks"], ["utter_greet", "88381756"])],
    "where the lock is applied for": [("监理锁到期了要续", ["88381756"], ["延续注册"]), ("是在哪里申请的", ["建设部"], [])],
    "why, after a policy answer": [("社保证明要上传吗", ["不需要"], []), ("为什么不用了，有文件依据吗", ["51号"], [])],
    "what follows the change": [("我身份证换了，名字也改了", [], []), ("户口本要原件吗", ["复印件"], []),
                                ("那之后证书上的名字怎么改", ["遗失补办"], ["复印件即可"])],
    "after approval of the change": [("另外我们有个员工身份证上的名字改了，他要怎么办", ["户口本"], []),
                                     ("他那个批完之后呢", ["遗失补办"], ["utter_out_of_scope"])],
    "an appointment is not in the guide": [("企业更名批下来了，接下来做什么", ["贴条"], []), ("去之前要预约吗", ["预约"], [])],
    "a photo when collecting": [("初始注册领证需要本人去吗", ["本人或企业代办人员"], []),
                                ("要不要带一寸照", ["领取时不需要", "单位介绍信"], [])],
    "someone else may collect": [("初始注册领证要带什么", [], []), ("可以让公司同事帮我领吗", ["可以", "单位介绍信"], [])],
    "must one go in person": [("初始注册领证要带什么", [], []), ("需要本人去吗", ["不必须本人前往"], [])],
    "the earliest day for the expiry said before": [("我的注册证书有效期到2027年4月15日，现在可以申报延续注册吗", ["还不能"], []),
                                                    ("那最早哪天可以报", ["2027年1月15日"], [])],
    "after expiry, supposing": [("证书2027年1月20日到期，今天能报延续吗", ["可以"], []),
                                ("要是拖到过期以后再报呢", ["不能"], ["现在就可以"])],
    "a template is not in the guide": [("解聘证明有固定模板吗", ["模板"], ["申报："])],
    "an electronic certificate is not in the guide": [("有电子证书吗", ["电子证书"], [])],
    "how many specialties is not in the guide": [("专业变更最多能加几个专业", ["专业的数量"], [])],
    "a material that cannot be had": [("原单位不肯开解聘证明怎么办", ["拿不到"], ["1. 申报"])],
    "the photo's form for every procedure": [("那一寸照要原件还是复印件", ["一寸照原件"], ["请问您要咨询哪项业务"])],
    "where and how many copies": [("证书遗失补办的材料交到哪里，每样要几份", ["各一式一份", "2号窗口"], [])],
    "the stamp of the procedure discussed": [("延续注册领证要带什么", ["贴条"], []),
                                             ("盖的章和专业增加的章名称一样吗", ["写法不同"], [])],
    "the lock in English": [("监理lock坏了, who should I call?", ["88381756"], [])],
    "the commitment's words": [("51号文讲的啥", ["51号"], []), ("那申请表里具体加了哪些话", ["本人社会保险已由注册单位缴纳"], [])],
    "a line of the 贴条 procedures picked": [("贴条的话要带啥", ["办理贴条的业务", "1. 延续注册"], ["初始注册"]),
                                              ("第一个", ["【延续注册】领取", "单位介绍信", "注册证书原件"], [])],
    "a line of the numbered answer picked": [("拿证要准备点啥", ["1. 初始注册"], []),
                                             ("第二个", ["【延续注册】领取", "注册证书原件"], ["utter_out_of_scope"])],
    "a template is not in the guide, and a cannot-get material": [("原单位不肯开解聘证明，转注册没有它应该也行吧",
                                                                  ["解聘证明原件或复印件"], [])],
    "what the form says, after the policy": [("51号文讲的啥", ["51号"], []), ("那申请表上是咋写的", ["并为其缴纳了社会保险"], [])],
    # held-out sets 26–27: several colleagues, comparisons, everyday words
    "two colleagues by name": [("我在帮两个同事办事：老王要延续注册，小陈证书丢了要补办。先说老王的要带什么",
                                ["延续注册申请表"], ["省级以上报刊"]),
                               ("小陈的呢", ["一寸照", "省级以上报刊"], []),
                               ("老王那个要不要交照片", ["不需要"], []),
                               ("小陈的批下来领证要带什么", ["单位介绍信"], ["贴条"])],
    "one colleague, then the other": [("一个同事要加专业，另一个同事身份证号码变了。先说加专业的要交什么", ["变更注册申请表"], ["户口本"]),
                                      ("另一个呢", ["户口本", "身份证"], []),
                                      ("第二个人批下来以后呢", ["遗失补办"], [])],
    "the one named in passing": [("公司改名要变更注册，同时还有个员工离职要注销。改名的要交什么", ["营业执照"], []),
                                 ("离职那个呢", ["解聘证明", "注册证书原件"], ["请问这位人员"])],
    "what differs from the one before": [("初始注册要哪些材料", ["一寸照"], []), ("证书丢了补办的呢", ["省级以上报刊"], []),
                                          ("和刚才那个区别在哪", ["不同", "省级以上报刊"], [])],
    "collecting the same way": [("初始注册批下来领证要带什么", ["单位介绍信"], []), ("转注册的呢", ["单位介绍信"], []),
                                ("两个有区别吗", ["相同"], [])],
    "a correction keeps the question": [("新来的同事要办初始注册需要什么材料", ["一寸照"], []),
                                        ("哦不对，他之前在别的单位注册过，是换单位", ["解聘证明", "注册证书原件"], [])],
    "a newly passed certificate": [("考试过了，现在要把证注册到我们公司名下，照片要交吗", ["需要", "一寸照"], ["解聘证明"]),
                                   ("刚考出来的证要让它生效，整个流程怎么走", ["企业版注册监理工程师管理系统", "2号窗口"], [])],
    "where the form is had, then its form": [("申请表去哪里拿", ["打印申请表"], ["领取"]),
                                             ("打出来交原件还是复印件", ["申请表原件"], ["请问您要咨询哪项业务"])],
    "why the original: not in the guide": [("注销注册为什么要证书原件", ["原因"], [])],
    "another errand's payment": [("汽车违章罚款在哪里交", ["utter_out_of_scope"], ["2号窗口"]),
                                  ("水电费在哪里交", ["utter_out_of_scope"], ["2号窗口"])],
    "a bare step is ours": [("交到哪", ["2号窗口"], ["utter_out_of_scope"])],
    "an opener with a real question": [("顺便问一下，杭州明天限行吗", ["utter_out_of_scope"], ["utter_greet"])],
    # held-out sets 28–30
    "the licence's name changed": [("公司搬家了，营业执照上的名字也换了，我们那些监理的证书要弄什么材料", ["营业执照", "工商变更证明"],
                                    ["户口本"])],
    "only the address changed": [("公司只是搬了个地方办公，名字没变，证要去变更吗", ["地址"], ["户口本"])],
    "lost while moving house": [("搬家的时候那本证书找不着了，咋整，要准备些啥", ["一寸照", "省级以上报刊"], ["地址"])],
    "a stolen bag": [("我侄子包被偷了，监理证也在里面，要登报吗", ["省级以上报刊"], [])],
    "a wife collecting": [("名单公布了，我老公上班走不开，我去省里帮他领证中不中", ["本人或企业代办人员", "单位介绍信"],
                           ["utter_out_of_scope"])],
    "a retired father": [("我爸退休了，以后不干监理了，他那个证咋弄", ["注销注册"], []),
                         ("要带啥", ["注销注册申请表", "解聘证明", "注册证书原件"], [])],
    "two questions, a procedure and a policy": [("公司改名了证书变更要带啥？顺便问下社保证明还要不要交",
                                                 ["营业执照", "工商变更证明", "不需要"], [])],
    "the second step, then the third": [("延续注册的流程", ["1. 申报"], []), ("收到，那第二步呢", ["延续注册申请表"], []),
                                         ("第三步呢", ["贴条"], [])],
    "who fills in the form": [("初始注册要带什么", [], []), ("那张表谁来填", ["企业登录"], [])],
    "the nth material": [("注销注册需要带哪些材料", [], []), ("第二样要原件吗", ["原件或复印件"], []),
                         ("最后那个呢", ["需要原件"], ["复印件即可"])],
    "the lock, by pronoun": [("监理锁怎么申请", ["88381756"], []), ("它出问题了打哪个电话", ["88381756"], ["81956261"])],
    "back to the one before": [("企业更名要带什么", ["营业执照"], []), ("证书丢了要带什么", ["省级以上报刊"], []),
                               ("回到改名的事，批下来以后去窗口干嘛", ["贴条"], ["【遗失补办"])],
    "which of these two": [("转注册要带什么", [], []), ("注销注册呢", [], []), ("这两个哪个要照片", ["都不需要"], [])],
    "the same form?": [("转注册和注销注册用的申请表一样吗", ["不一样", "变更注册申请表", "注销注册申请表"], []),
                       ("那解聘证明呢，两个都要吗", ["都需要"], [])],
    "colleagues' certificates by name": [("我们单位王工证书丢了，陈工想加一个专业，各要带什么", [], []),
                                         ("王工的要带照片吗", ["需要"], []), ("陈工的呢", ["不需要"], [])],
    "what the website's section is": [("转注册审核通过了我怎么知道", ["浙江省建设信息港"], []),
                                      ("看那个网站的哪个栏目", ["通告"], [])],
    "what happens to the certificate after the change": [
        ("同事去派出所把名字改了，身份证也换了新的，要交什么东西，交完之后证书是直接换新的吗", ["再申请遗失补办"], ["不需要。"])],
    # held-out sets 31–35
    "a person's renamed certificate, said 更名": [("更名后补证用的情况说明要签字盖章吗", ["本人签字和单位盖章"], ["企业更名"])],
    "a company's rename stays a company's": [("公司更名后要换新证吗", ["企业更名"], ["情况说明"])],
    "one thing to bring, and where": [("初始注册领证带个介绍性就行了吧", ["可以", "单位介绍信至省厅2号窗口领取注册证书"], [])],
    "how and where is the whole way": [("延续注册怎么办理，去哪里交", ["延续注册申请表", "2号窗口", "1. 申报"], [])],
    "which comes first, online or the window": [("第一次注册监理，是先在网上报还是先去窗口交材料", ["企业版注册监理工程师管理系统", "2号窗口"], [])],
    "a newly certified engineer is not collecting": [("公司新招了一个刚拿证的监理，想给他办初始注册，具体怎么操作", ["企业版注册监理工程师管理系统"], [])],
    "approved, a trip to the window is collecting": [("同事的延续注册通过了，我替他跑一趟省厅窗口，需要带些什么", ["介绍信", "注册证书原件"], ["延续注册申请表"])],
    "renewal is not any time": [("延续注册是不是随时都可以申报", ["三个月"], [])],
    "a company's new name": [("公司上周刚换了新名字，变更时要准备哪些材料", ["营业执照", "工商变更证明"], [])],
    "a bare 改名 is a person's": [("改名变更批了，然后呢", ["遗失补办"], [])],
    "一名 is not 更名": [("兹有本单位一名员工拟办理注销注册，烦请列明需提交之材料", ["解聘证明"], ["营业执照"])],
    "the guide is silent on expediting, age, study hours, the metro": [
        ("单位投标急用，延续注册能不能加急办理", ["没有关于能否加急办理的说明"], []),
        ("我今年66岁了还能办延续注册吗", ["年龄"], []),
        ("延续注册要满多少继续教育学时", ["继续教育"], []),
        ("坐地铁去省厅2号窗口在哪站下", ["具体地址"], [])],
    "a lost bag on the metro is a lost certificate": [("证书落在地铁上了，补一本要什么", ["一寸照"], ["具体地址"])],
    "an older user is not asking about age": [("我年纪大了 腿脚不太方便 初始注册的证书 能不能叫单位里的人帮我去领", ["介绍信"], ["年龄"])],
    "a provincial paper alone is not enough": [("证书找不到了", [], []), ("那我登个省报就行了吧，别的不用了吧", ["申请表", "一寸照"], ["再见"])],
    "withdrawing, typed 撤会": [("还没交省厅的申请咋撤会", ["010-88381873"], [])],
    "expired, then what now": [("我证书昨天到期了", [], []), ("还能续吗", ["不能"], []),
                               ("那我现在该怎么办", ["没有关于注册证书过期后如何处理的说明"], [])],
    "one colleague and one procedure over two clauses": [("小孙上个月考过了，要给他注册", [], []), ("还有老周下个月退休，不干了", [], []),
                                                         ("小孙那个批下来谁去领", ["介绍信"], ["注销注册"])],
    "back to 改名 after a company's rename": [("我们公司改名了，监理证书要怎么变", ["营业执照"], []),
                                           ("另外有个同事证书丢了，要带什么", ["一寸照"], []),
                                           ("好，回到改名的事，批下来以后去窗口干嘛", ["贴条"], ["情况说明"])],
    "then what, after one step": [("初始注册在哪里申报", [], []), ("上报完要打印吗", [], []), ("然后呢", ["2号窗口"], [])],
    "which ones, after the count": [("遗失补办要几份材料", [], []), ("具体哪几样", ["一寸照"], [])],
    "a short reply picks by alias": [("我要注册", [], []), ("第一次", ["一寸照"], [])],
    "still collecting after a yes/no": [("延续注册审核过了要去窗口干嘛", [], []), ("证书要带吗", [], []),
                                       ("还要带什么", ["介绍信"], ["延续注册申请表原件"])],
    "the phone of the topic just answered": [("我的监理锁坏了", [], []), ("电话多少", ["88381756"], ["81956261"])],
    "the phone of the line just named beside a procedure": [("转注册申请在系统里报错了，材料还没送到省厅，能撤回吗", [], []),
                                                           ("打哪个电话", ["88381873"], ["88381756"])],
    "thanks after 好的": [("好的，麻烦了", ["utter_thanks"], [])],
    "the form's copies, asked by printing": [("注销注册的申请表打印一份还是两份？", ["一份"], [])],
    "next, a named procedure, is not the next step": [
        ("前年才考出监理，今年跳槽到了现在这家公司。接下来转注册去窗口要交哪几样东西？", ["变更注册申请表", "注册证书原件"], ["初始注册"])],
    "English words among Chinese": [("initial registration的step是怎样的", ["企业版注册监理工程师管理系统"], []),
                                    ("我要cancel注册，需要准备什么materials？", ["解聘证明"], [])],
    "Shanghainese for lost": [("侬好，阿拉证书寻不着了，补办要带啥物事伐？", ["一寸照"], [])],
    # held-out sets 39–41
    "why a requirement: the guide gives no reason": [("初始注册要带什么", [], []), ("为什么一定要原件", ["没有关于这样要求的原因的说明"], [])],
    "after the announcement, collecting": [("初始注册材料交上去了", [], []), ("结果在哪看", [], []), ("出来以后呢", ["介绍信"], [])],
    "where, after the renewal window": [("延续注册最早可以提前多久", [], []), ("那交到哪", ["2号窗口"], ["提早三个月申报；有效期已过"])],
    "anything else, after a reason": [("注销注册要交什么", [], []), ("为什么要交证书原件", [], []), ("还有别的吗", ["注销注册申请表"], [])],
    "the only one, after an overview": [("想多加一个专业", [], []), ("就这一样吗", ["变更注册申请表"], [])],
    "the area code of the line just given": [("省监理协会电话多少", [], []), ("前面加什么区号", ["0571"], [])],
    "the form changed by 51号": [("注册还要交社保证明吗", [], []), ("申请表里有什么变化", ["本人社会保险已由注册单位缴纳"], [])],
    "in the newspaper, where": [("证书丢了", [], []), ("在哪登报", ["省级以上报刊"], [])],
    "a dismissal letter is not a lost certificate": [("解聘证明原件找不到了，复印件可以吗", ["可以"], ["遗失补办"])],
    "no collection after handing in the reissue": [("改名后补办证书，材料交到窗口以后还要去领吗", ["没有领取环节"], ["需要。"])],
    "the stamp compared with the one named": [("专业变更贴条盖什么章", [], []), ("跟延续注册盖的章一样吗", ["写法不同"], [])],
    "one more specialty, in digits": [("嗯 证书上想多加１个专业 要准备啥", ["变更注册申请表"], [])],
    "a colleague's certificate is not 老的证书": [("老王证书2027年1月20日到期，能报延续了吗", ["2027年1月20日"], [])],
    # held-out sets 42–43: phone typing in whole visits
    "typed slips in short turns": [("我们单位好几个人要廷续", ["延续注册"], []), ("流城是啥", ["1. 申报"], []),
                                   ("盖的什么张", ["监理工程师注册管理专用章"], [])],
    "say it again": [("初始注册要带什么", [], []), ("刚才说的再说一遍", ["一寸照"], [])],
    "say the materials again": [("延续注册在哪交", [], []), ("再说一遍材料", ["延续注册申请表"], [])],
    "someone is leaving": [("在吗 我们公司有个人要走了", ["转注册", "注销注册"], [])],
    "who logs in": [("系统是个人登还是单位登", ["企业登录"], [])],
    "a first-character slip, 去那拿": [("证书丢了", [], []), ("补好了去那拿", ["介绍信"], [])],
    "holding another certificate, said 我有": [("我有一建证书 现在又考了监理 能直接注册吗", ["最后办理国家注册监理工程师"], [])],
    # held-out sets 44–45
    "what happens there, after where": [("延续注册批下来去哪", [], []), ("去了做什么", ["贴条"], [])],
    "must I go myself": [("转注册批了去哪领证", [], []), ("本人一定要去吗", ["企业代办人员"], [])],
    "the stamp, elliptically": [("专业变更批了去窗口干嘛", [], []), ("章呢", ["注册监理工程师注册管理专用章"], [])],
    "a date, then can I apply now": [("我的证书2027年6月30日到期", [], []), ("那现在能报吗", ["2027年3月30日"], [])],
    "no lock yet is still about the lock": [("我们公司还没有监理锁，想办一个", ["88381756"], [])],
    "贴跳 and 处始": [("延续注册通过了，是不是要把证书拿去贴跳？", ["贴条", "注册证书原件"], []),
                     ("处始注册要交什么", ["一寸照"], [])],
    "when will it be done: the guide does not say": [("延续注册什么时候能好", ["没有关于审核和办理时限的说明"], [])],
    "in a hurry is not asking to expedite": [("我们新来的员工同时持有二级建造师注册证书，想办初始注册，有什么需要注意的吗？项目上急用",
                                             ["最后办理国家注册监理工程师"], ["加急"])],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_conversation(responder, name):
    talk(responder, CONVERSATIONS[name])


def test_intent_without_signal_uses_fixed_phrases(responder):
    assert responder.respond(Turn("你好", "greet", 0.99), State(), TODAY).messages == [{"response": "utter_greet"}]
    assert responder.respond(Turn("谢谢", "thanks", 0.99), State(), TODAY).messages == [{"response": "utter_thanks"}]
    # a greeting that carries a question is answered as the question
    text = responder.respond(Turn(normalise("你好，初始注册要带什么"), "greet", 0.9), State(), TODAY).messages[0]["text"]
    assert "一寸照" in text


@pytest.mark.parametrize("text, intent", [("我叫孙丽", "nlu_fallback"), ("姓名：孙丽", "nlu_fallback"),
                                          ("ZJ2026100004", "nlu_fallback"), ("孙丽", "inform_case"),
                                          ("ZJ2026000102 转注册到哪一步了", "ask_steps"),
                                          ("我们单位有个转注册的申请，现在到哪一步了", "ask_steps"),
                                          ("转注册被打回来了吗？想查一下", "ask_overview"),
                                          ("我叫李华，身份证后四位5678，帮我查下延续到哪一步了", "ask_materials"),
                                          ("在吗 我李华 身份证后4位5678 延注到哪了", "ask_materials"),
                                          ("我们报的注册被退回来了，想看看原因", "ask_overview"),
                                          ("帮我查下我的注册批了没", "ask_collect"),
                                          ("想问下我那个申请处理得怎么样了", "ask_overview"),
                                          ("公司帮我报了延续注册，想看看进度", "ask_overview"),
                                          ("查进度 王 小明 尾号1234", "check_status"),
                                          ("我是从外地调来的，转注册好像被退回了，帮我看看", "ask_overview"),
                                          ("初始注册交了，想查结果", "ask_overview")])
def test_case_details_start_the_lookup(responder, text, intent):
    assert responder.respond(Turn(normalise(text), intent, 0.5), State(), TODAY).follow_up == "status_form"


@pytest.mark.parametrize("text", ["我是改了名字以后补证", "我叫你帮我查初始注册材料"])
def test_a_question_is_not_case_details(responder, text):
    reply = responder.respond(Turn(normalise(text), "inform_case", 0.4), State(), TODAY)
    assert reply.follow_up is None and reply.messages


def test_button_payload_picks_the_procedure(responder):
    state = talk(responder, [("我要补办证书", ["注册证书遗失"], [])])
    turn = Turn("/choose_procedure", "choose_procedure", 1.0, [{"entity": "procedure", "value": "lost"}])
    reply = responder.respond(turn, state, TODAY)
    assert "省级以上报刊" in reply.messages[0]["text"]
    assert reply.state.procedure == "lost" and reply.state.pending_candidates == []


def test_nothing_fits(responder):
    reply = responder.respond(Turn("啊啊啊注册", "nlu_fallback"), State(), TODAY)
    assert reply.messages[0].get("response") in ("utter_not_understood",) or "请问您要咨询哪项业务" in reply.messages[0].get("text", "")
    reply = responder.respond(Turn("abc", "nlu_fallback"), State(), TODAY)
    assert not reply.understood or reply.messages == [{"response": "utter_out_of_scope"}]


@pytest.mark.parametrize("typed, identity", [("ZJ2026000103 赵敏 为啥被退回来了", "赵敏"), ("ZJ2026000102 姓名张伟 办到哪了", "张伟"),
                                             ("zj2026000101 王小明 证能领了没", "王小明"), ("ZJ2026000101 王 小明 好了没", "王小明"),
                                             ("我们公司王小明的证书可以去领了吗？申请编号ZJ2026000101", "王小明"),
                                             ("您好，麻烦查询申请编号ZJ2026000102（申请人：李华）的办理进度", "李华"),
                                             ("我是温州那家公司的人事，替赵敏问一下，编号ZJ2026000103", "赵敏"),
                                             ("不好意思名字打错了，编号ZJ2026000101，姓名王小明", "王小明"),
                                             ("不好意思打错了，是李华", "李华"),
                                             ("不好意思打扰了，赵敏的申请ZJ2026000103现在什么情况？项目上急用", "赵敏"),
                                             ("帮我查下王小明的进度", "王小明"),
                                             ("我是他领导 王小明是我们公司的", "王小明")])
def test_the_name_beside_a_case_number(typed, identity):
    """The user's spaces end a name (赵敏 为啥…), unless they split it (王 小明)."""
    turn = Turn(normalise(typed), spaced=normalise_words(typed))
    assert turn.identity() == identity


def test_after_a_lookup_why_it_was_returned_and_whether_to_collect(responder):
    returned = State(procedure="transfer", case_stage="已退回", case_note="解聘证明不清晰，请重新上传")
    text = "\n".join(m["text"] for m in responder.respond(Turn(normalise("为什么被退回"), "ask_contact", 0.9), returned, TODAY).messages)
    assert "解聘证明不清晰" in text and "重新申报" in text and "68313292" in text
    announced = State(procedure="initial", case_stage="已公告")
    reply = responder.respond(Turn(normalise("那我现在可以去领了吗"), "ask_collect", 0.9), announced, TODAY)
    assert reply.messages[0]["text"] == "可以。" and "单位介绍信" in reply.messages[1]["text"]
    accepted = State(procedure="renewal", case_stage="已受理")
    reply = responder.respond(Turn(normalise("那我现在可以去领了吗"), "ask_collect", 0.9), accepted, TODAY)
    assert reply.messages[0]["text"] == "还不能。"


def test_two_applications_looked_up_are_told_apart(responder):
    from bot.dialogue import LookedUp
    seen = [LookedUp("王小明", "ZJ2026000101", "initial", "已公告").dumps(),
            LookedUp("李华", "ZJ2026000102", "renewal", "已受理").dumps()]
    state = State(procedure="renewal", case_stage="已受理", cases_seen=seen)
    reply = responder.respond(Turn(normalise("王小明的能去领了吗"), "inform_case", 0.8), state, TODAY)
    assert reply.messages[0]["text"] == "可以。" and reply.follow_up is None
    reply = responder.respond(Turn(normalise("李华的呢"), "inform_case", 0.8), reply.state, TODAY)
    assert reply.messages[0]["text"] == "还不能。"
    both = responder.respond(Turn(normalise("这两个谁现在就能去窗口领证"), "ask_collect", 0.8), state, TODAY).messages[0]["text"]
    assert "王小明（ZJ2026000101）：已公告，可以领取" in both and "李华（ZJ2026000102）：已受理，还不能领取" in both


def test_after_a_lookup_the_next_step_is_for_that_application(responder):
    state = State(procedure="transfer", case_stage="已退回")
    reply = responder.respond(Turn(normalise("那我下一步干嘛"), "nlu_fallback", 0.3), state, TODAY)
    assert "重新申报" in reply.messages[0]["text"] and "解聘证明" in reply.messages[0]["text"]
    # a question about another procedure is that procedure's, not the looked-up stage
    reply = responder.respond(Turn(normalise("初始注册怎么办"), "nlu_fallback", 0.3), state, TODAY)
    assert "重新申报" not in reply.messages[0]["text"]


def test_nonsense_about_registration_counts_as_failed_whatever_nlu_says(responder):
    """NLU may call 注册吧啦吧啦 out of scope; it is about us and not understood, so twice hands over."""
    state = State()
    for text in ("啊啊啊注册吧啦吧啦", "注册哦哦哦咿呀咿呀"):
        reply = responder.respond(Turn(normalise(text), "out_of_scope", 0.9), state, TODAY)
        state = reply.state
    assert reply.handoff == "failed"
    weather = responder.respond(Turn(normalise("今天天气怎么样"), "out_of_scope", 0.9), State(failures=1), TODAY)
    assert weather.understood and weather.handoff is None
