"""Render answers from the knowledge: every fact in a reply comes from knowledge/.

Each function returns a list of messages in Rasa's shape: {"text", "buttons"?, "custom"?}
or {"response": name} for a fixed phrase kept in domain.yml (greetings, apologies).
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Iterable, List, Optional, Sequence

from bot import lexicon
from bot.dates import ExpiryDate, chinese_date, renewal_window
from bot.knowledge import Contact, Knowledge, Material, MaterialKind, Policy, Procedure, SilentTopic, Step

Message = dict
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
DO_WITHOUT = lexicon.pattern("DO_WITHOUT")  # 证书原件不带行不行
NEED = re.compile(r"必须|需要|要不要|需不需要|得带|得交|要带|要交")  # 要…吗 asks need, not acceptability
ACCEPTABLE = re.compile(r"行吗|行不行|可以吗|可不可以|算不算|算数|管用|有效吗|认不认|认吗|能用吗|能不能用")  # 县里的报纸行吗
COPIES = {1: "一份", 2: "两份", 3: "三份"}


# --- small pieces -------------------------------------------------------------------


def choose_payload(procedure_id: str) -> str:
    """Button payload that picks a procedure whatever the channel (intent + entity)."""
    return "/choose_procedure" + json.dumps({"procedure": procedure_id}, separators=(",", ":"))


def procedure_buttons(kb: Knowledge, ids: Iterable[str]) -> List[dict]:
    return [{"title": kb.procedure(i).title, "payload": choose_payload(i)} for i in ids]


def follow_up_buttons(p: Procedure, skip: str) -> List[dict]:
    """Next questions a user usually has about the same procedure."""
    options = [("steps", "办理流程", f"{p.name}的办理流程"), ("materials", "所需材料", f"{p.name}需要什么材料")]
    if p.collection:
        purpose = p.collection.purpose or ""
        title = "办理贴条" if "贴条" in purpose else "领取证书" if "领取" in purpose else "审核通过后"
        options.append(("collect", title, f"{p.name}审核通过后怎么办"))
    return [{"title": title, "payload": ask} for key, title, ask in options if key != skip]


def material_line(m: Material, with_copies: bool = True) -> str:
    """As the guide writes it: 解聘证明原件或复印件，一份 / 省级以上报刊原件（或情况说明）。"""
    line = m.describe()
    if with_copies and m.copies:
        line += f"，{COPIES.get(m.copies, f'{m.copies}份')}"
    return line


def material_list(items: Sequence[Material]) -> str:
    """Numbered list; "各一式一份" once in front when every item is one copy."""
    if items and all(m.copies == 1 for m in items):
        return "（各一式一份）\n" + numbered([material_line(m, with_copies=False) for m in items])
    return "\n" + numbered([material_line(m) for m in items])


def numbered(lines: Sequence[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def timeline_stages(kb: Knowledge, p: Procedure) -> List[str]:
    """申报 → 受理 → 审核 → 公告 → 领取/贴条, as far as the guide's steps for `p` go:
    审核 and 公告 only where the collection step waits for them."""
    stages = [s.stage for s in p.steps if s.stage != "领取"]
    step = p.collection
    if step is None:
        return stages
    if "审核" in step.text:
        stages.append("审核")
    if "通告" in step.text:
        stages.append("公告")
    if step.next_procedure:
        stages.append("申请" + kb.procedure(step.next_procedure).name)
    else:
        stages.append("贴条" if "贴条" in (step.purpose or step.text) else "领取")
    return stages


def _timeline(kb: Knowledge, p: Procedure) -> dict:
    """A custom payload the web widget draws as a timeline; other channels show the text."""
    return {"type": "timeline", "title": p.title, "steps": [{"stage": s} for s in timeline_stages(kb, p)]}


# --- procedures -------------------------------------------------------------------


def steps(kb: Knowledge, p: Procedure, stages: Sequence[str] = ()) -> List[Message]:
    """Steps in order; only the asked ones when the question names a step."""
    chosen = [s for s in p.steps if s.stage in stages] or list(p.steps)
    if len(chosen) == 1:
        s = chosen[0]
        text = f"【{p.title}】{s.stage}：{s.text}"
        text += _notes_text(s.notes)
        if s.next_procedure:
            text += "\n\n" + _next_procedure_text(kb, s)
        return [{"text": text, "buttons": follow_up_buttons(p, skip="")}]
    lines = [f"{s.stage}：{s.text}" for s in chosen]
    heading = "办事流程" if len(chosen) == len(p.steps) else "、".join(s.stage for s in chosen)
    text = f"【{p.title}】{heading}：\n{numbered(lines)}"
    text += _notes_text(n for s in chosen for n in s.notes)
    if not p.collection:
        text += f"\n（办事指南中{p.title}只有申报、受理两步，没有领取环节。）"
    for s in chosen:
        if s.next_procedure:
            text += "\n\n" + _next_procedure_text(kb, s)
    return [{"text": text, "buttons": follow_up_buttons(p, skip="steps")}, {"custom": _timeline(kb, p)}]


def materials(kb: Knowledge, p: Procedure) -> List[Message]:
    intake = p.intake
    text = f"【{p.title}】受理时需携带以下材料，提交至{intake.place}：{material_list(intake.materials)}"
    uploads = p.step("申报").uploads if p.step("申报") else ()
    if uploads:
        text += f"\n网上申报时还需在系统中上传相应附件：{'、'.join(uploads)}。"
    text += _notes_text(intake.notes)
    return [{"text": text, "buttons": follow_up_buttons(p, skip="materials")}]


PROXY = "本人或企业代办人员"


def proxy_lead(step: Step, proxy: Optional[str]) -> str:
    """Answer "can someone else collect it?" from the step's own words."""
    if not proxy or PROXY not in step.text:
        return ""
    return "不必须本人前往，" if proxy == "must" else "可以，"


