"""The quarterly member review (季度综合评价) through evaluation's consumers, each service on its own
real database (SQLite, and PostgreSQL where present): dispatch's commitments, fulfilments, rework
and escalations, the households' ratings, intake's door visits and deliberation's panels reach a
member's review, which agrees with dispatch's own ledger; and who may read whose."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1.events_pb2 import PanelConfirmed
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb
from lianyi.intake.v1.events_pb2 import DoorVisitRecorded
from servicekit import envelope, topics
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from servicekit.ids import new_id
from services.evaluation.grpc_api import review_to_proto
from tests.integration.dispatch_county import build_county
from tests.integration.test_matter_rating import Loop

# Every dispatch event evaluation listens to, carried in the order dispatch wrote them.
_DISPATCH = (dispatch_pb.TaskOpened, dispatch_pb.TaskAssigned, dispatch_pb.TaskResolved, dispatch_pb.TaskReopened,
             dispatch_pb.TaskEscalated)
# Evaluation's own events it learns from (the three rates' ratings, which the annual rating reads).
_OWN = (evaluation_pb.MatterRated, evaluation_pb.MatterArchived)


class ReviewLoop(Loop):
    def carry(self) -> None:
        """Dispatch's events to evaluation one type-run at a time, in order, and evaluation's own it
        learns from; rework back to dispatch."""
        by_name = {p.DESCRIPTOR.full_name: p for p in _DISPATCH}
        fresh = [e for e in self.county.sent() if e.event_type in by_name and e.event_id not in self._carried]
        self._carried.update(e.event_id for e in fresh)
        for sealed in fresh:
            self._deliver(by_name[sealed.event_type], topics.DISPATCH, [sealed])
        own = {p.DESCRIPTOR.full_name: p for p in _OWN}
        heard = [e for e in self.sealed() if e.event_type in own and e.event_id not in self._carried]
        self._carried.update(e.event_id for e in heard)
        for sealed in heard:
            self._deliver(own[sealed.event_type], topics.EVALUATION, [sealed])
        rework = [e for e in self.sealed() if e.event_type == "lianyi.evaluation.v1.ReworkRequested"
                  and e.event_id not in self._carried]
        self._carried.update(e.event_id for e in rework)
        self.county.deliver(evaluation_pb.ReworkRequested, topics.EVALUATION, *rework)

    @property
    def reviews(self):
        return self.wiring.registrations[0].servicer.reviews

    def seal(self, payload, producer: str):
        return envelope.seal(payload, producer=producer, place=self.county.place(), occurred_at=self.county.clock.now())


@pytest.fixture
def loop(database_url, other_database_url, migrated_db, clock) -> ReviewLoop:
    intake_db = migrated_db("intake", "sqlite://")
    county = build_county(intake_db, migrated_db("dispatch", database_url), clock)
    return ReviewLoop(county, migrated_db("evaluation", other_database_url), intake_db)


def _quarter_of_work(loop: ReviewLoop) -> None:
    """The building leader "lead": three commitments (b-1's leader has them from the start).
    One resolved on time, rated unsatisfied, reworked and then rated satisfied; one resolved late
    and rated basically satisfied; one escalated (released). One door visit (heard twice), one panel."""
    ids, county = loop.county.ids, loop.county
    first = loop.raise_concern("h-0")
    second = loop.raise_concern("h-1")
    third = loop.raise_concern("h-2")
    loop.carry()
    county.clock.advance(hours=2)
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(first, "灯已修好")
    loop.carry()
    with loop.resident("h-0"):
        loop.matters.rate(first, "unsatisfied", "还是不亮", "")
    loop.carry()  # the rework request to dispatch, and its TaskReopened back
    loop.carry()
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(first, "换了新灯")
    with county.secretary():
        county.tasks.escalate(third, "需要物业和社区一起处理")
    county.clock.advance(days=2)  # past the second's 24 hours
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(second, "修好了，晚了点")
    loop.carry()
    with loop.resident("h-0"):
        loop.matters.rate(first, "satisfied", "", "")
    with loop.resident("h-1"):
        loop.matters.rate(second, "basically_satisfied", "", "")
    loop.carry()  # the ratings, to the three rates
    visit = loop.seal(DoorVisitRecorded(visit_id=new_id(), neighbourhood_id=ids["nb-1"], member_id=ids["lead"],
                                        household_id=ids["h-0"], visited_on="2026-11-03", concerns_raised=1), "intake")
    loop._deliver(DoorVisitRecorded, topics.INTAKE, [visit])
    again = loop.seal(envelope.open_payload(visit, DoorVisitRecorded), "intake")  # a new event, the same visit
    loop._deliver(DoorVisitRecorded, topics.INTAKE, [again])
    panel = loop.seal(PanelConfirmed(topic_id=new_id(), member_ids=[ids["lead"], ids["m-1"]]), "deliberation")
    loop._deliver(PanelConfirmed, topics.DELIBERATION, [panel])


def test_a_members_review_counts_their_ledger_visits_and_panels_and_agrees_with_dispatchs_ledger(loop):
    _quarter_of_work(loop)
    lead = loop.county.ids["lead"]
    with loop.county.acting_as("building_leader", entity="lead"):
        mine = loop.reviews.member_review("", "")  # their own, this quarter
    assert (mine.member_id, mine.member_name, mine.quarter) == (lead, "lead", "2026-Q4")
    tally = mine.tally
    assert (tally.committed, tally.fulfilled, tally.on_time, tally.open, tally.released) == (3, 2, 1, 0, 1)
    assert (tally.satisfied, tally.basically_satisfied, tally.unsatisfied, tally.rework_rounds) == (1, 1, 0, 1)
    assert (tally.door_visits, tally.panels) == (1, 1)
    # Fulfilled all that stayed theirs, half of it on time: below qualified's 0.7, at basically's 0.5.
    assert (mine.grade, [s.criterion for s in mine.shortfalls], mine.rectify_by) == (
        "basically_qualified", ["on_time"], date(2027, 1, 30))

    with loop.county.acting_as("building_leader", entity="lead"):
        _, _, _, ledger_totals, _ = loop.county.reports.ledger("", "", "", 0, "")
    assert (ledger_totals["committed"], ledger_totals["fulfilled_on_time"], ledger_totals["fulfilled_late"],
            ledger_totals["open"], ledger_totals["released"]) == (tally.committed, tally.on_time,
                                                                 tally.fulfilled - tally.on_time, tally.open,
                                                                 tally.released), "the same ledger as dispatch's"

    message = review_to_proto(mine)
    assert (message.fulfilment_rate, message.on_time_rate, message.satisfaction_rate) == (1.0, 0.5, 1.0)
    assert message.rectify_by == "2027-01-30"
    with loop.county.acting_as("member", entity="m-1"):
        assert not review_to_proto(loop.reviews.member_review("", "")).HasField("fulfilment_rate")


def test_the_neighbourhoods_quarter_lists_every_member_and_its_bulletin_names_them(loop):
    _quarter_of_work(loop)
    with loop.county.secretary():
        name, quarter, reviews = loop.reviews.neighbourhood_reviews(loop.county.ids["nb-1"], "2026-Q4")
        text, _ = loop.reviews.bulletin(loop.county.ids["nb-1"], "2026-Q4", "text")
        table, _ = loop.reviews.bulletin(loop.county.ids["nb-1"], "", "csv")
        earlier = loop.reviews.neighbourhood_reviews(loop.county.ids["nb-1"], "2026-Q3")[2]
    assert (name, quarter) == ("nb-1", "2026-Q4")
    assert [(r.member_name, r.grade) for r in reviews] == [
        ("lead", "basically_qualified"), ("m-1", "not_assessed"), ("m-2", "not_assessed"),
        ("sec-nb-1", "not_assessed")]
    assert "一、lead：承诺3件，践诺2件（按时1件），转交他人1件；群众评价满意1件、基本满意1件、不满意0件；返工1轮；" \
           "入户走访1次；参加群议1次。评定：基本合格（按时践诺率低于70%），请于2027年1月30日前完成整改。" in text
    assert "二、m-1：承诺0件" in text and "参加群议1次" in text.split("二、m-1：")[1]
    assert loop.county.ids["h-0"] not in text + table, "no household appears in a bulletin"
    assert table.splitlines()[1].startswith("2026-Q4,nb-1,lead,3,2,1,0,1,1,1,0,1,1,1,基本合格,2027-01-30")
    assert all(r.tally.committed == 0 and r.tally.door_visits == 0 for r in earlier), "nothing happened in Q3"


def test_who_may_read_which_review(loop):
    _quarter_of_work(loop)
    ids = loop.county.ids
    with loop.county.acting_as("member", entity="m-1"), pytest.raises(PermissionDenied, match="own review"):
        loop.reviews.member_review(ids["lead"], "")
    with loop.county.acting_as("community_admin", "community", "admin"):
        assert loop.reviews.member_review(ids["lead"], "2026-Q4").tally.committed == 3
        with pytest.raises(InvalidArgument, match="neighbourhood"):
            loop.reviews.neighbourhood_reviews(ids["community"], "")
    # An administrator is no member: no review of their own (their role's lack, not a field's fault).
    with loop.county.acting_as("community_admin", "community"), \
            pytest.raises(PermissionDenied, match="only a member has a review of their own"):
        loop.reviews.member_review("", "")
    with loop.county.secretary("nb-2"):
        with pytest.raises(NotFound):
            loop.reviews.member_review(ids["lead"], "")
        with pytest.raises(NotFound):
            loop.reviews.neighbourhood_reviews(ids["nb-1"], "")
        with pytest.raises(NotFound):
            loop.reviews.member_review(ids["h-0"], "")  # not a member
    with loop.county.secretary():
        with pytest.raises(InvalidArgument, match="quarter"):
            loop.reviews.member_review(ids["lead"], "2026-Q9")
        with pytest.raises(InvalidArgument, match="years 1900-9998"):
            loop.reviews.member_review(ids["lead"], "0000-Q1")
        with pytest.raises(NotFound):
            loop.reviews.neighbourhood_reviews(ids["community"], "")  # above the secretary's scope
        with pytest.raises(InvalidArgument, match="format"):
            loop.reviews.bulletin(ids["nb-1"], "", "pdf")


def test_events_heard_again_change_nothing(loop):
    _quarter_of_work(loop)
    with loop.db.read() as conn:
        before = conn.execute(sa.text("SELECT * FROM review_commitments ORDER BY commitment_id")).all()
    sealed = [e for e in loop.county.sent() if e.event_type.endswith(("TaskAssigned", "TaskResolved", "TaskReopened"))]
    for event in sealed:
        payload_class = next(p for p in _DISPATCH if p.DESCRIPTOR.full_name == event.event_type)
        loop._deliver(payload_class, topics.DISPATCH, [event])
    with loop.db.read() as conn:
        assert conn.execute(sa.text("SELECT * FROM review_commitments ORDER BY commitment_id")).all() == before


def test_the_countys_grading_setting_decides_the_grade_and_the_days_to_rectify(loop):
    _quarter_of_work(loop)
    grading = {"qualified": {"fulfilment": 0.8, "on_time": 0.5, "satisfaction": 0.7, "rework_rounds": 2},
               "basically_qualified": {"fulfilment": 0.6, "on_time": 0.5, "satisfaction": 0.5, "rework_rounds": 4},
               "rectification_days": 10}
    with loop.county.acting_as("county_admin", "county", "admin"):
        loop.wiring.settings.set("evaluation.review.grading", loop.county.ids["nb-1"], "", grading)
        with pytest.raises(InvalidArgument):
            loop.wiring.settings.set("evaluation.review.grading", "*", "", {**grading, "rectification_days": 0})
        graded = loop.reviews.member_review(loop.county.ids["lead"], "2026-Q4")
    assert (graded.grade, graded.rectify_by) == ("qualified", None), "on time at half is qualified at this place"


def test_a_rating_after_the_task_went_up_a_tier_is_not_held_against_the_member_released(loop):
    """Two of lead's tasks go up a tier: one before it was ever resolved (resolved jointly, then
    rated unsatisfied: the bodies' work, not lead's), one after lead resolved it and it was rated
    unsatisfied and reopened (lead's work: escalating during the rework does not take the rating
    away)."""
    county = loop.county
    first, second = loop.raise_concern("h-0"), loop.raise_concern("h-1")
    loop.carry()
    with county.secretary():
        county.tasks.escalate(first, "需要业委会和物业一起处理")
    for role, entity, part in (("party_secretary", "sec-nb-1", "约谈"), ("owners_committee", "", "业委会协调"),
                               ("property_company", "", "物业维修")):
        with county.acting_as(role, entity=entity):
            county.tasks.record_part(first, part, "已完成")
    with county.secretary():
        county.tasks.resolve(first, "联合处理完毕")
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(second, "修了")
    loop.carry()
    with loop.resident("h-0"):
        loop.matters.rate(first, "unsatisfied", "", "")  # after the escalation: the bodies' work
    with loop.resident("h-1"):
        loop.matters.rate(second, "unsatisfied", "", "")  # lead's work, until it goes up a tier
    loop.carry()  # the rework request to dispatch, and its TaskReopened back
    loop.carry()
    with county.secretary():
        county.tasks.escalate(second, "返工仍需多方处理")
    loop.carry()
    with county.acting_as("building_leader", entity="lead"):
        tally = loop.reviews.member_review("", "").tally
    assert (tally.committed, tally.released, tally.fulfilled, tally.open) == (2, 2, 0, 0)
    assert (tally.satisfied, tally.basically_satisfied, tally.unsatisfied) == (0, 0, 1), \
        "the rating of lead's own round is lead's; the one of others' work is not"
    with loop.db.read() as conn:
        ratings = dict(conn.execute(sa.text("SELECT task_id, rating FROM review_commitments")).all())
    assert ratings == {first: "", second: "unsatisfied"}, "the later rating never reached the released commitment"


def test_a_neighbourhoods_reviews_count_only_its_own_work(loop):
    """lead (of nb-1) also took on a task and made a visit in nb-2: nb-1's list and bulletin show
    lead's nb-1 work alone, nb-2's list lead's nb-2 work alone; lead's own review all of it."""
    _quarter_of_work(loop)
    ids, county = loop.county.ids, loop.county
    elsewhere = dispatch_pb.TaskAssigned(task_id=new_id(), neighbourhood_id=ids["nb-2"], handler_id=ids["lead"],
                                         handler_name="lead", mode=dispatch_pb.ASSIGNMENT_MODE_CLAIMED)
    elsewhere.assigned_at.FromDatetime(county.clock.now())
    loop._deliver(dispatch_pb.TaskAssigned, topics.DISPATCH, [envelope.seal(
        elsewhere, producer="dispatch", place=county.place("nb-2"), occurred_at=county.clock.now())])
    visit = loop.seal(DoorVisitRecorded(visit_id=new_id(), neighbourhood_id=ids["nb-2"], member_id=ids["lead"],
                                        household_id=new_id(), visited_on="2026-11-04"), "intake")
    loop._deliver(DoorVisitRecorded, topics.INTAKE, [visit])
    with county.acting_as("community_admin", "community"):
        here = {r.member_name: r for r in loop.reviews.neighbourhood_reviews(ids["nb-1"], "2026-Q4")[2]}
        there = {r.member_name: r for r in loop.reviews.neighbourhood_reviews(ids["nb-2"], "2026-Q4")[2]}
        text, _ = loop.reviews.bulletin(ids["nb-1"], "2026-Q4", "text")
        whole = loop.reviews.member_review(ids["lead"], "2026-Q4").tally
    assert (here["lead"].tally.committed, here["lead"].tally.door_visits) == (3, 1)
    assert "一、lead：承诺3件，践诺2件（按时1件），转交他人1件；" in text and "入户走访1次；" in text
    assert (there["lead"].tally.committed, there["lead"].tally.open, there["lead"].tally.door_visits) == (1, 1, 1)
    assert (whole.committed, whole.door_visits) == (4, 2), "their own review is their whole quarter"


def test_a_panel_is_kept_on_its_county_time_day(loop):
    ids = loop.county.ids
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 2027-01-01 01:00 in the county
    panel = envelope.seal(PanelConfirmed(topic_id=new_id(), member_ids=[ids["m-1"]]), producer="deliberation",
                          place=loop.county.place(), occurred_at=new_year)
    loop._deliver(PanelConfirmed, topics.DELIBERATION, [panel])
    with loop.db.read() as conn:
        row = conn.execute(sa.text("SELECT quarter, occurred_on FROM member_activities")).one()
    assert (row.quarter, str(row.occurred_on)) == ("2027-Q1", "2027-01-01")
