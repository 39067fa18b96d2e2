"""The route table: who answers a turn, in order of precedence.

`bot.dialogue.Responder` reads a turn and resolves it against the conversation into a `Ctx`;
the first route here whose `applies(ctx)` holds answers it, and the reply carries the route's
name (the console shows it, tests assert it). Each route is small: `applies` reads only what
the reading and the state already say (`Ctx` derives it once), `answer` builds the reply from
the knowledge through `bot.answers`.

Order matters where two routes could both apply; the comment on each says what it must beat.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, List, Optional

from bot import answers
from bot.dialogue import (CAN_COLLECT, CJK, CONFIDENT, MAX_PROCEDURES, NAME_GIVEN, OWN_APPLICATION, TOGETHER,
                          RETURNED_ASKED, RETURNED_TOLD, Ctx, Reply, _certificate_asked, _elliptical, _joint_verdict,
                          _stamp_only)
from bot.status import stage_explained


@dataclass(frozen=True)
class Route:
    name: str
    label: str  # what the staff console shows
    applies: Callable[[Ctx], bool]
    answer: Callable[[Ctx], Reply]


def _cleared(c: Ctx, **changes):
    """The state with the pending clarification and the last aspect dropped, plus `changes`."""
    return replace(c.state, **{"last_aspect": None, "pending_question": None, "pending_candidates": [], **changes})


# -- before anything about a procedure --------------------------------------------------

def _compare(c: Ctx) -> Reply:
    state = c.state
    if len(c.a.procedures) > 1:  # 那解聘证明呢，两个都要吗: these two, from now on
        state = replace(state, previous_procedure=c.a.procedures[0], procedure=c.a.procedures[1])
    return Reply(c.compared, replace(state, last_question=c.turn.text))


def _not_ours_applies(c: Ctx) -> bool:
    """Another office's or profession's business, or off topic with nothing of ours in it."""
    a = c.a
    about_ours = a.unlisted and c.state.procedure and not a.foreign  # 要带考试合格证明吗, while 注销注册 is discussed
    return (a.foreign and not c.asks_person) or (c.off_topic and not a.procedures and not a.topics
                                                and not c.asks_person and not c.silent and not about_ours)


def _looked_up(c: Ctx) -> Reply:
    asked = c.state.last_question if _elliptical(c.turn.text) else c.turn.text
    return Reply(c.about_case, replace(c.state, last_question=asked))


def _own_case(c: Ctx) -> bool:
    """Their own application, asked about without a number (我们单位有个转注册的申请，到哪一步了)."""
    a, text = c.a, c.turn.text
    return ((a.status_request and bool(OWN_APPLICATION.search(text)))
            or bool(RETURNED_ASKED.search(text))  # 转注册被打回来了吗
            or (bool(RETURNED_TOLD.search(text)) and bool(OWN_APPLICATION.search(text))
                and not a.topics and not c.state.case_stage)  # 我们报的注册被退回来了，想看看原因
            or (a.status_request and c.turn.identity() is not None)  # 我叫李华…延续到哪一步了
            or a.checks_own  # 转注册好像被退回了，帮我看看
            or (a.status_request and "进度" in text and not a.topics))  # 公司帮我报了延续注册，想看看进度


def _status_applies(c: Ctx) -> bool:
    a = c.a
    gives_case = (c.turn.intent == "inform_case" or bool(NAME_GIVEN.match(c.turn.text))) and not a.ambiguity
    forgotten = bool(c.state.lookup_forgotten) and not a.procedures and not a.topics and (
        a.status_request or bool(CAN_COLLECT.search(c.turn.text)))  # 那我现在可以去领了吗, long after a lookup
    return a.gives_case_no or _own_case(c) or forgotten or ((a.status_request or gives_case) and not a.procedures and not a.topics)


def _lookup(c: Ctx) -> Reply:
    """The lookup form takes it from here (it asks for the number and identity)."""
    return Reply([], replace(c.state, lookup_forgotten=None), follow_up="status_form")


def _stage_applies(c: Ctx) -> bool:
    return bool(c.stage and c.stage_procedure and not c.asks_person)


def _stage(c: Ctx) -> Reply:
    pid = c.stage_procedure
    return Reply(stage_explained(c.r.kb, c.stage, c.r.kb.procedure(pid)), _cleared(c, procedure=pid, last_aspect=_next_aspect(c, pid),
                                                                                     last_question=c.turn.text))


def _next_aspect(c: Ctx, pid: str) -> Optional[str]:
    """What the stage's next step is about, so that 要带什么去 after it asks about that step: collecting
    after 已受理 / 已公告 (when the procedure has a collection step), handing in after 已上报."""
    step = {"announce": "collect", "collect": "collect", "intake": "materials", "resubmit": "materials"}.get(c.stage.next)
    return None if step == "collect" and not c.r.kb.procedure(pid).collection else step


def _person_applies(c: Ctx) -> bool:
    turn = c.turn
    return (turn.intent == "request_human" and turn.confidence >= CONFIDENT and bool(CJK.search(turn.text))
            and not c.wants_number and not c.a.procedures) or c.asks_person  # 不对，其实是公司名字变了，人没动: a correction


def _silent_applies(c: Ctx) -> bool:
    return bool(c.silent) and not c.a.gives_case_no


def _silent(c: Ctx) -> Reply:
    """延续注册收不收费: the guide does not say; nothing invented, whom to ask instead. A question
    that also asks what the guide does say (在哪登报？登报要多少钱？) gets that part answered first."""
    kb, a, silent = c.r.kb, c.a, c.silent
    pid = a.procedures[0] if a.procedures else c.state.procedure
    answered = c.r._answered_besides(c, pid)
    stage = "领取" if silent.stage and "collect" in a.aspects else silent.stage  # 证书批了会寄到单位吗
    messages = answers.silent(kb, silent, kb.procedure(pid) if pid and not answered else None, stage)
    for topic in [t for t in a.topics if t.startswith("contact:")][:1]:  # 监理锁多少钱: whom to ask
        messages += answers.contact(kb, kb.contact(topic.split(":", 1)[1]))
    if answered:
        return Reply(answered.messages + messages, answered.state, route="silent_topic+" + (answered.route or ""))
    return Reply(messages, _cleared(c, procedure=pid))


def _unlisted_applies(c: Ctx) -> bool:
    """A document no procedure lists, asked about for one procedure, with no listed material asked too."""
    a = c.a
    return bool(a.unlisted) and not (set(a.materials) - set(a.lacking)) and bool(c.procedures) and len(c.procedures) == 1


def _unlisted(c: Ctx) -> Reply:
    p = c.r.kb.procedure(c.procedures[0])
    return Reply(answers.unlisted_material(c.r.kb, p, c.a.unlisted, c.a.substitute),
                 replace(_cleared(c, procedure=p.id, last_question=c.turn.text), last_aspect="materials"))


def _small_talk_applies(c: Ctx) -> bool:
    """Nothing of the guide in the message and no procedure in context to continue."""
    in_context = (c.state.procedure is not None and bool(c.a.aspects or c.a.stages)  # 那之后还要办什么 / 打出来交哪
                  or bool(c.a.follows and c.a.topics))  # 51号文讲的啥 → 从什么时候开始不用的: that topic, continued
    return not c.a.has_domain_signal and not in_context and c.small_talk is not None


# -- about procedures ---------------------------------------------------------------------

def _order(c: Ctx) -> Reply:
    order = c.order
    return Reply(answers.steps(c.r.kb, order), replace(c.state, procedure=order.id, last_aspect="steps"))


def _topic_applies(c: Ctx) -> bool:
    return bool(c.aspect and c.aspect.startswith(("policy:", "contact:")))


def _nothing_applies(c: Ctx) -> bool:
    return not c.a.procedures and not c.a.ambiguity and c.aspect is None


def _clarify(c: Ctx) -> Reply:
    """Still ambiguous: ask, with the plausible candidates as buttons."""
    candidates = c.r._candidates(c.a, c.aspect, c.state)
    pending = c.turn.text if c.aspect not in (None, "overview") else None
    return Reply(answers.clarify(c.r.kb, c.a.ambiguity.question, candidates),
                 replace(c.state, pending_question=pending, pending_candidates=candidates))


def _general(c: Ctx) -> Reply:
    """No procedure known: the answer every procedure shares, else ask which one."""
    r, a, aspect = c.r, c.a, c.aspect
    common = r._common_answer(aspect, a)
    if common and aspect == "collect":  # 第二个 then picks that line of the numbered answer
        fact = answers.stamp_fact if _stamp_only(a) else answers.collection_fact
        listed = [ps[0].id for ps in answers.groups(r.kb, fact).values()]
        return Reply(common, replace(c.state, pending_question=c.turn.text, pending_candidates=listed))
    if common:  # 申请表去哪里拿 → 打出来交原件还是复印件: about the same thing
        return Reply(common, replace(c.state, last_question=a.text))
    return Reply(answers.ask_procedure(r.kb),
                 replace(c.state, pending_question=c.turn.text, pending_candidates=[p.id for p in r.kb.procedures]))


def _stamps_applies(c: Ctx) -> bool:
    return len(c.stamps_compared) > 1


def _stamps(c: Ctx) -> Reply:
    """延注跟加专业盖的章是同一个不: each procedure's stamp as the guide names it."""
    kb = c.r.kb
    return Reply(answers.stamps_compared(kb, [kb.procedure(pid) for pid in c.stamps_compared]), c.state)