def collection(kb: Knowledge, p: Procedure, proxy: Optional[str] = None, asks_stamp: bool = False) -> List[Message]:
    """How the result is collected; `asks_stamp` (专业增加批下来以后不用贴条吧) puts whether this
    procedure ends with 贴条 first."""
    step = p.collection
    if step is None:
        last = p.steps[-1]
        verdict = "不需要。" if asks_stamp else ""
        return [{"text": f"{verdict}【{p.title}】办事指南中该业务只有申报、受理两步，没有领取环节。受理：{last.text}",
                 "buttons": follow_up_buttons(p, skip="collect")}]
    lead = proxy_lead(step, proxy)
    if asks_stamp:
        lead = "需要。" if "贴条" in step.text else f"不需要。{p.title}审核通过后是{step.purpose or '领取'}，不办理贴条。"
    text = (f"{lead}{PROXY}均可办理。\n" if lead and not asks_stamp else lead) + f"【{p.title}】{step.stage}：{step.text}"
    if step.bring:
        text += f"\n需携带：{'、'.join(material_line(m, with_copies=False) for m in step.bring)}"
    if step.next_procedure:
        text += "\n\n" + _next_procedure_text(kb, step)
    return [{"text": text, "buttons": follow_up_buttons(p, skip="collect")}]


def compared(kb: Knowledge, first: Procedure, second: Procedure, aspect: Optional[str]) -> List[Message]:
    """和刚才那个有什么区别: what differs between two procedures, for collecting when that was
    asked, otherwise for the materials handed in; each side as the guide writes it."""
    if aspect == "collect":
        steps = [(p, p.collection) for p in (first, second)]
        if all(s for _, s in steps) and steps[0][1].text == steps[1][1].text:
            return [{"text": f"两者领取时相同：{first.collection.text}"}]
        lines = [f"{p.title}：" + (s.text if s else "办事指南中没有领取环节。") for p, s in steps]
        return [{"text": "两者领取时不同：\n" + numbered(lines)}]
    listed = [[material_line(m, with_copies=False) for m in p.intake.materials] for p in (first, second)]
    if listed[0] == listed[1]:
        return [{"text": f"两者受理时的材料相同：{material_list(first.intake.materials)}"}]
    more = [x for x in listed[1] if x not in listed[0]]
    fewer = [x for x in listed[0] if x not in listed[1]]
    text = f"{second.title}与{first.title}受理时的材料不同："
    if more:
        text += f"\n{second.title}要而{first.title}不要：{'、'.join(more)}"
    if fewer:
        text += f"\n{first.title}要而{second.title}不要：{'、'.join(fewer)}"
    for p in (first, second):
        text += f"\n【{p.title}】{material_list(p.intake.materials)}"
    return [{"text": text}]


def material_compared(kb: Knowledge, procedures: Sequence[Procedure], kind: str) -> List[Message]:
    """转注册和注销注册用的申请表一样吗: that material, as each procedure names it."""
    label = kb.material_kind(kind).label
    found = [(p, next((m for s in p.steps for m in s.materials + s.bring if m.kind == kind), None)) for p in procedures]
    lines = [f"{p.title}：{material_line(m, with_copies=False) if m else f'不需要{label}'}" for p, m in found]
    names = {material_line(m, with_copies=False) for _, m in found if m}
    lead = "一样：" if len(names) == 1 and all(m for _, m in found) else "不一样："
    return [{"text": lead + "\n" + numbered(lines)}]


