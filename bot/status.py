"""Status lookups in conversation: read a case number and an identity from what the
applicant types, and render where an application stands and what to do next, from
knowledge/ (stages.yml for the stage, procedures.yml and contacts.yml for the steps)."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import List, Optional
from zoneinfo import ZoneInfo

from bot import answers
from bot.cases import ID_LAST4_RE, Case, case_no_match, normalise_case_no
from bot.dates import chinese_date
from bot.knowledge import TIMELINE, Knowledge, Procedure, Stage

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
LABELLED_ID = re.compile(r"(?:身份证|证件)?(?:号码?)?(?:后四位|后4位|末四位|末4位|尾号|最后四位)\s*[:：是为]?\s*(\d{3}[\dx])(?![\dx])")
LABELLED_NAME = re.compile(r"(姓名|名字|申请人|我叫|本人叫|我是|叫)\s*[:：是为]?\s*([\u4e00-\u9fff·]{2,6}?)"
                           r"(?=$|[,，。.、;；!！?？\s)）\]】]|身份证|编号|申请|的|办到|到哪|现在|进度|怎么|为什么|帮我|麻烦|查|证书|能不能|可以)")
# 不好意思打错了，是李华: the name again, after a wrong one
CORRECTED_NAME = re.compile(r"(?:错了|不对|搞错|弄错|打错|写错)[^\u4e00-\u9fff]*(?:应该|其实)?是([\u4e00-\u9fff·]{2,4})(?=$|[,，。.!！?？\s])")
# 替赵敏问一下: the person asked about for
ON_BEHALF = re.compile(r"(?:替|帮|给)(?:我们|我)?(?:公司|单位)?的?([\u4e00-\u9fff·]{2,4}?)(?:问|查|咨询|看)")
NAME_STOPS = re.compile(r"那个|这个|那份|这份|的|办到|到哪|看下|看看|麻烦|帮忙|办|申请|注册|延续|初始|转|注销|变更|补办|更名|"
                        r"专业|遗失|现在|怎么样|什么|多少|到底|究竟|一下|一眼|好了|好没|下来|同事|我们|公司|单位|我司|"
                        r"为什么|为何|怎么|被|退回|打回|驳回|证书|证能|证可以|可以|能不能|能领|去领|领了|"
                        r"俺|媳妇|老婆|老公|爱人|丈夫|妻子|儿子|女儿|侄子|外甥|父亲|母亲|爸|妈|"
                        r"了|吗|呢|吧|没|我|他|她|\d+|[\s,，。.!！?？:：…/|、]")
FORM_LABELS = ("姓名", "名字", "申请人")
OWNER = re.compile(r"的(申请|进度|注册|案子)|是(我们|我司|本)(公司|单位)的")  # 赵敏的申请… / 王小明是我们公司的
SELF_NAME = re.compile(r"(?:^|[\s,，!！?？。]|在吗|你好|您好)我([\u4e00-\u9fff]{2,3})(?=$|[\s,，]|身份证)")
SYMBOLS = re.compile(r"[^\w\s·]")  # emoji and other signs around a bare name (赵敏 😅)
BARE_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")
# common surnames (those that also begin everyday words, such as 公 in 公司, are left out): a
# name picked out of other words must begin with one (ZJ2026000102 李华 帮我瞅一眼, not 瞅一眼)
SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
               "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
               "汤常温施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞左柳甘祝符舒阮柯纪梅凌季裴霍涂成苗谷"
               "翁冉骆蓝辛靳柴蒙鲍华喻祁蒲房滕饶牟尤穆卓古吉缪项芦麦褚娄窦戚岑宫卜晏席卫柏瞿桂佟臧闵苟邬卞姬仇"
               "栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘迟邝匡鞠荆冀郁胥班储栗燕楚鄢谌奚粟冼蔺闻厉伊仝郜阚帅屠朴盖练廉"
               "禹祖漆卿狄晋扈晁芮阙浦戈伏鹿薄邸雍辜裘亓邰赫杭逯隆茹诸慕危亢嵇湛宾戎勾茅於尉冶檀昝奉植衡尧")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
                     "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "万俟", "闻人", "申屠")
BARE_ID = re.compile(r"^(\d{3}[\dx])$")
_FILLER_WORDS = ("好了没 好了吗 好了没有 下来了没 下来没 帮忙查下 帮我查下 帮忙查一下 帮我查一下 查询进度 查进度 查询 查一下 查一查 查查 查下 帮我查 帮忙查 帮忙 麻烦 帮我 请 进度 申请编号 编号 申请号 "
                 "单号 案件号 受理号 流水号 这个 我的 现在 情况 状态 怎么样 到哪了 看看 看一下 一下 谢谢 了 吗 呢 吧 是 的").split()
FILLER = re.compile("|".join(sorted(_FILLER_WORDS, key=len, reverse=True)))  # longest first: 帮忙查下 before 帮忙
NOT_NAMES = {"你好", "您好", "谢谢", "好的", "是的", "不是", "对的", "没有", "查询", "进度", "查询进度", "不知道", "忘了", "算了", "不查了"}


def find_case_no(text: str) -> Optional[str]:
    m = case_no_match((text or "").lower())
    return normalise_case_no(m.group(1) + m.group(2)) if m else None


NOT_IN_NAMES = ("身份", "四位", "尾号", "编号", "项目", "管理", "监理", "工程", "建设", "材料", "窗口", "系统")


def looks_like_full_name(word: str) -> bool:
    """李明 / 欧阳娜娜: a surname and one to three more characters, nothing that is a label or a word."""
    size_ok = 2 <= len(word) <= 3 or (len(word) == 4 and word[:2] in COMPOUND_SURNAMES)
    return (size_ok and all("\u4e00" <= ch <= "\u9fff" for ch in word) and _has_surname(word) and _looks_like_name(word)
            and not NAME_STOPS.search(word) and not any(w in word for w in NOT_IN_NAMES))


def identities(text: str, first: str) -> str:
    """`first`, and the other kind of identity if the text gives it too ("5678|李明"): a right ID
    beside a wrong name must not show the record."""
    second = find_identity(text.replace(first, " ").replace(first.lower(), " "))
    id_kinds = {bool(ID_LAST4_RE.match(x)) for x in (first, second or "")}
    plausible = second and (ID_LAST4_RE.match(second) or looks_like_full_name(second))  # not the label 身份证后四位
    return f"{first}|{second}" if plausible and second != first and len(id_kinds) == 2 else first


def find_identity(text: str, bare: bool = False) -> Optional[str]:
    """A name or the ID card's last four from labelled text (姓名王小明, 后四位1234);
    with `bare`, also a message that is only a name or only four digits."""
    text = (text or "").strip().lower()
    for find in (_labelled_identity, _name_asked_for, _owner_name, _self_name, _identity_beside_case_no):
        found = find(text)
        if found is not None:
            return found
    if bare:
        return _bare_identity(text)
    return None


def _labelled_identity(text: str) -> Optional[str]:
    m = LABELLED_ID.search(text)
    if m:
        return m.group(1).upper()
    for m in LABELLED_NAME.finditer(text):  # not 名字打错了, then 姓名王小明
        said_as_label = m.group(1) in FORM_LABELS and text[m.end(1):m.start(2)].strip()  # 名字：孙丽, not 名字从原来的…改成了
        if _looks_like_name(m.group(2)) and (said_as_label or _has_surname(m.group(2))):
            return m.group(2)  # 姓名：孙丽; 我是王小明 but not 我是公司法人
    return None


def _name_asked_for(text: str) -> Optional[str]:
    """替赵敏问一下, or the name again after a wrong one."""
    for m in (ON_BEHALF.search(text), CORRECTED_NAME.search(text)):
        if m and _looks_like_name(m.group(1)) and _has_surname(m.group(1)):
            return m.group(1)
    return None


def _owner_name(text: str) -> Optional[str]:
    for m in OWNER.finditer(text):  # 赵敏的申请ZJ2026000103现在什么情况: the name just before 的申请
        for size in (3, 2, 4):
            name = text[max(0, m.start() - size):m.start()]
            if len(name) == size and _looks_like_name(name) and _has_surname(name) and not NAME_STOPS.search(name):
                return name
    return None


def _self_name(text: str) -> Optional[str]:
    m = SELF_NAME.search(text)  # 在吗 我李华 身份证后4位…
    if m and _looks_like_name(m.group(1)) and _has_surname(m.group(1)):
        return m.group(1)
    return None


def _identity_beside_case_no(text: str) -> Optional[str]:
    m = case_no_match(text)
    without_number = text[:m.start()] + " " + text[m.end():] if m else text
    if without_number == text:
        return None
    # ZJ2026000101 王小明: what is left beside the number
    rest = FILLER.sub(" ", without_number).strip(" ,，。.!！:：")
    if BARE_ID.match(rest):  # ZJ2026000101 1234
        return rest.upper()
    if BARE_NAME.match(rest) and _looks_like_name(rest) and not NAME_STOPS.search(rest):
        return rest
    # ZJ2026000102李华那个延续办到哪了: the one name-like piece between the other words
    pieces = [x for x in NAME_STOPS.split(FILLER.sub(" ", without_number)) if x.strip(" ,，。.!！:：")]
    names = [x.strip(" ,，。.!！:：") for x in pieces]
    names = [x for x in names if BARE_NAME.match(x) and _looks_like_name(x) and _has_surname(x)]
    if len(names) == 1 and len(pieces) <= 5:
        return names[0]
    return None


def _bare_identity(text: str) -> Optional[str]:
    """A message that is only a name or only four digits."""
    rest = SYMBOLS.sub("", text).strip(" ,，。.!！")
    if BARE_ID.match(rest):
        return rest.upper()
    digits = re.findall(r"[\dx]+", rest)
    if len(digits) == 1 and BARE_ID.match(digits[0]):  # 看错了，是9012
        return digits[0].upper()
    if BARE_NAME.match(rest) and _looks_like_name(rest):
        return rest
    return None


def plausible_identity(value: str) -> bool:
    """An ID's last four, or a name that begins with a common surname (for a retry nobody asked for)."""
    return bool(BARE_ID.match(value.lower())) or _has_surname(value)


