"""A topic through deliberation's cycle on its real database (SQLite, and PostgreSQL where
present): the pool, the residents' vote and its timer, the panel, opinions, consensus and the joint
meeting's decision, each step's events in the outbox with its state."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1 import events_pb2 as pb
from lianyi.events.v1.progress_pb2 import ConcernProgressed, ConcernStatus
from servicekit import envelope
from servicekit.config import RuntimeSettings
from servicekit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from servicekit.messaging_schema import outbox
from servicekit.timer_runner import TimerRunner
from services.deliberation.topics.domain import Attendee
from services.deliberation.topics.handlers import ActionInput
from tests.integration.deliberation_county import build_county

MEETING = [Attendee("party_org", "党支部"), Attendee("owners_committee", "业委会"),
           Attendee("property_company", "物业"), Attendee("resident", "王阿姨")]


@pytest.fixture
def county(database_url, migrated_db, clock):
    return build_county(migrated_db("deliberation", database_url), clock)


def events(county, payload_class) -> list:
    name = payload_class.DESCRIPTOR.full_name
    with county.db.read() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.event_type == name).order_by(outbox.c.id))
        return [envelope.open_payload(envelope.decode(row.payload), payload_class) for row in rows]


def pool(county, neighbourhood="nb-1") -> list[str]:
    return [e.concern_id for e in county.pool.list_pool(county.ids[neighbourhood], 500, "")[0]]


def secretary(county, neighbourhood="nb-1"):
    return county.acting_as("party_secretary", neighbourhood, "m-0", "林书记")


def draft(county, concerns, **fields):
    with secretary(county):
        return county.topics.draft(county.ids["nb-1"], fields.get("title", "楼道堆物清理"), "三栋楼道堆满杂物",
                                   concerns, fields.get("meeting_on", "2026-11-20")).topic


def vote(county, household, choice, topic_id):
    with county.acting_as("resident", "nb-1", household):
        return county.votes.cast(topic_id, choice)


def accepted_topic(county, concerns=2):
    topic = draft(county, county.pool_concerns("nb-1", concerns))
    with secretary(county):
        county.topics.publish(topic.topic_id)
    for h in range(6):
        vote(county, f"h-{h}", "yes" if h < 4 else "no", topic.topic_id)
    with secretary(county):
        return county.votes.close_early(topic.topic_id).topic


def test_a_draft_holds_its_concerns_out_of_the_pool_and_no_other_topic_may_take_them(county):
    concerns = county.pool_concerns("nb-1", 3)
    topic = draft(county, concerns[:2])
    assert topic.state == "drafted" and topic.concern_ids == tuple(concerns[:2])
    assert pool(county) == concerns[2:]
    with pytest.raises(FailedPrecondition, match=f"already taken: {concerns[1]} \\(topic {topic.topic_id}\\)"):
        draft(county, concerns[1:])
    other_pool = county.pool_concerns("nb-2", 1)
    with pytest.raises(InvalidArgument, match=f"not in this neighbourhood's pool: {other_pool[0]}"):
        draft(county, other_pool)
    with secretary(county):
        county.topics.withdraw(topic.topic_id)
    assert pool(county) == concerns
    moved = events(county, ConcernProgressed)
    assert [(m.concern_id, m.status) for m in moved[-2:]] == [(c, ConcernStatus.CONCERN_STATUS_IN_DELIBERATION)
                                                              for c in concerns[:2]]
    assert "withdrawn" in moved[-1].note


def test_another_neighbourhoods_secretary_sees_no_topic_and_a_resident_no_draft(county):
    topic = draft(county, county.pool_concerns("nb-1", 1))
    with county.acting_as("party_secretary", "nb-2", "other-m"), pytest.raises(NotFound):
        county.topics.publish(topic.topic_id)
    with county.acting_as("resident", "nb-1", "h-1"), pytest.raises(NotFound):
        county.topics.get(topic.topic_id)
    with county.acting_as("resident", "nb-1", "h-1"):
        assert county.topics.list(county.ids["nb-1"], [], 0, "")[0] == []
    with county.acting_as("community_admin", "community"):
        assert county.topics.get(topic.topic_id).topic.state == "drafted"


def test_one_vote_per_household_changeable_until_the_window_closes_by_its_timer(county, clock):
    topic = draft(county, county.pool_concerns("nb-1", 1))
    with pytest.raises(FailedPrecondition, match="is drafted: only a published topic takes votes"):
        vote(county, "h-0", "yes", topic.topic_id)
    with secretary(county):
        published = county.topics.publish(topic.topic_id).topic
    assert published.vote_closes_at == clock.now() + timedelta(days=7)
    vote(county, "h-0", "yes", topic.topic_id)
    vote(county, "h-0", "no", topic.topic_id)  # changed its mind: still one vote
    for h in range(1, 5):
        vote(county, f"h-{h}", "yes", topic.topic_id)
    with county.acting_as("resident", "nb-1", "h-0"):
        tally = county.votes.tally(topic.topic_id)
        assert county.topics.get(topic.topic_id).your_vote == "no"
    assert (tally.count.yes, tally.count.no, tally.count.households, tally.closed) == (4, 1, 10, False)
    assert tally.quorum_met and tally.threshold_met
    with county.acting_as("resident", "nb-2", "other-m"), pytest.raises(NotFound):
        county.votes.cast(topic.topic_id, "yes")

    runner = TimerRunner(county.wiring.units, county.wiring.timers, RuntimeSettings(), clock, "test")
    clock.advance(days=7, seconds=-1)
    runner.fire_due()
    assert county.topics.get(topic.topic_id).topic.state == "published"
    clock.advance(seconds=1)
    with pytest.raises(FailedPrecondition, match="vote closed"):
        vote(county, "h-9", "yes", topic.topic_id)
    runner.fire_due()
    closed = county.topics.get(topic.topic_id).topic
    assert (closed.state, closed.count.yes, closed.count.no, closed.closed_early) == ("accepted", 4, 1, False)
    (said,) = events(county, pb.VoteClosed)
    assert (said.accepted, said.yes_votes, said.no_votes, said.households, said.concerns) == (True, 4, 1, 10, 1)


def test_a_rejected_topic_says_why_and_its_concerns_go_back_to_the_pool_or_are_closed(county):
    concerns = county.pool_concerns("nb-1", 2)
    topic = draft(county, concerns[:1])
    with secretary(county):
        county.topics.publish(topic.topic_id)
    vote(county, "h-0", "yes", topic.topic_id)  # 1 of 10 households: no quorum
    with secretary(county):
        rejected = county.votes.close_early(topic.topic_id).topic
        assert (rejected.state, rejected.rejection_reason) == ("rejected", "quorum_missed")
        with pytest.raises(FailedPrecondition, match="is rejected: only an accepted topic gets a panel"):
            county.panels.propose(topic.topic_id, 5)
        county.topics.release(topic.topic_id, "pool", "")
        with pytest.raises(FailedPrecondition, match="already released"):
            county.topics.release(topic.topic_id, "closed", "不再议")
    assert pool(county) == concerns

    second = draft(county, concerns[1:])
    with secretary(county):
        county.topics.publish(second.topic_id)
    for h in range(5):
        vote(county, f"h-{h}", "no" if h < 3 else "yes", second.topic_id)
    with secretary(county):
        assert county.votes.close_early(second.topic_id).topic.rejection_reason == "threshold_missed"
        with pytest.raises(InvalidArgument, match="reason must not be empty"):
            county.topics.release(second.topic_id, "closed", " ")
        county.topics.release(second.topic_id, "closed", "居民多数不同意, 另行协商")
    assert pool(county) == concerns[:1]
    last = events(county, ConcernProgressed)[-1]
    assert (last.concern_id, last.status) == (concerns[1], ConcernStatus.CONCERN_STATUS_CLOSED)
    assert "另行协商" in last.note


def test_the_panel_is_proposed_mixed_and_light_and_a_wrong_one_is_refused_naming_who(county):
    topic = accepted_topic(county)
    with secretary(county):
        proposed, candidates = county.panels.propose(topic.topic_id, 5)
        assert len({m.member_kind for m in proposed}) == 4 and len(candidates) == 7
        # Named by id only: the secretary may not see another neighbourhood's people.
        with pytest.raises(InvalidArgument, match=f"another neighbourhood: {county.ids['other-m']}$"):
            county.panels.confirm(topic.topic_id, [*(county.ids[f"m-{i}"] for i in range(4)), county.ids["other-m"]])
        with pytest.raises(InvalidArgument, match=f"not a party member: v-1 \\({county.ids['v-1']}\\)"):
            county.panels.confirm(topic.topic_id, [*(county.ids[f"m-{i}"] for i in range(4)), county.ids["v-1"]])
        with pytest.raises(InvalidArgument, match="5 to 10 members, not 4"):
            county.panels.confirm(topic.topic_id, [county.ids[f"m-{i}"] for i in range(4)])
        view = county.panels.confirm(topic.topic_id, [m.member_id for m in proposed])
    assert view.topic.state == "deliberating"
    second = accepted_topic(county)
    with secretary(county):
        again, _ = county.panels.propose(second.topic_id, 5)
    # The two members left out of the first panel come first now.
    assert {m.member_id for m in again} >= {c.member_id for c in candidates} - {m.member_id for m in proposed}


def test_consensus_waits_for_every_panellist_and_the_decision_for_the_three_bodies(county):
    topic = accepted_topic(county, concerns=2)
    members = [county.ids[f"m-{i}"] for i in range(5)]
    with secretary(county):
        county.panels.confirm(topic.topic_id, members)
    with county.acting_as("member", "nb-1", "m-1", "m-1"):
        county.topics.add_opinion(topic.topic_id, "先清理再立规矩", "")
        with pytest.raises(PermissionDenied, match="only the party secretary"):
            county.topics.add_opinion(topic.topic_id, "代人发言", county.ids["m-2"])
    with county.acting_as("member", "nb-1", "m-5", "m-5"), pytest.raises(PermissionDenied, match="not on"):
        county.topics.add_opinion(topic.topic_id, "我也说两句", "")
    with secretary(county):
        county.topics.add_opinion(topic.topic_id, "同意", county.ids["m-2"])
        with pytest.raises(FailedPrecondition, match=r"not yet: m-0 .*m-3 .*m-4"):
            county.topics.record_consensus(topic.topic_id, "一周内清理")
        with pytest.raises(FailedPrecondition, match="is deliberating: the joint meeting decides"):
            county.topics.record_decision(topic.topic_id, MEETING, "", "清理", [ActionInput("清理", "2026-11-30")])
        for member in ("m-0", "m-3", "m-4"):
            county.topics.add_opinion(topic.topic_id, "赞成", county.ids[member])
        county.topics.record_consensus(topic.topic_id, "一周内清理, 物业负责")
        with pytest.raises(InvalidArgument, match="needs owners_committee, property_company present"):
            county.topics.record_decision(topic.topic_id, MEETING[:1], "", "清理", [ActionInput("清理", "2026-11-30")])
        with pytest.raises(InvalidArgument, match=r"actions\[0\].deadline is before the meeting"):
            county.topics.record_decision(topic.topic_id, MEETING, "", "清理", [ActionInput("清理", "2026-10-01")])
        decided = county.topics.record_decision(
            topic.topic_id, MEETING, "纪要", "限期清理楼道",
            [ActionInput("清理楼道杂物", "2026-11-30", "joint"), ActionInput("张贴公约", "2026-12-05", "",
                                                                          county.ids["m-1"], "m-1")])
    assert decided.topic.state == "decided"
    (made,) = events(county, pb.DecisionMade)
    assert list(made.concern_ids) == list(topic.concern_ids) and made.resolution == "限期清理楼道"
    assert [(a.description, a.tier, a.deadline) for a in made.actions] == [
        ("清理楼道杂物", pb.HANDLING_TIER_JOINT, "2026-11-30"), ("张贴公约", pb.HANDLING_TIER_UNSPECIFIED, "2026-12-05")]
    decided_moves = [m for m in events(county, ConcernProgressed) if m.status == ConcernStatus.CONCERN_STATUS_DECIDED]
    assert [m.concern_id for m in decided_moves] == list(topic.concern_ids)
    with county.acting_as("resident", "nb-1", "h-1"):
        seen = county.topics.get(topic.topic_id)
    assert seen.topic.concern_ids == () and {a.name for a in seen.topic.decision.attendees if a.body == "resident"} == {""}
    assert all(h.actor == "" for h in seen.history) and [h.step for h in seen.history] == [
        "drafted", "published", "vote_closed", "panel_confirmed", *["opinion_given"] * 5, "consensus_recorded",
        "decided"]


def test_figures_count_each_step_at_every_place_above_it(county):
    accepted_topic(county)
    draft(county, county.pool_concerns("nb-1", 1))
    with county.acting_as("county_admin", "county"):
        figures = county.figures.figures(county.ids["county"], "2026-11")
        assert county.figures.figures(county.ids["community"], "2026").drafted == 2
        assert county.figures.figures(county.ids["nb-2"], "2026-11").drafted == 0
        assert county.figures.figures(county.ids["county"], "2026-10").drafted == 0
    assert (figures.drafted, figures.published, figures.accepted, figures.proposals_adopted) == (2, 1, 1, 1)
    assert (figures.votes, figures.households, figures.turnout) == (6, 10, "0.6000")
    with county.acting_as("party_secretary", "nb-1", "m-0"), pytest.raises(NotFound):
        county.figures.figures(county.ids["county"], "2026-11")


def test_figures_for_a_quarter_count_its_three_months_in_the_countys_time(county):
    """2026-Q4 is October to December in the county (UTC+8): a topic drafted at 00:30 on 1 October
    there (16:30 UTC the day before) is Q4's, one at 23:30 on 30 September is Q3's."""
    now = county.clock.now()
    county.clock.advance(seconds=(datetime(2026, 9, 30, 15, 30, tzinfo=UTC) - now).total_seconds())
    draft(county, county.pool_concerns("nb-1", 1))
    county.clock.advance(hours=1)
    draft(county, county.pool_concerns("nb-1", 1))
    county.clock.advance(seconds=(now - county.clock.now()).total_seconds())
    accepted_topic(county)
    with county.acting_as("county_admin", "county"):
        q3, q4 = (county.figures.figures(county.ids["county"], period) for period in ("2026-Q3", "2026-Q4"))
        months = [county.figures.figures(county.ids["county"], f"2026-{m}") for m in ("10", "11", "12")]
    assert (q3.period, q3.drafted, q3.published) == ("2026-Q3", 1, 0)
    assert (q4.period, q4.drafted, q4.published, q4.accepted, q4.proposals_adopted) == ("2026-Q4", 2, 1, 1, 1)
    assert q4.drafted == sum(m.drafted for m in months) and q4.votes == sum(m.votes for m in months)