STAMP = re.compile(r"“([^”]*章)”")


def stamps_compared(kb: Knowledge, procedures: Sequence[Procedure]) -> List[Message]:
    """Which stamp each procedure's collection step names, as the guide writes it, and whether
    the names are the same."""
    lines, names = [], []
    for p in procedures:
        found = STAMP.search(p.collection.text) if p.collection else None
        names.append(found.group(1) if found else None)
        lines.append(f"{p.title}：{p.collection.stage}时{p.collection.purpose}" if found else f"{p.title}：办事指南未写加盖印章")
    same = None not in names and len(set(names)) == 1
    lead = "办事指南中写的是同一个章：" if same else "办事指南中的写法不同："
    return [{"text": lead + "\n" + numbered(lines)}]


def where(kb: Knowledge, p: Procedure, stages: Sequence[str] = ()) -> List[Message]:
    chosen = [s for s in p.steps if s.stage in stages and s.place] or [s for s in p.steps if s.place]
    lines = [f"{s.stage}：{_place_sentence(s)}" for s in chosen]
    return [{"text": f"【{p.title}】办理地点：\n{numbered(lines)}", "buttons": follow_up_buttons(p, skip="")}]


def notes(kb: Knowledge, p: Procedure) -> List[Message]:
    found = p.notes
    if not found:
        return steps(kb, p)
    text = f"【{p.title}】注意事项：\n{numbered([n.text for n in found])}"
    return [{"text": text, "buttons": follow_up_buttons(p, skip="")}]


def material_focus(kb: Knowledge, p: Procedure, kinds: Sequence[str], form: Optional[str], yes_no: bool,
                   stages: Sequence[str] = (), lacking: Sequence[str] = (), only: bool = False,
                   question: str = "", besides: bool = False) -> List[Message]:
    """Answer about one material: needed or not, original or copy, how many, where; then the
    whole list for that step (what to hand in, or what to bring to collect).

    需要身份证复印件吗 asks whether it is needed (需要。), 身份证复印件行吗 whether that form is
    accepted (可以。); both end with what the guide says to bring."""
    asks_need = yes_no and bool(NEED.search(question))
    parts = []
    listed = p.collection if "领取" in stages and p.collection else p.intake
    for kind in kinds:
        label = kb.material_kind(kind).label
        hit = _find_material(p, kind, stages)
        instead = _accepted_instead(kb, p, kind) if hit is None else None
        if instead and instead.kind in kinds:
            continue  # 没登报用情况说明可以吗: the newspaper's own line says so
        if instead:  # 丢证要写的那个情况说明: accepted in place of the newspaper
            parts.append(f"{p.title}受理时需携带{material_line(instead)}：没有{instead.name}的，可以提交{label}。"
                         + _detail_elsewhere(kb, p, kind, question))
            continue
        if hit is None:
            parts.append(f"不需要。办事指南中{p.title}的办理材料里没有{label}。")
            continue
        step, m = hit
        listed = step
        if stages and step.stage not in stages and not SIGN.search(question):  # 延续注册受理时要交证书原件吗: not then, later
            asked = "、".join(stages)
            parts.append(f"{asked}时不需要。{p.title}{step.stage}时才需携带{material_line(m, with_copies=False)}。")
            listed = p.step(stages[0]) or p.intake
            continue
        parts.append(_found_material_part(kb, p, kind, step, m, kinds=kinds, form=form, yes_no=yes_no, lacking=lacking,
                                          only=only, question=question, besides=besides, asks_need=asks_need))
    parts.extend(_step_list(p, listed, kinds))
    return [{"text": "\n".join(parts), "buttons": follow_up_buttons(p, skip="materials")}]


def _found_material_part(kb: Knowledge, p: Procedure, kind: str, step: Step, m: Material, **asked) -> str:
    """material_focus's sentence for a material the guide lists at the step asked about; 不带行不行
    (may it be left out) is answered 不行 first."""
    said = _found_material_sentence(kb, p, kind, step, m, **asked)
    if not DO_WITHOUT.search(asked["question"]):
        return said
    return "不行，需要带。" + _without_verdict(said)


