"""The three rates through the consumers: dispatch's real events for a realistic month of one
neighbourhood (fixed and claimed tasks, rework, an unrated matter, an escalation whistled to a
department) and evaluation's own ratings carried to evaluation's subscriptions as the topics
would, on real databases (SQLite, and PostgreSQL where present). The figures are the ones worked
by hand; the rebuild gives the same cells; redelivery and reversed arrival change nothing."""
from __future__ import annotations

import pytest

from lianyi.evaluation.v1 import events_pb2 as evaluation_pb
from servicekit import topics
from servicekit.consumer import apply_batch
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from services.evaluation.grpc_api import rates_to_proto
from services.evaluation.rates import handlers, storage
from tests.integration.dispatch_county import build_county
from tests.integration.test_matter_rating import Loop


class RatesLoop(Loop):
    """Every event evaluation subscribes to carried to it, from dispatch and from itself, and its
    rework requests to dispatch; each delivery kept for replaying."""

    delivered: list

    def carry(self) -> None:
        self.delivered = getattr(self, "delivered", [])
        subscribed = {(s.topic, s.event_type): s for s in self.wiring.subscriptions}
        fresh = [(topics.DISPATCH, e) for e in self.county.sent()] + [(topics.EVALUATION, e) for e in self.sealed()]
        ready, rework = [], []
        for topic, sealed in fresh:
            if sealed.event_id in self._carried:
                continue
            self._carried.add(sealed.event_id)
            if sealed.event_type == "lianyi.evaluation.v1.ReworkRequested":
                rework.append(sealed)
            if (topic, sealed.event_type) in subscribed:
                ready.append((topic, sealed))
        apply_batch(self.wiring.units, [(t, subscribed[(t, e.event_type)].inbound(e), subscribed[(t, e.event_type)])
                                        for t, e in ready], self.county.clock)
        self.delivered.extend(ready)
        self.county.deliver(evaluation_pb.ReworkRequested, topics.EVALUATION, *rework)

    @property
    def queries(self):
        return self.wiring.registrations[0].servicer.rate_queries

    def cells(self) -> dict:
        with self.db.read() as conn:
            return storage.all_cells(conn)


@pytest.fixture
def loop(database_url, other_database_url, migrated_db, clock) -> RatesLoop:
    intake_db = migrated_db("intake", "sqlite://")
    county = build_county(intake_db, migrated_db("dispatch", database_url), clock)
    made = RatesLoop(county, migrated_db("evaluation", other_database_url), intake_db)
    made.intake_db = intake_db
    return made