def _unclear_yes_no_applies(c: Ctx) -> bool:
    """补办的新证书编号会变吗 / 转注册办理期间我能在新项目上签字吗: a yes-or-no question about one
    procedure that asks after nothing the guide has (no step, material, policy, contact or date).
    A list of materials would look like an answer; it is not one."""
    a = c.a
    own = [x for x in a.aspects if not x.startswith(("policy:", "contact:"))]
    return (a.yes_no and len(c.turn.text) > 8 and not a.corrected and not a.person and not a.stages and not a.shortcut
            and not set(a.materials) - {"certificate"} and not (a.materials and _certificate_asked(c.turn.text))
            and not a.topics and not a.expiry and not a.planned
            and set(own) <= {"overview"} and not a.whole_process and not a.asks_next and not a.more_asked
            and bool(c.procedures) and len(c.procedures) == 1 and not c.stamps_compared
            and not TOGETHER.search(c.turn.text) and c.r._linked_answer(c.r.kb.procedure(c.procedures[0]), "overview", a) is None)


def _unclear_yes_no(c: Ctx) -> Reply:
    p = c.r.kb.procedure(c.procedures[0])
    head = [{"text": "办事指南中没有关于这个问题的明确说明，我不能给您确切的答复，以免误导您。"
                     f"以下是办事指南中{p.title}的办理流程，供您参考；如需确认，您可以查看咨询电话或转人工客服。"}]
    return Reply(head + answers.steps(c.r.kb, p), _cleared(c, procedure=p.id, last_question=c.turn.text))