def _found_material_sentence(kb: Knowledge, p: Procedure, kind: str, step: Step, m: Material, *, kinds: Sequence[str],
                             form: Optional[str], yes_no: bool, lacking: Sequence[str], only: bool, question: str,
                             besides: bool, asks_need: bool) -> str:
    """The sentence itself: needed, in which form, how many, where."""
    where_text = f"{step.stage}时" if step.stage != "受理" else "受理时"
    others = [x for x in step.materials + step.bring if x.kind not in kinds]
    if only and others:  # 只带证书去行不行: not enough, name the rest
        return f"不够。{p.title}{where_text}还需携带：{'、'.join(material_line(x, with_copies=False) for x in others)}。"
    if besides:  # 除了申请表还要别的材料吗: the rest of the list, or nothing more
        rest = "、".join(material_line(x, with_copies=False) for x in others)
        return (f"需要。除{m.name}外，{p.title}{where_text}还需携带：{rest}。" if others
                else f"不需要。{p.title}{where_text}只需携带{material_line(m)}。")
    verdict = _material_verdict(kb, kind, m, form=form, yes_no=yes_no, lacking=lacking, only=only,
                                question=question, asks_need=asks_need)
    return verdict + _need_sentence(p, step, m, where_text) + "。"


def _material_verdict(kb: Knowledge, kind: str, m: Material, *, form: Optional[str], yes_no: bool,
                      lacking: Sequence[str], only: bool, question: str, asks_need: bool) -> str:
    """The opening of the answer about a found material: 可以。, 需要。, 不符合要求… or nothing."""
    level = _level_verdict(kb.material_kind(kind), m, question) if yes_no else ""
    if SIGN.search(question) and not m.detail:  # 解聘证明要原来单位盖章吗: the guide says nothing of it
        return f"办事指南没有说明{m.name}是否需要签字或盖章、由谁签字盖章。按办事指南，"
    if only:  # 加专业只带申请表就行吧: it is the whole list
        return "可以，只需这一样。"
    if kind in lacking and m.alternative:
        return f"可以。没有{m.name}{m.form or ''}的，可以提交{m.alternative}。"
    if level:
        return level
    if form and asks_need and _form_accepted(m, form):
        return "需要。"
    if form and m.form and "复印件" in question and "原件" in question.replace("复印件", ""):
        return f"{m.name}原件或复印件均可。" if "或" in m.form else f"{m.name}交{m.form}。"  # 户口本交原件还是复印件: which one, not whether the one said last will do
    if form:
        return _form_verdict(m, form)
    if yes_no and ACCEPTABLE.search(question) and not asks_need:
        return "按办事指南，"  # whether theirs qualifies is for the window; say what the guide asks for
    if yes_no:
        return f"需要（也可以提交{m.alternative}）。" if m.alternative else "需要。"
    return ""


def _need_sentence(p: Procedure, step: Step, m: Material, where_text: str) -> str:
    """What the guide says to bring at that step, and where to take it."""
    need = f"{p.title}{where_text}需携带{material_line(m)}"
    if step.stage == "受理":
        need += f"，提交至{step.place}"
    elif step.place:  # 领证带个介绍信就行吧: and where to take it
        need += f"至{step.place}{step.purpose or '办理'}"
    return need


def nothing_more(said: List[Message]) -> List[Message]:
    """还要别的材料吗, after the list: the list is all the guide asks for."""
    text = said[0]["text"].replace("受理时需携带以下材料", "受理时只需携带以下材料（办事指南没有列出别的）", 1)
    return [{**said[0], "text": text}] + said[1:]


def _without_verdict(sentence: str) -> str:
    """A material sentence without its leading verdict (需要。/ 可以。…), for a reply that gives its own."""
    for verdict in ("需要原件。", "需要。", "可以。", "是的，", "是的。"):
        if sentence.startswith(verdict):
            return sentence[len(verdict):]
    return sentence


def then_needed(q: Procedure, said: List[Message], then: List[Message]) -> List[Message]:
    """身份证姓名等其他变更, then 要带证书原件吗: not for this procedure (`said`), but for the one
    that follows its approval (`then`, whose verdict word is dropped: it is another procedure's)."""
    first, _, rest = said[0]["text"].partition("\n")
    following = _without_verdict(then[0]["text"].split("\n")[0])
    text = f"{first}\n审核通过后还要办理{q.title}：{following}" + (f"\n{rest}" if rest else "")
    return [{**said[0], "text": text}] + said[1:]