def a_month(loop: RatesLoop) -> dict[str, str]:
    """November 2026 in nb-1, hours from the first opening (all within the month, county time):
      t1  h-0, b-1: fixed to lead at opening; resolved +2h (2 hours); satisfied
      t2  h-1, b-1: opened +2h, fixed to lead; resolved +5h, unsatisfied; reworked, resolved
          again +10h (8 hours from opening); satisfied
      t3  h-2, b-1: opened +10h, fixed to lead; resolved +11h (1 hour); never rated: closed unrated
      t4  h-0, b-2 (no leader, the pool): opened +11h, claimed by m-1 +41h (after its 24-hour
          deadline); resolved +42h (31 hours); basically satisfied
      t5  h-1, b-1, fixed to lead, sent up twice (from then on no longer lead's), the township
          whistles d-1, which reports in 2 hours later: acted on in time, not resolved
      t6  h-2, b-1, opened with t5, fixed to lead at opening and never touched: past its deadline,
          not responded (dispatch's assignment as it opens a task is nobody's response)
      t7  h-0, b-1, opened with t5, fixed to lead, who notes its progress 2 hours later: responded,
          not resolved"""
    clock = loop.county.clock

    def lead():
        return loop.county.acting_as("building_leader", entity="lead")
    tasks = {"t1": loop.raise_concern("h-0")}
    clock.advance(hours=2)
    with lead():
        loop.county.tasks.resolve(tasks["t1"], "灯已修好")
    tasks["t2"] = loop.raise_concern("h-1")
    loop.carry()
    with loop.resident("h-0"):
        loop.matters.rate(tasks["t1"], "satisfied", "", "")
    clock.advance(hours=3)
    with lead():
        loop.county.tasks.resolve(tasks["t2"], "修了")
    loop.carry()
    with loop.resident("h-1"):
        loop.matters.rate(tasks["t2"], "unsatisfied", "", "")
    loop.carry()  # dispatch reopens it
    clock.advance(hours=5)
    with lead():
        loop.county.tasks.resolve(tasks["t2"], "换了新灯")
    tasks["t3"] = loop.raise_concern("h-2")
    loop.carry()
    with loop.resident("h-1"):
        loop.matters.rate(tasks["t2"], "satisfied", "", "")
    clock.advance(hours=1)
    with lead():
        loop.county.tasks.resolve(tasks["t3"], "已处理")
    tasks["t4"] = loop.raise_concern("h-0", building="b-2")
    clock.advance(hours=30)
    with loop.county.member("m-1"):
        loop.county.tasks.claim(tasks["t4"])
    clock.advance(hours=1)
    with loop.county.member("m-1"):
        loop.county.tasks.resolve(tasks["t4"], "办好了")
    loop.carry()
    with loop.resident("h-0"):
        loop.matters.rate(tasks["t4"], "basically_satisfied", "", "")
    tasks["t5"] = loop.raise_concern("h-1")
    with lead():
        loop.county.tasks.escalate(tasks["t5"], "需要业委会和物业一起处理")
    with loop.county.secretary():
        loop.county.tasks.escalate(tasks["t5"], "小区内解决不了")
    with loop.county.acting_as("township_admin", "township"):
        loop.county.tasks.whistle(tasks["t5"], [loop.county.ids["d-1"]], "请到场")
    tasks["t6"], tasks["t7"] = loop.raise_concern("h-2"), loop.raise_concern("h-0")
    clock.advance(hours=2)
    with loop.county.acting_as("department", "county", "d-1"):
        loop.county.tasks.report_for_department(tasks["t5"], "", "report_in", "", "d1-in")
    with lead():
        loop.county.tasks.note_progress(tasks["t7"], "已联系物业，明天来修")
    clock.advance(days=7)
    loop.carry()
    loop.fire_timers()  # t3's rating period ends
    loop.carry()
    return tasks


def counts(rates) -> tuple:
    return tuple(rates.tally.counts().values())


def test_a_month_of_a_neighbourhood_counts_as_worked_by_hand(loop):
    a_month(loop)
    ids = loop.county.ids
    nb1 = loop.queries.rates("2026-11", place_id=ids["nb-1"])
    # tasks, responded, resolved, satisfied, basically satisfied, unsatisfied, unrated
    assert counts(nb1) == (7, 5, 4, 2, 1, 1, 1)
    assert (nb1.response_rate, nb1.resolution_rate, nb1.satisfaction_rate) == (5 / 7, 4 / 7, 0.75)
    assert (nb1.median_hours, nb1.p90_hours) == (2, 31)  # of 1, 2, 8, 31
    for wider, period in (("community", "2026-Q4"), ("township", "2026"), ("county", "2026-11")):
        assert counts(loop.queries.rates(period, place_id=ids[wider])) == counts(nb1)
    assert counts(loop.queries.rates("2026-10", place_id=ids["nb-1"])) == (0,) * 7
    assert counts(loop.queries.rates("2026-11", place_id=ids["nb-2"])) == (0,) * 7
    lead = loop.queries.rates("2026", member_id=ids["lead"])
    # t1, t2, t3, t6 and t7 (t5 went up a tier); t6, untouched past its deadline, did not respond.
    assert counts(lead) == (5, 4, 3, 2, 0, 1, 1)
    m1 = loop.queries.rates("2026", member_id=ids["m-1"])
    assert (counts(m1), m1.median_hours) == ((1, 0, 1, 0, 1, 0, 0), 31)
    d1 = loop.queries.rates("2026", department_id=ids["d-1"])
    assert (counts(d1), d1.resolution_rate, d1.median_hours) == ((1, 1, 0, 0, 0, 0, 0), 0.0, None)
    answer = rates_to_proto(d1)
    assert answer.department_id == ids["d-1"] and not answer.HasField("satisfaction_rate")
    assert not answer.HasField("median_hours_to_resolve") and answer.response_rate == 1.0


