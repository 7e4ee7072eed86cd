"""A topic (议题) through the cycle: which step may follow which, what each records, and the rules
of each step's input."""
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from servicekit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from servicekit.events import Origin, Place, Recorded
from services.deliberation import contract
from services.deliberation.contract import (
    ACCEPTED,
    CONSENSUS_REACHED,
    DECIDED,
    DELIBERATING,
    DRAFTED,
    PUBLISHED,
    REJECTED,
    TOPIC_STATES,
    WITHDRAWN,
)
from services.deliberation.panels.domain import Candidate
from services.deliberation.topics.domain import (
    Action,
    Attendee,
    ConcernMoved,
    ConcernsReleased,
    ConsensusRecorded,
    Decision,
    DecisionMade,
    HistoryEntry,
    Opinion,
    OpinionGiven,
    PanelConfirmed,
    Topic,
    TopicDrafted,
    TopicPublished,
    TopicWithdrawn,
    VoteClosed,
    check_decision,
    check_draft,
    check_text,
)
from services.deliberation.votes.domain import Count, Outcome, VoteRule

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
PLACE = Place("nb-1", "cm-1", "tw-1", "cty-1")
ORIGIN = Origin(PLACE, "corr-1")
SECRETARY = "李书记"
TITLE = "3号楼楼道堆物整治"
MEETING_ON = date(2026, 11, 20)
RULE = VoteRule(quorum=0.5, threshold=0.5)
ACCEPTING = Count(yes=6, no=1, households=10)
REJECTING = Count(yes=1, no=5, households=10)
PANEL = (Candidate("m1", "王一", "serving", 0), Candidate("m2", "张二", "retired_cadre", 1),
         Candidate("m3", "陈三", "floating", 0), Candidate("m4", "林四", "resident", 2),
         Candidate("m5", "黄五", "serving", 1))


def at(hours):
    return T0 + timedelta(hours=hours)


def events(topic):
    return [recorded.event for recorded in topic.events]


def new_unit_of_work(topic):
    """The topic as the next step finds it: loaded again, nothing recorded yet."""
    topic.events.clear()
    topic.new_history.clear()
    topic.new_opinions.clear()
    return topic


def action(description="清理楼道杂物", deadline=date(2026, 12, 1), **fields):
    return Action(fields.pop("action_id", "a1"), description, deadline, **fields)


def decision(attendees=("party_org", "owners_committee", "property_company"), actions=None, resolution="限期清理楼道",
             minutes="三方到会", decided_at=None):
    return Decision("d1", tuple(a if isinstance(a, Attendee) else Attendee(a, f"{a}代表") for a in attendees), minutes,
                    resolution, tuple(actions if actions is not None else [action()]),
                    decided_at or at(24 * 18))


def opinion(member_id, text="建议先通知住户自行清理", hours=200, recorded_by=""):
    return Opinion(f"op-{member_id}-{hours}", member_id, "", text, at(hours), recorded_by)


def give(topic, opinion):
    """The panellist gives `opinion` (its member name is the panel's, filled in by the topic)."""
    return topic.give_opinion(opinion.opinion_id, opinion.member_id, opinion.text, opinion.given_at,
                              opinion.recorded_by, ORIGIN)


# -- topics in each state ----------------------------------------------------------------------------