def unlisted_material(kb: Knowledge, p: Procedure, document: str, substitute: bool) -> List[Message]:
    """退休证行不行: whether another document is accepted, which the guide does not say; 要带毕业证吗:
    the guide lists what to bring, and that is not on the list. Either way, the list."""
    if substitute:
        head = (f"办事指南中没有关于能否用{document}代替所列材料的说明，我不能给您确切的答复，以免误导您。"
                f"如需确认，您可以查看咨询电话或转人工客服。")
    else:
        head = f"不需要。办事指南中{p.title}的办理材料里没有{document}。"
    return [{"text": head + "\n" + "\n".join(_step_list(p, p.intake, ())), "buttons": follow_up_buttons(p, skip="materials")}]


def _step_list(p: Procedure, listed: Step, kinds: Sequence[str]) -> List[str]:
    """The whole list for the step answered about: what to bring to collect, or what to hand in."""
    if listed.stage == "领取":
        if not all(x.kind in kinds for x in listed.bring):  # unless what to bring was just said
            return [f"领取时需携带：{'、'.join(material_line(x, with_copies=False) for x in listed.bring)}。"]
        return []
    return ["受理材料清单：" + material_list(p.intake.materials)]


def form_question(kb: Knowledge, p: Procedure, form: str) -> List[Message]:
    """复印件行吗 with no material named: what each material must be."""
    copies_ok = [m.name for m in p.intake.materials if m.form and "复印件" in m.form]
    originals = [m.name for m in p.intake.materials if m.form == "原件"]
    head = []
    if copies_ok:
        head.append(f"{'、'.join(copies_ok)}可以用复印件")
    if originals:
        head.append(f"{'、'.join(originals)}须提交原件")
    text = f"【{p.title}】" + "；".join(head) + "。\n受理材料：" + material_list(p.intake.materials)
    return [{"text": text, "buttons": follow_up_buttons(p, skip="materials")}]


def _level_verdict(kind: MaterialKind, m: Material, question: str) -> str:
    """登在市里的晚报上算不算: the guide asks for 省级以上报刊, so a city paper falls short."""
    alternative = f"没有的，可以提交{m.alternative}。" if m.alternative else ""
    question = question.replace(kind.label, "")  # 省级以上报刊要原件吗 names the material, not the paper they have
    if any(w in question for w in kind.falls_short):
        return f"不符合要求，办事指南要求的是{kind.label}。{alternative}"
    if any(w in question for w in kind.meets):
        return f"可以，办事指南要求的是{kind.label}。"
    return ""


def _form_accepted(m: Material, asked: str) -> bool:
    return bool(m.form) and (asked in m.form or (asked == "原件" and "或" in m.form))


def _form_verdict(m: Material, asked: str) -> str:
    if not m.form:
        return f"需要携带{m.name}（办事指南未注明须为原件或复印件）。"
    if asked == "复印件":
        return "可以。" if "复印件" in m.form else f"不可以，{m.name}须为原件。"
    return ("需要原件。" if m.form == "原件" else "不一定要原件，" + ("原件或复印件均可。" if "或" in m.form else "复印件即可。"))


SIGN = re.compile(r"签字|签名|盖章|谁签|谁盖|谁写|谁来写|怎么写")


def _accepted_instead(kb: Knowledge, p: Procedure, kind: str) -> Optional[Material]:
    """The material that this kind may replace in p (情况说明 for 省级以上报刊), if any."""
    names = {kb.material_kind(kind).label, *kb.material_kind(kind).aliases}
    return next((m for s in p.steps for m in s.materials if m.alternative in names), None)


def _detail_elsewhere(kb: Knowledge, p: Procedure, kind: str, question: str) -> str:
    """丢证的情况说明谁签字: the guide says it only for another procedure's material of that kind."""
    if not SIGN.search(question):
        return ""
    for other in kb.procedures:
        m = next((m for s in other.steps for m in s.materials if m.kind == kind and m.detail), None)
        if m and other.id != p.id:
            return f"办事指南未写明这里{m.name}的签字、盖章要求；{other.title}中写的是{m.name}（{m.detail}）。"
    return ""


def _find_material(p: Procedure, kind: str, stages: Sequence[str]):
    ordered = sorted(p.steps, key=lambda s: (s.stage not in stages, s.stage != "受理"))
    for s in ordered:
        for m in s.materials + s.bring:
            if m.kind == kind:
                return s, m
    return None


def _place_sentence(s: Step) -> str:
    if s.stage == "申报":
        return s.text
    if s.stage == "受理":
        return f"携带材料到{s.place}提交"
    return f"审核通过、名单公布后到{s.place}{s.purpose or '领取'}"