def test_the_rebuild_gives_the_live_cells_and_redelivery_changes_nothing(loop):
    a_month(loop)
    live = loop.cells()
    assert live, "the month left cells"
    assert handlers.rebuild(loop.db) == 7
    assert loop.cells() == live
    subscribed = {(s.topic, s.event_type): s for s in loop.wiring.subscriptions}
    again = [(t, subscribed[(t, e.event_type)].inbound(e), subscribed[(t, e.event_type)]) for t, e in loop.delivered]
    assert not any(apply_batch(loop.wiring.units, again, loop.county.clock))
    assert loop.cells() == live


def test_the_same_events_in_reverse_order_come_to_the_same_cells(loop, migrated_db):
    a_month(loop)
    other = RatesLoop(loop.county, migrated_db("evaluation", "sqlite://"), loop.intake_db)
    subscribed = {(s.topic, s.event_type): s for s in other.wiring.subscriptions}
    for topic, sealed in reversed(loop.delivered):
        subscription = subscribed[(topic, sealed.event_type)]
        apply_batch(other.wiring.units, [(topic, subscription.inbound(sealed), subscription)], loop.county.clock)
    assert other.cells() == loop.cells()


def test_who_reads_which_rates(loop):
    a_month(loop)
    ids, county, read = loop.county.ids, loop.county, loop.queries.rates
    with county.secretary():
        assert read("2026-11", place_id=ids["nb-1"]).tally.tasks == 7
        assert read("2026-11", member_id=ids["m-1"]).tally.tasks == 1
        with pytest.raises(NotFound):
            read("2026-11", place_id=ids["community"])  # above their scope
    with county.secretary("nb-2"), pytest.raises(NotFound):
        read("2026-11", place_id=ids["nb-1"])
    with county.secretary("nb-2"), pytest.raises(NotFound):
        read("2026-11", member_id=ids["m-1"])
    with county.member("m-1"):
        assert read("2026", member_id=ids["m-1"]).tally.tasks == 1
        with pytest.raises(PermissionDenied, match="own rates"):
            read("2026", member_id=ids["lead"])
    with county.acting_as("department", "county", "d-1"):
        assert read("2026", department_id=ids["d-1"]).tally.tasks == 1
        with pytest.raises(PermissionDenied):
            read("2026", department_id=ids["d-2"])
        with pytest.raises(PermissionDenied):
            read("2026", place_id=ids["county"])
    with county.acting_as("township_admin", "township"), pytest.raises(PermissionDenied):
        read("2026", department_id=ids["d-1"])
    with county.acting_as("county_admin", "county"):
        assert read("2026-Q4", department_id=ids["d-1"]).tally.responded == 1
        assert read("2026", place_id=ids["county"]).tally.tasks == 7
        with pytest.raises(NotFound):
            read("2026", member_id=ids["d-1"])  # not a member
        with pytest.raises(InvalidArgument, match="exactly one"):
            read("2026", place_id=ids["county"], member_id=ids["m-1"])
        with pytest.raises(InvalidArgument, match="exactly one"):
            read("2026")
        with pytest.raises(InvalidArgument, match=r"^period"):
            read("2026-Q0", place_id=ids["county"])