def _has_surname(word: str) -> bool:
    return word[0] in SURNAMES or word.startswith(COMPOUND_SURNAMES) or "·" in word


NOT_NAME_PARTS = re.compile(r"公司|单位|集团|那家|这家|人事|老板|领导|经理|同事|打错|写错|[省市县区州]$|^[省市县区州]")


def _looks_like_name(word: str) -> bool:
    """王小明, not 改了 (from 我的名字改了), 你好 or 温州那家公司 (from 我是温州那家公司的人事)."""
    return (word not in NOT_NAMES and not any(ch in word for ch in "了吗呢吧的改变换么啥")
            and not NOT_NAME_PARTS.search(word))


def timeline_steps(p: Optional[Procedure]) -> List[str]:
    """申报 → 受理 → 审核 → 公告 → 领取/贴条 (or no last step when the procedure has none)."""
    steps = list(TIMELINE[:-1])
    if p is None or p.collection is None:
        return steps
    steps.append("贴条" if "贴条" in (p.collection.purpose or "") else "领取")
    return steps


def render(kb: Knowledge, case: Case) -> List[dict]:
    stage = kb.stage(case.stage)
    p = kb.procedure_by_name(case.procedure)
    updated = _date_text(case.updated_at)
    lines = [f"【申请进度】申请编号 {case.case_no}（{case.procedure}）",
             f"申请单位：{case.company}" if case.company else None,
             f"当前阶段：{case.stage}。{stage.meaning if stage else ''}",
             f"最近更新：{updated}"]
    text = "\n".join(l for l in lines if l)
    if case.note:
        text += f"\n说明：{case.note}"
    text += "\n下一步：" + _next_step(kb, stage.next if stage else "done", p)
    steps = timeline_steps(p)
    current = stage.timeline if stage else steps[0]
    if current == "领取" and steps[-1] != "领取":
        current = steps[-1]
    payload = {"type": "timeline", "title": f"申请进度 {case.case_no}",
               "steps": [{"stage": s, "current": s == current} for s in steps],
               "returned": case.stage == "已退回"}
    return [{"text": text}, {"custom": payload}]