def _notes_text(found: Iterable) -> str:
    texts = [n.text for n in found]
    return "".join(f"\n注：{t}" for t in texts)


def _next_procedure_text(kb: Knowledge, step: Step) -> str:
    nxt = kb.procedure(step.next_procedure)
    return (f"随后办理【{nxt.title}】，受理时需携带以下材料，提交至{nxt.intake.place}：" + material_list(nxt.intake.materials))


# --- questions with no procedure whose answer is common to all -------------------------


def groups(kb: Knowledge, render) -> dict:
    """Procedures whose rendered fact is the same, fact → procedures, in the guide's order."""
    found: dict = {}
    for p in kb.procedures:
        fact = render(p)
        if fact:
            found.setdefault(fact, []).append(p)
    return found


def collection_fact(p: Procedure) -> Optional[str]:
    return p.collection.text if p.collection else None


def stamp_fact(p: Procedure) -> Optional[str]:
    """The collection step of a procedure that ends with 贴条."""
    return p.collection.text if p.collection and "贴条" in p.collection.text else None


def _grouped(kb: Knowledge, render) -> List[str]:
    """Lines "初始注册、转注册：…" grouping procedures whose rendered fact is the same."""
    found = groups(kb, render)
    if len(found) == 1:
        return [next(iter(found))]
    return [f"{'、'.join(p.title for p in procedures)}：{fact}" for fact, procedures in found.items()]


def common_steps(kb: Knowledge, stages: Sequence[str], where: bool = False) -> List[Message]:
    lines = []
    for stage in stages:
        def render(p: Procedure, stage=stage) -> Optional[str]:
            s = p.step(stage)
            return (_place_sentence(s) if where else s.text) if s else None
        grouped = _grouped(kb, render)
        head = f"各项注册业务的{stage}" + ("地点" if where else "")
        lines.append(f"{head}：{grouped[0]}" if len(grouped) == 1 else f"{head}：\n" + numbered(grouped))
    return [{"text": "\n".join(lines)}]


def common_collection(kb: Knowledge, proxy: Optional[str] = None, asked: Sequence[str] = (),
                      stamp_only: bool = False) -> List[Message]:
    """Collection for every procedure; `asked` material kinds (不管啥业务都得带介绍信吗) get a verdict first;
    `stamp_only` (贴条的话要带啥): the procedures that end with 贴条."""
    with_step = [p for p in kb.procedures if p.collection]
    lead = next((proxy_lead(p.collection, proxy) for p in with_step if PROXY in p.collection.text), "")
    grouped = _grouped(kb, stamp_fact if stamp_only else collection_fact)
    text = (f"{lead}{PROXY}均可办理。\n" if lead else "") + _bring_verdict(kb, with_step, asked)
    text += ("办理贴条的业务：\n" if stamp_only else "审核通过后的领取（或贴条）：\n") + numbered(grouped)
    without = [p.title for p in kb.procedures if not p.collection]
    if without and not stamp_only:
        text += f"\n{'、'.join(without)}没有领取环节。"
    return [{"text": text}]


def _bring_verdict(kb: Knowledge, with_step: Sequence[Procedure], kinds: Sequence[str]) -> str:
    if not kinds:
        return ""
    label = "、".join(kb.material_kind(k).label for k in kinds)
    holders = [p for p in with_step if all(any(m.kind == k for m in p.collection.bring) for k in kinds)]
    if len(holders) == len(with_step):
        return f"是的，有领取（贴条）环节的业务，领取时都需携带{label}。\n"
    if holders:
        return f"不是所有业务都需要：{'、'.join(p.title for p in holders)}领取时需携带{label}。\n"
    return f"不需要，办事指南中领取时不需携带{label}。\n"


def material_stages(kb: Knowledge, kind: str, form: Optional[str] = None) -> List[Message]:
    """Where a material is asked for, procedure by procedure (单位介绍信: 领取 in six of them);
    asked whether a copy will do (`form`), the verdict first when every procedure agrees."""
    label = kb.material_kind(kind).label
    uses = {}
    verdicts = set()
    for p in kb.procedures:
        for s in p.steps:
            for m in (*s.materials, *s.bring):
                if m.kind == kind and form:
                    verdicts.add(_form_verdict(m, form) if m.form else "")
                if m.kind == kind or (m.alternative and label in m.alternative):
                    line = material_line(m, with_copies=False)
                    uses.setdefault(f"{s.stage}时", []).append(p.title if line == label else f"{p.title}（{line}）")
    if not uses:
        return [{"text": f"办事指南中各项业务都不需要{label}。"}]
    lines = [f"{when}：{'、'.join(items)}" for when, items in uses.items()]
    lead = next(iter(verdicts)) if len(verdicts) == 1 else ""  # 解聘证明复印件可以吗: 可以, wherever it is asked
    return [{"text": lead + f"办事指南中需要{label}的环节：\n" + numbered(lines)}]