def _aspect_answer(c: Ctx) -> Reply:
    """The aspect asked, for each procedure the question is about (one verdict first when they agree)."""
    r, a, aspect = c.r, c.a, c.aspect
    answered = [r._answer(r.kb.procedure(pid), aspect or "overview", a) for pid in c.procedures[:MAX_PROCEDURES]]
    for again in a.corrected_again[1:]:  # 哦不对，其实他是跳槽: its materials, then what was asked before (领证)
        answered += [r._answer(r.kb.procedure(pid), again, a) for pid in c.procedures[:1]]
        aspect = again
    messages = _joint_verdict(answered) if a.yes_no else []
    for each in answered:
        messages += each
    current, previous = r.kb.procedure(c.procedures[-1]), c.state.previous_procedure
    if aspect == "collect" and current.collection and current.collection.next_procedure:
        previous = current.id  # 改名那一步 later means this one
        current = r.kb.procedure(current.collection.next_procedure)  # 批下来之后呢 → 补办; 这一步交什么
    if aspect == "materials" and _collected_only(current, a.materials):
        aspect = "collect"  # 还要带单位介绍信吗 was answered from the collection step: 证书呢 asks about that step too
    if not c.state.procedure and c.procedures == c.state.pending_candidates:  # answered for each, still not chosen
        return Reply(messages, replace(c.state, last_aspect=aspect or "overview", pending_question=None,
                                       last_question=a.follows or a.text))
    return Reply(messages, replace(c.state, procedure=current.id, previous_procedure=previous, last_aspect=aspect or "overview",
                                   pending_question=None, pending_candidates=[], last_question=a.follows or a.text))