def stage_explained(kb: Knowledge, stage: Stage, p: Procedure) -> List[dict]:
    """已退回是不是要从头再交: what the stage means and what comes next, for this procedure."""
    return [{"text": f"【{p.title}】“{stage.name}”：{stage.meaning}\n下一步：" + _next_step(kb, stage.next, p)}]


def _next_step(kb: Knowledge, what: str, p: Optional[Procedure]) -> str:
    if p is None or what == "done":
        return "无需再办理。"
    if what == "intake":
        intake = p.intake
        withdraw = kb.contact("withdraw")
        return (f"请打印申请表，携带以下材料提交至{intake.place}受理：" + answers.material_list(intake.materials)
                + f"\n如需撤回：{withdraw.text}")
    if what == "announce":  # the collection step says what to watch and what to bring
        return p.collection.text if p.collection else kb.contact("announcements").text
    if what == "collect":
        step = p.collection
        if step is None:
            return f"办事指南中{p.title}没有领取环节，无需再到窗口办理。"
        text = step.text
        if step.bring:
            text += f"\n需携带：{'、'.join(answers.material_line(m, with_copies=False) for m in step.bring)}"
        if step.next_procedure:
            nxt = kb.procedure(step.next_procedure)
            text += f"\n随后办理【{nxt.title}】，受理时需携带：" + answers.material_list(nxt.intake.materials)
        return text
    if what == "resubmit":
        declare = p.step("申报")
        return (f"请按退回说明修改后重新申报：{declare.text}然后携带以下材料到{p.intake.place}提交："
                + answers.material_list(p.intake.materials))
    return "无需再办理。"


def _date_text(iso: str) -> str:
    try:
        return chinese_date(date.fromisoformat(iso))
    except ValueError:
        return iso


def retry_time(epoch: float) -> str:
    """When a locked-out user may try again, in the office's time zone."""
    t = datetime.fromtimestamp(epoch, OFFICE_TZ)
    return f"{t.month}月{t.day}日{t.hour:02d}:{t.minute:02d}"