def common_copies(kb: Knowledge) -> List[Message]:
    copies = {m.copies for p in kb.procedures for m in p.intake.materials}
    if copies != {1}:
        return ask_procedure(kb)
    return [{"text": "各项注册业务受理时，所需材料均为各一式一份。具体要带哪些材料因业务而异，请选择业务：",
             "buttons": procedure_buttons(kb, [p.id for p in kb.procedures])}]


# --- policies and contacts ------------------------------------------------------------


CONTACT_BUTTONS = [{"title": "查看咨询电话", "payload": "联系电话"}, {"title": "转人工客服", "payload": "转人工"}]


def silent(kb: Knowledge, topic: SilentTopic, p: Optional[Procedure], stage: Optional[str] = None) -> List[Message]:
    """收费 / 审核要多久: the guide does not say, so neither do we; what it does say (the step
    `stage`, 邮寄 → 受理 or 领取), and whom to ask."""
    text = f"办事指南中没有关于{topic.label}的说明，我不能给您确切的答复，以免误导您。"
    if stage:
        step = p.step(stage) if p else None
        if step:
            said = f"【{p.title}】{step.stage}：{step.text}"
        elif stage == "领取":
            said = common_collection(kb)[0]["text"]
        else:
            said = common_steps(kb, [stage], where=True)[0]["text"]
        text += f"\n办事指南中的写法是——{said}"
    text += "\n如需确认，您可以查看咨询电话或转人工客服。"
    return [{"text": text, "buttons": CONTACT_BUTTONS}]


def policy(kb: Knowledge, pol: Policy, yes_no: bool = False) -> List[Message]:
    lead = f"{pol.yes_no_answer}。" if yes_no and pol.yes_no_answer else ""
    return [{"text": lead + pol.answer}]


def renewal(kb: Knowledge, expiry: Optional[ExpiryDate], months_early: Optional[float], yes_no: bool,
            today: Optional[date] = None, missed: bool = False, planned: Optional[date] = None) -> List[Message]:
    """The renewal window for an expiry date (or the rule, without one). `missed`: asked what if
    the declaration comes after the expiry (要是过了期再报还来得及吗); `planned`: the day the user
    means to hand in on (打算1月25日再去交), judged instead of today."""
    pol = kb.policy("renewal_window")
    allowed = pol.months_early
    if planned is not None and expiry is not None:
        return [{"text": _planned_verdict(expiry, planned, allowed)}]
    if missed:
        when = f"您的注册证书{expiry.describe()}到期，须在此前申报并提交。" if expiry is not None else ""
        return [{"text": f"来不及。延续注册需在有效期内申报并提交，有效期已过的不能再办理延续注册。{when}{AFTER_EXPIRY}"}]
    if expiry is not None:
        w = renewal_window(expiry.value, allowed, today)
        when = expiry.describe()
        if w.expired:
            text = (f"不能办理延续注册。您的注册证书已于{when}到期，今天是{chinese_date(w.today)}。"
                    f"延续注册需在有效期内申报并提交，有效期已过的不能再办理延续注册。{AFTER_EXPIRY}")
        elif w.open_now:
            text = (f"可以，现在就可以申报延续注册。您的注册证书{when}到期，今天（{chinese_date(w.today)}）已在可申报的时间内："
                    f"延续注册至多可提早{_months(allowed)}申报，最早可在{chinese_date(w.opens)}申报，须在{when}有效期届满前申报并提交。")
            left = (expiry.value - w.today).days
            if left <= 31:  # 明天就到期了，来得及吗: say plainly that the whole of it must be done in time
                text += f"距到期只剩{left}天。办事指南：该事项需在有效期内申报并提交。"  # the guide's words, nothing added
        else:
            text = (f"现在还不能申报延续注册。您的注册证书{when}到期，延续注册至多可提早{_months(allowed)}申报，"
                    f"最早可在{chinese_date(w.opens)}申报，须在{when}有效期届满前申报并提交。")
        if expiry.precision == "month":
            text += "（您只给了月份，以上按该月最后一天计算，请以证书上的具体到期日为准。）"
        elif expiry.precision == "year":
            text += "（您只给了年份，以上按该年年底计算，请以证书上的具体到期日为准。）"
        elif expiry.precision == "approx":
            text += "（以上按您说的剩余时间从今天推算，请以证书上的具体到期日为准。）"
        return [{"text": text}]
    if months_early is not None:
        if months_early <= allowed:
            return [{"text": f"可以。延续注册至多可提早{_months(allowed)}申报，且需在有效期内申报并提交。"}]
        return [{"text": f"不可以。延续注册至多可提早{_months(allowed)}申报，且需在有效期内申报并提交。"}]
    text = pol.answer + "\n告诉我您的证书到期日期（例如：2027年3月15日到期），我可以帮您算出最早什么时候可以申报。"
    return [{"text": text}]