def _collected_only(p, kinds: List[str]) -> bool:
    """Every material asked about is one the procedure asks for at collection only (单位介绍信 in 延续注册)."""
    intake = {m.kind for m in p.intake.materials} if p.intake else set()
    bring = {m.kind for m in p.collection.bring} if p.collection else set()
    return bool(kinds) and all(k in bring and k not in intake for k in kinds)


ROUTES: List[Route] = [
    # 和刚才那个有什么区别: before anything reads the procedure named as a new topic
    Route("compare", "对比两项业务", lambda c: c.compared is not None, _compare),
    # weather, exams, 江苏省住建厅: nothing of ours is said, not even a phone number
    Route("not_ours", "非本窗口业务", _not_ours_applies, lambda c: c.r._second_chance(c.turn, c.a, c.state, out_of_scope=True)),
    # 为什么被退回 / 王小明的能去领了吗, after a lookup: that application, not the procedure in general
    Route("looked_up_case", "已查询的申请", lambda c: c.about_case is not None, _looked_up),
    # a case number or their own application: the lookup form takes it from here
    Route("status_lookup", "进度查询", _status_applies, _lookup),
    # 已退回是不是要从头再交 / looked up, then 那我下一步干嘛: what that stage means
    Route("stage", "申请阶段说明", _stage_applies, _stage),
    Route("handoff", "转人工", _person_applies, lambda c: Reply(c.r._handoff_messages(), replace(c.state, failures=0), handoff="asked")),
    # fees, how long review takes: the guide does not say
    Route("silent_topic", "指南未涉及", _silent_applies, _silent),
    # greetings, thanks, English off topic, what the bot can do
    Route("small_talk", "寒暄", _small_talk_applies, lambda c: c.small_talk),
    # 他们几个谁要一寸照: each colleague named, from their own procedure
    Route("each_person", "逐个同事答复", lambda c: c.about_everyone, lambda c: c.r._each_person(c)),
    # 先办遗失补办还是先办身份证信息变更: the one that comes first
    Route("order", "办理先后", lambda c: c.order is not None, _order),
    # 单位介绍信是在哪个环节用的: the steps that ask for that material
    Route("material_stages", "材料用于哪一步", lambda c: c.material_stages is not None, lambda c: Reply(c.material_stages, c.state)),
    Route("topic", "政策或电话", _topic_applies, lambda c: c.r._topics(c.a, c.state)),
    # 退休证行不行 / 要带毕业证吗: a document the guide lists for no procedure
    Route("unlisted_material", "指南未列的材料", _unlisted_applies, _unlisted),
    Route("not_understood", "未理解", _nothing_applies, lambda c: c.r._second_chance(c.turn, c.a, c.state)),
    Route("clarify", "请用户选择业务", lambda c: c.procedures is None, _clarify),
    Route("general", "各业务通用答复", lambda c: not c.procedures, _general),
    Route("stamps", "对比专用章", _stamps_applies, _stamps),
    # 补办的新证书编号会变吗: a yes-or-no question about nothing the guide has
    Route("unclear_yes_no", "指南未明确的是否问题", _unclear_yes_no_applies, _unclear_yes_no),
    Route("aspect", "业务解答", lambda c: True, _aspect_answer),
]


LABELS = {r.name: r.label for r in ROUTES}