def drafted(concern_ids=("c1", "c2")):
    topic = Topic.draft("t1", PLACE, TITLE, "楼道堆满杂物, 有消防隐患", concern_ids, MEETING_ON, T0, SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


def withdrawn():
    topic = drafted()
    topic.withdraw(at(1), SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


def published():
    topic = drafted()
    topic.publish(at(1), WEEK, SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


def accepted():
    topic = published()
    topic.close_vote(ACCEPTING, RULE, at(1) + WEEK, False, "", ORIGIN)
    return new_unit_of_work(topic)


def rejected():
    topic = published()
    topic.close_vote(REJECTING, RULE, at(1) + WEEK, False, "", ORIGIN)
    return new_unit_of_work(topic)


def deliberating():
    topic = accepted()
    topic.confirm_panel(PANEL, at(24 * 9), SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


def consensus_reached():
    topic = deliberating()
    for member in PANEL:
        give(topic, opinion(member.member_id))
    topic.record_consensus("先通知, 一周后统一清理", at(24 * 12), SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


def decided():
    topic = consensus_reached()
    topic.decide(decision(), SECRETARY, ORIGIN)
    return new_unit_of_work(topic)


IN = {DRAFTED: drafted, WITHDRAWN: withdrawn, PUBLISHED: published, ACCEPTED: accepted, REJECTED: rejected,
      DELIBERATING: deliberating, CONSENSUS_REACHED: consensus_reached, DECIDED: decided}


def test_each_state_of_the_cycle_can_be_reached():
    assert set(IN) == set(TOPIC_STATES)
    assert {state: IN[state]().state for state in TOPIC_STATES} == {state: state for state in TOPIC_STATES}


# -- each step only from its state --------------------------------------------------------------------

STEPS = {
    "withdraw": (DRAFTED, lambda t: t.withdraw(at(300), SECRETARY, ORIGIN)),
    "publish": (DRAFTED, lambda t: t.publish(at(300), WEEK, SECRETARY, ORIGIN)),
    "require_open_vote": (PUBLISHED, lambda t: t.require_open_vote(at(2))),
    "close_vote": (PUBLISHED, lambda t: t.close_vote(ACCEPTING, RULE, at(300), True, SECRETARY, ORIGIN)),
    "release_concerns": (REJECTED, lambda t: t.release_concerns("pool", "", at(300), SECRETARY, ORIGIN)),
    "confirm_panel": (ACCEPTED, lambda t: t.confirm_panel(PANEL, at(300), SECRETARY, ORIGIN)),
    "give_opinion": (DELIBERATING, lambda t: give(t, opinion("m1", hours=300))),
    "record_consensus": (DELIBERATING, lambda t: t.record_consensus("同意", at(300), SECRETARY, ORIGIN)),
    "decide": (CONSENSUS_REACHED, lambda t: t.decide(decision(), SECRETARY, ORIGIN)),
}


@pytest.mark.parametrize("step, state", [(step, state) for step, (allowed, _) in STEPS.items()
                                         for state in TOPIC_STATES if state != allowed])
def test_a_step_out_of_its_state_is_refused_naming_the_state_the_topic_is_in(step, state):
    topic = IN[state]()
    with pytest.raises(FailedPrecondition, match=f"^topic t1 is {state.replace('_', ' ')}: "):
        STEPS[step][1](topic)
    assert topic.state == state
    assert (topic.events, topic.new_history, topic.new_opinions) == ([], [], [])


def test_a_refusal_says_why_the_step_belongs_elsewhere():
    with pytest.raises(FailedPrecondition) as refused:
        published().withdraw(at(2), SECRETARY, ORIGIN)
    assert refused.value.detail == "topic t1 is published: only a draft can be withdrawn"
    with pytest.raises(FailedPrecondition) as refused:
        deliberating().decide(decision(), SECRETARY, ORIGIN)
    assert refused.value.detail == ("topic t1 is deliberating: the joint meeting decides once the panel has "
                                    "reached consensus")


# -- drafting -----------------------------------------------------------------------------------------

def test_a_draft_records_its_event_one_concern_moved_per_concern_and_its_history():
    topic = Topic.draft("t1", PLACE, f"  {TITLE} ", "  楼道堆满杂物  ", ["c1", "c2", "c1"], MEETING_ON, T0, SECRETARY,
                        ORIGIN)
    assert (topic.state, topic.title, topic.summary, topic.concern_ids) == (DRAFTED, TITLE, "楼道堆满杂物", ("c1", "c2"))
    assert (topic.neighbourhood_id, topic.drafted_at, topic.meeting_on) == ("nb-1", T0, MEETING_ON)
    note = f"drafted into topic «{TITLE}»"
    assert topic.events == [
        Recorded(TopicDrafted("t1", "nb-1", TITLE, ("c1", "c2"), MEETING_ON), ORIGIN, T0),
        Recorded(ConcernMoved("c1", "in_deliberation", note), ORIGIN, T0),
        Recorded(ConcernMoved("c2", "in_deliberation", note), ORIGIN, T0),
    ]
    assert topic.new_history == [HistoryEntry("drafted", T0, "from 2 concern(s)", SECRETARY)]


def test_a_concerns_note_quotes_at_most_60_characters_of_the_title():
    title = "楼" * 100
    topic = Topic.draft("t1", PLACE, title, "", ["c1"], None, T0, SECRETARY, ORIGIN)
    assert topic.title == title
    assert events(topic)[1] == ConcernMoved("c1", "in_deliberation", "drafted into topic «" + "楼" * 60 + "»")


@pytest.mark.parametrize("title, summary, concern_ids, problem", [
    ("", "", ["c1"], "title must not be empty"),
    ("   ", "", ["c1"], "title must not be empty"),
    ("x" * 101, "", ["c1"], "title is longer than 100 characters"),
    ("楼道\x00堆物", "", ["c1"], "title must be plain text"),
    ("楼道堆物", "x" * 2001, ["c1"], "summary is longer than 2000 characters"),
    ("楼道堆物", "见\x1b[31m附件", ["c1"], "summary must be plain text"),
    ("楼道堆物", "", [], "concern_ids: a topic answers 1 to 50 pooled concerns"),
    ("楼道堆物", "", [f"c{i}" for i in range(51)], "concern_ids: a topic answers 1 to 50 pooled concerns"),
])
def test_a_draft_breaking_a_rule_is_refused_with_the_reason(title, summary, concern_ids, problem):
    with pytest.raises(InvalidArgument) as refused:
        Topic.draft("t1", PLACE, title, summary, concern_ids, None, T0, SECRETARY, ORIGIN)
    assert refused.value.detail == problem


@pytest.mark.parametrize("title, summary, concern_ids", [
    ("x" * 100, "", ["c1"]),
    ("  " + "x" * 100 + "  ", "", ["c1"]),  # counted once trimmed
    ("楼道堆物", "x" * 2000, ["c1"]),
    ("楼道堆物", "第一段\n第二段\t缩进\r\n", ["c1"]),  # line breaks and tabs are plain text
    ("楼道堆物", "", [f"c{i}" for i in range(50)]),
    ("楼道堆物", "", [f"c{i % 50}" for i in range(60)]),  # 50 different concerns, some named twice
])
def test_a_draft_at_the_limits_is_accepted(title, summary, concern_ids):
    topic = Topic.draft("t1", PLACE, title, summary, concern_ids, None, T0, SECRETARY, ORIGIN)
    assert (topic.state, topic.title, len(topic.concern_ids)) == (DRAFTED, title.strip(), len(set(concern_ids)))


def test_every_problem_with_a_draft_is_reported_at_once():
    with pytest.raises(InvalidArgument) as refused:
        check_draft("", "x" * 2001, [])
    assert refused.value.detail.split("; ") == [
        "title must not be empty", "summary is longer than 2000 characters",
        "concern_ids: a topic answers 1 to 50 pooled concerns"]


# -- withdrawing and publishing -----------------------------------------------------------------------

def test_a_withdrawn_draft_sends_its_concerns_back_to_the_pool():
    topic = drafted()
    topic.withdraw(at(1), SECRETARY, ORIGIN)
    note = "back in the pool: the draft was withdrawn"
    assert topic.state == WITHDRAWN
    assert events(topic) == [TopicWithdrawn("t1", ("c1", "c2")), ConcernMoved("c1", "in_deliberation", note),
                             ConcernMoved("c2", "in_deliberation", note)]
    assert {(r.origin, r.occurred_at) for r in topic.events} == {(ORIGIN, at(1))}
    assert topic.new_history == [HistoryEntry("withdrawn", at(1), "its concerns are back in the pool", SECRETARY)]


def test_publishing_opens_the_vote_for_the_window_and_moves_no_concern():
    topic = drafted()
    topic.publish(at(1), WEEK, SECRETARY, ORIGIN)
    assert (topic.state, topic.published_at, topic.vote_closes_at) == (PUBLISHED, at(1), at(1) + WEEK)
    assert topic.events == [Recorded(TopicPublished("t1", TITLE, at(1) + WEEK), ORIGIN, at(1))]
    assert topic.new_history == [
        HistoryEntry("published", at(1), "residents vote until 2026-11-09T10:00:00+00:00", SECRETARY)]


def test_a_household_may_vote_until_the_instant_the_vote_closes_but_not_at_it():
    topic = published()
    closes = at(1) + WEEK
    assert topic.require_open_vote(at(1)) == closes
    assert topic.require_open_vote(closes - timedelta(microseconds=1)) == closes
    for late in (closes, closes + timedelta(days=1)):
        with pytest.raises(FailedPrecondition, match=r"^topic t1's vote closed at 2026-11-09T10:00:00\+00:00$"):
            topic.require_open_vote(late)


# -- closing the vote ---------------------------------------------------------------------------------

def test_an_accepted_vote_keeps_its_tally_and_rule_and_tells_the_concerns():
    topic = published()
    topic.close_vote(ACCEPTING, RULE, at(169), False, "", ORIGIN)
    assert (topic.state, topic.rejection_reason, topic.count, topic.rule) == (ACCEPTED, "", ACCEPTING, RULE)
    assert (topic.vote_closed_at, topic.closed_early) == (at(169), False)
    note = "residents' vote accepted"
    assert events(topic) == [VoteClosed("t1", Outcome(True), ACCEPTING, False, 2),
                             ConcernMoved("c1", "in_deliberation", note), ConcernMoved("c2", "in_deliberation", note)]
    assert topic.new_history == [HistoryEntry("vote_closed", at(169), "accepted: 6 yes, 1 no of 10 households", "")]


def test_a_vote_closes_at_its_windows_end_however_late_the_timer_and_early_only_before_it():
    late = published()
    late.close_vote(ACCEPTING, RULE, at(200), False, "", ORIGIN)  # the timer ran 31 hours late
    assert (late.vote_closed_at, late.closed_early, late.events[0].occurred_at) == (at(169), False, at(169))
    asked_late = published()
    asked_late.close_vote(ACCEPTING, RULE, at(170), True, SECRETARY, ORIGIN)  # after the end, before the timer
    assert (asked_late.vote_closed_at, asked_late.closed_early) == (at(169), False)
    early = published()
    early.close_vote(ACCEPTING, RULE, at(100), True, SECRETARY, ORIGIN)
    assert (early.vote_closed_at, early.closed_early) == (at(100), True)
    on_the_end = published()
    on_the_end.close_vote(ACCEPTING, RULE, at(169), True, SECRETARY, ORIGIN)
    assert (on_the_end.vote_closed_at, on_the_end.closed_early) == (at(169), False)


@pytest.mark.parametrize("count, reason, words", [
    (Count(yes=4, no=0, households=10), "quorum_missed", "quorum missed"),
    (Count(yes=2, no=3, households=10), "threshold_missed", "threshold missed"),
])
def test_a_rejected_vote_says_which_rule_it_missed(count, reason, words):
    topic = published()
    topic.close_vote(count, RULE, at(50), True, SECRETARY, ORIGIN)
    assert (topic.state, topic.rejection_reason, topic.closed_early) == (REJECTED, reason, True)
    note = f"residents' vote rejected ({words})"
    assert events(topic) == [VoteClosed("t1", Outcome(False, reason), count, True, 2),
                             ConcernMoved("c1", "in_deliberation", note), ConcernMoved("c2", "in_deliberation", note)]
    said = f"{count.yes} yes, {count.no} no of 10 households, closed early"
    assert topic.new_history == [HistoryEntry("vote_closed", at(50), f"rejected ({words}): {said}", SECRETARY)]


def test_the_vote_is_judged_by_the_rule_given_exactly_at_its_shares():
    topic = published()
    topic.close_vote(Count(yes=3, no=0, households=10), VoteRule(quorum=0.3, threshold=1.0), at(50), False, "",
                     ORIGIN)
    assert topic.state == ACCEPTED


# -- releasing a rejected topic's concerns ------------------------------------------------------------

def test_released_to_the_pool_the_concerns_stay_in_deliberation_and_a_reason_is_optional():
    topic = rejected()
    topic.release_concerns("pool", "  ", at(300), SECRETARY, ORIGIN)
    assert (topic.state, topic.concerns_fate) == (REJECTED, "pool")
    note = f"back in the pool: topic «{TITLE}» was rejected"
    assert events(topic) == [ConcernsReleased("t1", "pool", ("c1", "c2"), ""),
                             ConcernMoved("c1", "in_deliberation", note), ConcernMoved("c2", "in_deliberation", note)]
    assert topic.new_history == [HistoryEntry("concerns_released", at(300), "back to the pool", SECRETARY)]


def test_released_to_the_pool_with_a_reason_the_reason_is_on_the_timeline():
    topic = rejected()
    topic.release_concerns("pool", " 下月再议 ", at(300), SECRETARY, ORIGIN)
    assert events(topic)[0] == ConcernsReleased("t1", "pool", ("c1", "c2"), "下月再议")
    assert events(topic)[1].note == "back in the pool: 下月再议"
    assert topic.new_history[0].note == "back to the pool: 下月再议"


def test_closed_concerns_are_moved_to_closed_with_the_reason():
    topic = rejected()
    topic.release_concerns("closed", "物业已自行处理", at(300), SECRETARY, ORIGIN)
    assert topic.concerns_fate == "closed"
    note = "topic rejected: 物业已自行处理"
    assert events(topic) == [ConcernsReleased("t1", "closed", ("c1", "c2"), "物业已自行处理"),
                             ConcernMoved("c1", "closed", note), ConcernMoved("c2", "closed", note)]
    assert topic.new_history == [HistoryEntry("concerns_released", at(300), "closed: 物业已自行处理", SECRETARY)]


@pytest.mark.parametrize("fate, reason, problem", [
    ("closed", "", "reason must not be empty"),
    ("closed", "   ", "reason must not be empty"),
    ("closed", "x" * 401, "reason is longer than 400 characters"),
    ("pool", "x" * 401, "reason is longer than 400 characters"),
    ("pool", "退\x07回", "reason must be plain text"),
    ("archived", "why", "fate must be one of pool, closed"),
    ("", "", "fate must be one of pool, closed"),
])
def test_a_release_breaking_a_rule_is_refused(fate, reason, problem):
    topic = rejected()
    with pytest.raises(InvalidArgument) as refused:
        topic.release_concerns(fate, reason, at(300), SECRETARY, ORIGIN)
    assert refused.value.detail == problem
    assert (topic.concerns_fate, topic.events) == ("", [])


@pytest.mark.parametrize("first, second, said", [
    ("pool", "closed", "back to the pool"),
    ("closed", "pool", "closed"),
    ("pool", "pool", "back to the pool"),
])
def test_a_rejected_topics_concerns_are_released_only_once(first, second, said):
    topic = rejected()
    topic.release_concerns(first, "理由", at(300), SECRETARY, ORIGIN)
    topic = new_unit_of_work(topic)
    with pytest.raises(FailedPrecondition) as refused:
        topic.release_concerns(second, "理由", at(301), SECRETARY, ORIGIN)
    assert refused.value.detail == f"topic t1's concerns were already released ({said})"
    assert (topic.concerns_fate, topic.events, topic.new_history) == (first, [], [])


@pytest.mark.parametrize("fate", ["pool", "closed"])
def test_the_whole_reason_of_a_release_reaches_the_concerns_timeline(fate):
    from services.intake.contract import TIMELINE_NOTE_MAX_CHARS

    topic = Topic.draft("t1", PLACE, "题" * 100, "", ["c1"], None, T0, SECRETARY, ORIGIN)
    topic.publish(at(1), WEEK, SECRETARY, ORIGIN)
    topic.close_vote(Count(0, 0, 10), RULE, at(200), False, "", ORIGIN)
    reason = "因" * (contract.REASON_MAX_CHARS - 1) + "止"
    topic.release_concerns(fate, reason, at(300), SECRETARY, ORIGIN)
    moved = events(topic)[-1]
    assert isinstance(moved, ConcernMoved)
    assert moved.note[:TIMELINE_NOTE_MAX_CHARS].endswith(reason)


# -- the panel ----------------------------------------------------------------------------------------

def test_confirming_the_panel_starts_deliberation_and_moves_no_concern():
    topic = accepted()
    topic.confirm_panel(list(PANEL), at(220), SECRETARY, ORIGIN)
    assert (topic.state, topic.panel, topic.panel_confirmed_at) == (DELIBERATING, PANEL, at(220))
    assert topic.events == [Recorded(PanelConfirmed("t1", ("m1", "m2", "m3", "m4", "m5")), ORIGIN, at(220))]
    assert topic.new_history == [HistoryEntry("panel_confirmed", at(220), "王一、张二、陈三、林四、黄五", SECRETARY)]


def test_a_panellist_gives_an_opinion_in_their_own_name():
    topic = deliberating()
    given = opinion("m2", hours=230)
    give(topic, given)
    assert (topic.new_opinions, topic.opinion_givers) == ([replace(given, member_name="张二")], frozenset({"m2"}))
    assert topic.events == [Recorded(OpinionGiven("t1", "op-m2-230", "m2"), ORIGIN, at(230))]
    assert topic.new_history == [HistoryEntry("opinion_given", at(230), "张二", "张二")]
    assert topic.state == DELIBERATING


def test_an_opinion_the_secretary_records_for_a_panellist_names_the_secretary_as_actor():
    topic = deliberating()
    give(topic, opinion("m3", hours=231, recorded_by=SECRETARY))
    assert topic.new_history == [HistoryEntry("opinion_given", at(231), "陈三", SECRETARY)]


def test_only_a_panellist_may_give_an_opinion():
    topic = deliberating()
    with pytest.raises(PermissionDenied) as refused:
        give(topic, opinion("m9"))
    assert refused.value.detail == "m9 is not on topic t1's panel"
    assert (topic.new_opinions, topic.opinion_givers, topic.events) == ([], frozenset(), [])


def test_a_stranger_named_in_a_refusal_is_cut_to_64_characters():
    with pytest.raises(PermissionDenied) as refused:
        give(deliberating(), opinion("x" * 300))
    assert refused.value.detail == "x" * 64 + " is not on topic t1's panel"


@pytest.mark.parametrize("text, problem", [
    ("", "text must not be empty"),
    (" \n ", "text must not be empty"),
    ("意" * 2001, "text is longer than 2000 characters"),
    ("意见\x00", "text must be plain text"),
])
def test_an_opinion_breaking_a_rule_is_refused(text, problem):
    topic = deliberating()
    with pytest.raises(InvalidArgument) as refused:
        give(topic, opinion("m1", text=text))
    assert refused.value.detail == problem
    assert (topic.new_opinions, topic.opinion_givers) == ([], frozenset())


def test_an_opinion_of_2000_characters_is_accepted():
    topic = deliberating()
    give(topic, opinion("m1", text="意" * 2000))
    assert topic.new_opinions[0].text == "意" * 2000


# -- consensus ----------------------------------------------------------------------------------------

def test_consensus_is_refused_naming_every_panellist_who_has_not_given_an_opinion():
    topic = deliberating()
    give(topic, opinion("m1"))
    give(topic, opinion("m1", hours=201))  # a second opinion from m1 speaks for nobody else
    give(topic, opinion("m4"))
    topic = new_unit_of_work(topic)
    with pytest.raises(FailedPrecondition) as refused:
        topic.record_consensus("同意", at(300), SECRETARY, ORIGIN)
    assert refused.value.detail == ("every panellist gives at least one opinion before consensus; not yet: "
                                    "张二 (m2), 陈三 (m3), 黄五 (m5)")
    assert (topic.state, topic.consensus, topic.events, topic.new_history) == (DELIBERATING, "", [], [])


def test_with_every_panellist_heard_consensus_is_recorded():
    topic = deliberating()
    topic.opinion_givers = frozenset(member.member_id for member in PANEL)  # as loaded from earlier units of work
    topic.record_consensus("  先通知, 一周后统一清理  ", at(300), SECRETARY, ORIGIN)
    assert (topic.state, topic.consensus, topic.consensus_at) == (CONSENSUS_REACHED, "先通知, 一周后统一清理", at(300))
    assert topic.events == [Recorded(ConsensusRecorded("t1", "先通知, 一周后统一清理"), ORIGIN, at(300))]
    assert topic.new_history == [HistoryEntry("consensus_recorded", at(300), "", SECRETARY)]


@pytest.mark.parametrize("consensus, problem", [
    ("", "consensus must not be empty"),
    ("  ", "consensus must not be empty"),
    ("共" * 4001, "consensus is longer than 4000 characters"),
    ("共\x0b识", "consensus must be plain text"),
])
def test_a_consensus_breaking_a_rule_is_refused(consensus, problem):
    topic = consensus_ready()
    with pytest.raises(InvalidArgument) as refused:
        topic.record_consensus(consensus, at(300), SECRETARY, ORIGIN)
    assert refused.value.detail == problem
    assert topic.state == DELIBERATING


def consensus_ready():
    topic = deliberating()
    for member in PANEL:
        give(topic, opinion(member.member_id))
    return new_unit_of_work(topic)


# -- the joint meeting's decision ---------------------------------------------------------------------

def test_a_decision_records_its_event_and_moves_every_concern_to_decided():
    topic = consensus_reached()
    made = decision(actions=[action(), action("更换楼道灯", date(2026, 12, 15), action_id="a2", tier="joint")])
    topic.decide(made, SECRETARY, ORIGIN)
    assert (topic.state, topic.decision) == (DECIDED, made)
    note = "decided by the joint meeting: 限期清理楼道"
    assert topic.events == [
        Recorded(DecisionMade("t1", "nb-1", TITLE, made, ("c1", "c2")), ORIGIN, made.decided_at),
        Recorded(ConcernMoved("c1", "decided", note), ORIGIN, made.decided_at),
        Recorded(ConcernMoved("c2", "decided", note), ORIGIN, made.decided_at),
    ]
    assert topic.new_history == [HistoryEntry("decided", made.decided_at, "2 action(s)", SECRETARY)]


def test_a_concerns_note_quotes_at_most_200_characters_of_the_resolution():
    topic = consensus_reached()
    topic.decide(decision(resolution="决" * 300), SECRETARY, ORIGIN)
    assert events(topic)[1].note == "decided by the joint meeting: " + "决" * 200


def test_a_meeting_with_the_three_bodies_and_others_invited_decides():
    attendees = ["party_org", "owners_committee", "property_company", "resident", "other"]
    assert check_decision(decision(attendees=attendees)) is None


@pytest.mark.parametrize("present, missing", [
    (("owners_committee", "property_company"), "party_org"),
    (("party_org", "property_company"), "owners_committee"),
    (("party_org", "owners_committee", "resident"), "property_company"),
    (("party_org",), "owners_committee, property_company"),
    ((), "party_org, owners_committee, property_company"),
])
def test_a_decision_without_a_required_body_is_refused_naming_it(present, missing):
    with pytest.raises(InvalidArgument) as refused:
        check_decision(decision(attendees=present))
    assert refused.value.detail == f"attendees: the joint meeting needs {missing} present"


def test_an_unknown_body_is_refused_naming_it():
    with pytest.raises(InvalidArgument) as refused:
        check_decision(decision(attendees=["party_org", "owners_committee", "property_company", "township", "media"]))
    assert refused.value.detail == ("attendees: body must be one of party_org, owners_committee, property_company, "
                                    "resident, other, not media, township")


def test_at_most_50_attendees():
    required = ["party_org", "owners_committee", "property_company"]
    assert check_decision(decision(attendees=required + ["resident"] * 47)) is None
    with pytest.raises(InvalidArgument) as refused:
        check_decision(decision(attendees=required + ["resident"] * 48))
    assert refused.value.detail == "attendees: at most 50"


@pytest.mark.parametrize("actions, accepted", [
    (0, False),
    (1, True),
    (20, True),
    (21, False),
])
def test_a_plan_has_1_to_20_actions(actions, accepted):
    plan = decision(actions=[action(action_id=f"a{i}") for i in range(actions)])
    if accepted:
        assert check_decision(plan) is None
    else:
        with pytest.raises(InvalidArgument) as refused:
            check_decision(plan)
        assert refused.value.detail == "actions: a plan has 1 to 20 actions"


@pytest.mark.parametrize("tier", ["", "individual", "joint", "escalated"])
def test_an_action_has_a_handling_tier_or_leaves_it_to_dispatch(tier):
    assert check_decision(decision(actions=[action(tier=tier)])) is None


@pytest.mark.parametrize("tier", ["collective", "Joint", "fixed", " "])
def test_an_action_with_another_tier_is_refused(tier):
    with pytest.raises(InvalidArgument) as refused:
        check_decision(decision(actions=[action(), action(action_id="a2", tier=tier)]))
    assert refused.value.detail == "actions[1].tier must be one of individual, joint, escalated, or left out"


@pytest.mark.parametrize("deadline, accepted", [
    (date(2026, 11, 20), True),  # the meeting's own day
    (date(2026, 11, 21), True),
    (date(2026, 11, 19), False),
    (date(2025, 11, 20), False),
])
def test_an_action_is_due_no_earlier_than_the_meeting(deadline, accepted):
    # 11:30 UTC is 19:30 on the 20th in the county.
    plan = decision(actions=[action(deadline=deadline)], decided_at=datetime(2026, 11, 20, 11, 30, tzinfo=UTC))
    if accepted:
        assert check_decision(plan) is None
    else:
        with pytest.raises(InvalidArgument) as refused:
            check_decision(plan)
        assert refused.value.detail == "actions[0].deadline is before the meeting"


def test_the_meetings_day_is_the_county_day_whatever_zone_decided_at_is_given_in():
    # 23:30 UTC on 20 November is 07:30 on 21 November in the county (UTC+8): a deadline on the
    # 20th is before the meeting, however the time is written.
    plan = [action(deadline=date(2026, 11, 20))]
    in_utc = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    for decided_at in (in_utc, in_utc.astimezone(timezone(timedelta(hours=8)))):
        with pytest.raises(InvalidArgument, match="deadline is before the meeting"):
            check_decision(decision(actions=plan, decided_at=decided_at))
    assert check_decision(decision(actions=[action(deadline=date(2026, 11, 21))], decided_at=in_utc)) is None


@pytest.mark.parametrize("changes, problem", [
    (dict(resolution=""), "resolution must not be empty"),
    (dict(resolution="  "), "resolution must not be empty"),
    (dict(resolution="决" * 4001), "resolution is longer than 4000 characters"),
    (dict(resolution="决\x1f议"), "resolution must be plain text"),
    (dict(minutes="记" * 10001), "minutes is longer than 10000 characters"),
    (dict(minutes="记\x7f录"), "minutes must be plain text"),
    (dict(actions=[action(description="")]), "actions[0].description must not be empty"),
    (dict(actions=[action(description="做" * 501)]), "actions[0].description is longer than 500 characters"),
    (dict(actions=[action(owner_name="名" * 101)]), "actions[0].owner_name is longer than 100 characters"),
    (dict(attendees=[Attendee("party_org", "名" * 101), "owners_committee", "property_company"]),
     "attendees[0].name is longer than 100 characters"),
])
def test_a_decision_text_breaking_a_rule_is_refused(changes, problem):
    with pytest.raises(InvalidArgument) as refused:
        check_decision(decision(**changes))
    assert refused.value.detail == problem


@pytest.mark.parametrize("changes", [
    dict(minutes=""),
    dict(minutes="记" * 10000),
    dict(resolution="决" * 4000),
    dict(resolution="第一条\n第二条"),
    dict(actions=[action(description="做" * 500, owner_name="名" * 100)]),
    dict(attendees=[Attendee("party_org", ""), Attendee("owners_committee", ""), Attendee("property_company", "")]),
])
def test_a_decision_at_the_limits_is_accepted(changes):
    assert check_decision(decision(**changes)) is None


def test_every_problem_with_a_decision_is_reported_at_once():
    bad = decision(attendees=["party_org", "press"], resolution="",
                   actions=[action(description="", tier="later", deadline=date(2026, 1, 1))])
    with pytest.raises(InvalidArgument) as refused:
        check_decision(bad)
    assert refused.value.detail.split("; ") == [
        "attendees: body must be one of party_org, owners_committee, property_company, resident, other, not press",
        "attendees: the joint meeting needs owners_committee, property_company present",
        "actions[0].tier must be one of individual, joint, escalated, or left out",
        "actions[0].deadline is before the meeting",
        "resolution must not be empty",
        "actions[0].description must not be empty",
    ]


def test_a_refused_decision_leaves_the_topic_as_it_was():
    topic = consensus_reached()
    with pytest.raises(InvalidArgument, match="needs property_company"):
        topic.decide(decision(attendees=["party_org", "owners_committee"]), SECRETARY, ORIGIN)
    assert (topic.state, topic.decision, topic.events, topic.new_history) == (CONSENSUS_REACHED, None, [], [])


# -- the text rule every step shares ------------------------------------------------------------------

@pytest.mark.parametrize("text, required, problem", [
    ("", True, "note must not be empty"),
    ("", False, None),
    ("  ", False, None),
    ("x" * 10, True, None),
    ("x" * 11, False, "note is longer than 10 characters"),
    ("说事点" * 3 + "点", True, None),  # characters, not bytes
    ("a\x00", True, "note must be plain text"),
    ("a\x08", True, "note must be plain text"),
    ("a\x1f", True, "note must be plain text"),
    ("a\x7f", True, "note must be plain text"),
    ("a\tb\nc\r", True, None),
])
def test_a_text_is_refused_when_empty_when_required_too_long_or_holding_control_characters(text, required, problem):
    if problem is None:
        assert check_text("note", text, 10, required=required) is None
    else:
        with pytest.raises(InvalidArgument) as refused:
            check_text("note", text, 10, required=required)
        assert refused.value.detail == problem