AFTER_EXPIRY = "有效期过了以后如何处理，办事指南中没有说明，如需确认，您可以查看咨询电话或转人工客服。"


def _planned_verdict(expiry: ExpiryDate, planned: date, allowed: int) -> str:
    """打算2027年1月25日再去交，来得及吗: that day against the window, not today."""
    w = renewal_window(expiry.value, allowed, planned)
    when, day = expiry.describe(), chinese_date(planned)
    if w.expired or planned > expiry.value:
        return (f"来不及。您的注册证书{when}到期，延续注册需在有效期内申报并提交，{day}已过有效期。"
                f"请在{when}前申报并提交。{AFTER_EXPIRY}")
    if not w.open_now:
        return (f"{day}还不能申报。延续注册至多可提早{_months(allowed)}申报：您的注册证书{when}到期，"
                f"最早可在{chinese_date(w.opens)}申报，须在{when}有效期届满前申报并提交。")
    return (f"可以，来得及。{day}在可申报的时间内：您的注册证书{when}到期，最早可在{chinese_date(w.opens)}申报，"
            f"须在{when}有效期届满前申报并提交。")


def _months(n: int) -> str:
    return {1: "一个月", 2: "两个月", 3: "三个月"}.get(n, f"{n}个月")


def contact(kb: Knowledge, c: Contact, yes_no: bool = False) -> List[Message]:
    lead = f"{c.yes_no_answer}。" if yes_no and c.yes_no_answer else ""
    return [{"text": lead + c.text}]


def contact_scopes(kb: Knowledge, contacts: Sequence[Contact]) -> List[Message]:
    """技术答疑电话能问注册审查的问题吗: each named line with what the guide says it is for."""
    lines = [f"{c.name}（{c.purpose}）：{'、'.join(kb.phones_of(c)) or c.text}" for c in contacts]
    return [{"text": "办事指南中这几个电话分工不同：\n" + numbered(lines)}]


def all_contacts(kb: Knowledge) -> List[Message]:
    lines = []
    for c in kb.contacts:
        phones = "、".join(kb.phones_of(c))
        if c.via:
            continue
        if phones:
            lines.append(f"{c.name}（{c.purpose}）：{phones}")
    withdraw = [c for c in kb.contacts if c.via]
    text = "办事指南中的咨询电话：\n" + numbered(lines)
    for c in withdraw:
        text += f"\n{c.purpose}：{c.text}"
    window = kb.contact("window")
    text += f"\n办理地点：{window.name}（{window.purpose}）。"
    return [{"text": text}]


# --- conversation helpers ---------------------------------------------------------------


def clarify(kb: Knowledge, question: str, candidates: Sequence[str]) -> List[Message]:
    return [{"text": question, "buttons": procedure_buttons(kb, candidates)}]


def ask_procedure(kb: Knowledge) -> List[Message]:
    return [{"text": "请问您要咨询哪项业务？", "buttons": procedure_buttons(kb, [p.id for p in kb.procedures])}]


def capabilities(kb: Knowledge) -> List[Message]:
    names = "、".join(p.title for p in kb.procedures)
    text = (f"我可以解答浙江省注册监理工程师注册业务的问题：{names}的办理流程、所需材料、证书领取和贴条，"
            "社保证明等政策，以及监理协会、监理锁、技术答疑、注册审查的咨询电话；"
            "也可以帮您查询申请进度，或为您转接人工客服。")
    return [{"text": text, "buttons": [{"title": "初始注册要带什么材料", "payload": "初始注册要带什么材料"},
                                        {"title": "联系电话", "payload": "联系电话"}]}]
