"""Rating every handled matter (一事一评) across dispatch and evaluation, each on its own real
database (SQLite, and PostgreSQL where present), their events carried between them as the topics
would: a resolved task is rated by its household; unsatisfied sends it back for rework under the
party organisation, resolved again and rated again; satisfied archives it; unrated, it is
reminded and then closed."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from google.protobuf.message import Message

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb
from lianyi.directory.v1.events_pb2 import EntityChanged
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb
from lianyi.events.v1.progress_pb2 import ConcernProgressed, ConcernStatus
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged
from servicekit import envelope, topics
from servicekit.config import RuntimeSettings
from servicekit.consumer import apply_batch
from servicekit.errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from servicekit.ids import new_id
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.timer_runner import TimerRunner
from services.evaluation import wiring as evaluation
from services.evaluation.grpc_api import matter_to_proto
from tests.integration.dispatch_county import County, build_county
from tests.integration.test_batch_apply import items, subscription_to
from tests.integration.test_task_handling import decision


class Loop:
    """Dispatch (the county's tasks) and evaluation, with the events between them carried on."""

    def __init__(self, county: County, db, intake_db):
        self.county, self.db = county, db
        self.wiring = evaluation.build(db, Outbox(topics.EVALUATION), county.clock)
        self.matters = self.wiring.registrations[0].servicer.matters
        with intake_db.read() as conn:
            directory = [envelope.decode(p) for p in conn.execute(
                sa.select(outbox_table.c.payload).where(outbox_table.c.topic == topics.DIRECTORY)
                .order_by(outbox_table.c.id)).scalars()]
        self._deliver(EntityChanged, topics.DIRECTORY, directory)
        self._carried: set[str] = set()

    def _deliver(self, payload_class: type[Message], topic: str, sealed: list) -> None:
        apply_batch(self.wiring.units, items(subscription_to(self.wiring, payload_class, topic), sealed),
                    self.county.clock)

    def raise_concern(self, household: str = "h-0", building: str = "b-1", category: str = "property_management",
                      route: str = "direct") -> str:
        """A concern intake received, heard by dispatch (its task) and evaluation (its household)."""
        sealed = self.county.concern(building, category, route=route, household=household)
        assert self.county.deliver(ConcernReceived, topics.INTAKE, sealed) == [True]
        self._deliver(ConcernReceived, topics.INTAKE, [sealed])
        return envelope.open_payload(sealed, ConcernReceived).concern.concern_id

    def carry(self) -> None:
        """Dispatch's resolutions to evaluation, evaluation's rework requests to dispatch."""
        resolved = [e for e in self.county.sent() if e.event_type == "lianyi.dispatch.v1.TaskResolved"
                    and e.event_id not in self._carried]
        self._carried.update(e.event_id for e in resolved)
        self._deliver(dispatch_pb.TaskResolved, topics.DISPATCH, resolved)
        rework = [e for e in self.sealed() if e.event_type == "lianyi.evaluation.v1.ReworkRequested"
                  and e.event_id not in self._carried]
        self._carried.update(e.event_id for e in rework)
        self.county.deliver(evaluation_pb.ReworkRequested, topics.EVALUATION, *rework)

    def sealed(self) -> list:
        with self.db.read() as conn:
            return [envelope.decode(p) for p in conn.execute(
                sa.select(outbox_table.c.payload).where(outbox_table.c.topic == topics.EVALUATION)
                .order_by(outbox_table.c.id)).scalars()]

    def sent(self, payload_class: type[Message]) -> list:
        name = payload_class.DESCRIPTOR.full_name
        return [envelope.open_payload(e, payload_class) for e in self.sealed() if e.event_type == name]

    def timeline(self, concern_id: str) -> list[str]:
        """What evaluation reported of a concern (rated, archived)."""
        return [ConcernStatus.Name(p.status).removeprefix("CONCERN_STATUS_").lower()
                for p in self.sent(ConcernProgressed) if p.concern_id == concern_id]

    def resident(self, household: str = "h-0"):
        return self.county.acting_as("resident", entity=household)

    def fire_timers(self) -> None:
        TimerRunner(self.wiring.units, self.wiring.timers, RuntimeSettings(), self.county.clock, "test").fire_due()


@pytest.fixture
def loop(database_url, other_database_url, migrated_db, clock) -> Loop:
    intake_db = migrated_db("intake", "sqlite://")
    county = build_county(intake_db, migrated_db("dispatch", database_url), clock)
    return Loop(county, migrated_db("evaluation", other_database_url), intake_db)


def resolved_task(loop: Loop, result: str = "灯已修好") -> str:
    task_id = loop.raise_concern("h-0")
    loop.county.clock.advance(hours=2)
    with loop.county.acting_as("building_leader", entity="lead"):
        loop.county.tasks.resolve(task_id, result)
    loop.carry()
    return task_id


def test_unsatisfied_goes_back_for_rework_and_the_next_round_is_rated_and_archived(loop):
    task_id = resolved_task(loop)
    with loop.resident():
        (mine,), _ = loop.matters.list("mine", "", [], 0, "")
        assert (mine.task_id, mine.state, mine.round) == (task_id, "awaiting_rating", 1)
        rated = loop.matters.rate(task_id, "unsatisfied", "灯还是不亮", "")
    assert (rated.state, rated.supervisor.id) == ("reworking", loop.county.ids["po-nb-1"])
    (rework,) = loop.sent(evaluation_pb.ReworkRequested)
    assert (rework.task_id, rework.supervisor_id) == (task_id, loop.county.ids["po-nb-1"])
    assert rework.reason == "rated unsatisfied (round 1)", "the household's words stay on the matter"

    loop.carry()  # dispatch reopens the task under the supervisor
    (reopened,) = loop.county.sent(dispatch_pb.TaskReopened)
    assert (reopened.round, reopened.supervisor_id) == (1, loop.county.ids["po-nb-1"])
    loop.county.clock.advance(hours=3)
    with loop.county.acting_as("building_leader", entity="lead"):
        loop.county.tasks.resolve(task_id, "换了新灯")
    loop.carry()
    with loop.resident():
        again = loop.matters.get(task_id)
        assert (again.state, again.round, again.result, again.rating) == ("awaiting_rating", 2, "换了新灯", "")
        done = loop.matters.rate(task_id, "satisfied", "", "")
    assert done.state == "archived"
    assert [(r.round, r.rating) for r in loop.sent(evaluation_pb.MatterRated)] == [
        (1, evaluation_pb.RATING_UNSATISFIED), (2, evaluation_pb.RATING_SATISFIED)]
    (archived,) = loop.sent(evaluation_pb.MatterArchived)
    assert (archived.round, archived.unrated) == (2, False)
    assert loop.timeline(task_id) == ["rated", "rated", "archived"]
    assert loop.county.progress(task_id) == ["in_handling", "resolved", "reopened", "resolved"]


def test_only_the_household_that_raised_it_rates_it_once_a_round(loop):
    task_id = resolved_task(loop)
    with loop.resident("h-1"), pytest.raises(NotFound):
        loop.matters.rate(task_id, "satisfied", "", "")
    with loop.resident(), pytest.raises(InvalidArgument, match="own household"):
        loop.matters.rate(task_id, "satisfied", "", loop.county.ids["h-1"])
    with loop.resident(), pytest.raises(InvalidArgument, match="comment: at most 500"):
        loop.matters.rate(task_id, "satisfied", "好" * 501, "")
    with loop.county.member("m-1"), pytest.raises(PermissionDenied, match="only a household that raised"):
        loop.matters.rate(task_id, "satisfied", "", loop.county.ids["h-1"])
    with loop.county.member("m-1"):
        in_person = loop.matters.rate(task_id, "basically_satisfied", "", loop.county.ids["h-0"])
    assert (in_person.in_person, in_person.recorded_by, in_person.state) == (True, "m-1", "archived")
    with loop.resident(), pytest.raises(Conflict, match="rated already"):
        loop.matters.rate(task_id, "satisfied", "", "")
    with loop.county.acting_as("member", "nb-2", "other-m"), pytest.raises(NotFound):
        loop.matters.get(task_id)
    assert len(loop.sent(evaluation_pb.MatterRated)) == 1


def test_a_round_not_rated_in_time_is_reminded_then_closed_unrated(loop):
    task_id = resolved_task(loop)
    loop.county.clock.advance(days=6)
    loop.fire_timers()
    (reminded,) = loop.sent(evaluation_pb.RatingReminded)
    assert reminded.task_id == task_id
    assert loop.sent(evaluation_pb.MatterArchived) == []
    loop.county.clock.advance(days=1)
    loop.fire_timers()
    (closed,) = loop.sent(evaluation_pb.MatterArchived)
    assert (closed.unrated, closed.round) == (True, 1)
    assert loop.timeline(task_id) == ["archived"]
    with loop.resident(), pytest.raises(Conflict, match="closed unrated"):
        loop.matters.rate(task_id, "satisfied", "", "")
    assert len(loop.sent(evaluation_pb.RatingReminded)) == 1


def test_a_resolution_delivered_again_opens_no_second_round(loop):
    task_id = resolved_task(loop)
    resolved = [e for e in loop.county.sent() if e.event_type == "lianyi.dispatch.v1.TaskResolved"]
    again = envelope.seal(envelope.open_payload(resolved[0], dispatch_pb.TaskResolved), producer="dispatch",
                          place=loop.county.place(), occurred_at=loop.county.clock.now() + timedelta(minutes=1))
    loop._deliver(dispatch_pb.TaskResolved, topics.DISPATCH, [resolved[0], again])
    with loop.resident():
        matter = loop.matters.get(task_id)
    assert (matter.round, matter.state) == (1, "awaiting_rating")


def test_the_member_who_resolved_it_may_not_record_its_rating(loop):
    task_id = resolved_task(loop)  # resolved by the building leader, "lead"
    with loop.county.acting_as("building_leader", entity="lead"), pytest.raises(PermissionDenied, match="resolved"):
        loop.matters.rate(task_id, "satisfied", "", loop.county.ids["h-0"])


def test_a_matter_raised_without_a_household_asks_nobody_and_counts_nothing(loop):
    task_id = loop.raise_concern(household="")
    with loop.county.acting_as("building_leader", entity="lead"):
        loop.county.tasks.resolve(task_id, "已处理")
    loop.carry()
    with loop.county.secretary(), pytest.raises(NotFound):
        loop.matters.get(task_id)
    loop.county.clock.advance(days=8)
    loop.fire_timers()
    assert loop.sent(evaluation_pb.MatterArchived) == []


def test_a_household_whose_concern_was_merged_rates_the_survivors_matter_and_sees_only_itself(loop):
    survivor, merged = loop.raise_concern("h-0"), loop.raise_concern("h-1", route="deliberation")
    merge = envelope.seal(ConcernsMerged(survivor_id=survivor, merged_ids=[merged]), producer="intake",
                          place=loop.county.place(), occurred_at=loop.county.clock.now())
    loop._deliver(ConcernsMerged, topics.INTAKE, [merge])
    with loop.county.acting_as("building_leader", entity="lead"):
        loop.county.tasks.resolve(survivor, "已处理")
    loop.carry()
    with loop.resident("h-1"):  # merged into the survivor: it raised the same matter
        rated = loop.matters.rate(survivor, "basically_satisfied", "还行, 但慢了点", "")
        assert set(rated.household_ids) == {loop.county.ids["h-0"], loop.county.ids["h-1"]}
        own = matter_to_proto(rated)
    with loop.resident("h-0"):
        other = matter_to_proto(loop.matters.get(survivor))
    assert (list(own.household_ids), own.comment) == ([loop.county.ids["h-1"]], "还行, 但慢了点")
    assert (list(other.household_ids), other.comment) == ([loop.county.ids["h-0"]], ""), \
        "a resident sees their own household, and no other household's comment"


def test_one_action_of_a_decision_rated_leaves_the_decisions_concerns_to_its_last(loop):
    concern = loop.raise_concern("h-0", route="deliberation")
    first, second = new_id(), new_id()
    sealed = decision(loop.county, *(
        deliberation_pb.DecidedAction(action_id=action, description=f"第{n}步", owner_id=loop.county.ids["m-1"],
                                      tier=deliberation_pb.HANDLING_TIER_INDIVIDUAL, deadline="2026-11-30")
        for n, action in enumerate((first, second))))
    payload = envelope.open_payload(sealed, deliberation_pb.DecisionMade)
    payload.concern_ids[:] = [concern]
    loop.county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION,
                        envelope.seal(payload, producer="deliberation", place=loop.county.place(),
                                      occurred_at=loop.county.clock.now()))
    with loop.county.member("m-1"):
        loop.county.tasks.resolve(first, "第一步完成")
    loop.carry()
    with loop.resident():
        assert loop.matters.rate(first, "satisfied", "", "").state == "archived"
    assert loop.timeline(concern) == [], "its other action is still being handled"
    with loop.county.member("m-1"):
        loop.county.tasks.resolve(second, "第二步完成")
    loop.carry()
    with loop.resident():
        loop.matters.rate(second, "satisfied", "", "")
    assert loop.timeline(concern) == ["rated", "archived"]


def test_a_resolution_that_arrives_before_its_concern_is_held_until_the_concern_is_heard(loop):
    """Intake's and dispatch's topics are consumed apart: a task resolved within moments of its
    concern can reach evaluation first. Its matter opens once the concern arrives, not never."""
    sealed = loop.county.concern("b-1", "property_management", route="direct", household="h-0")
    assert loop.county.deliver(ConcernReceived, topics.INTAKE, sealed) == [True]  # dispatch only, so far
    task_id = envelope.open_payload(sealed, ConcernReceived).concern.concern_id
    with loop.county.acting_as("building_leader", entity="lead"):
        loop.county.tasks.resolve(task_id, "灯已修好")
    loop.carry()
    with loop.resident(), pytest.raises(NotFound):
        loop.matters.get(task_id)

    loop._deliver(ConcernReceived, topics.INTAKE, [sealed])
    with loop.resident():
        matter = loop.matters.get(task_id)
    assert (matter.state, matter.round, matter.household_ids) == ("awaiting_rating", 1, (loop.county.ids["h-0"],))
    with loop.db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM held_resolutions")).scalar_one() == 0


def test_a_concern_raised_without_a_household_is_heard_and_its_resolution_asks_nobody(loop):
    sealed = loop.county.concern("b-1", "property_management", route="direct", household="")
    assert loop.county.deliver(ConcernReceived, topics.INTAKE, sealed) == [True]
    loop._deliver(ConcernReceived, topics.INTAKE, [sealed])
    task_id = envelope.open_payload(sealed, ConcernReceived).concern.concern_id
    with loop.county.secretary():
        loop.county.tasks.resolve(task_id, "楼道灯已修")
    loop.carry()
    with loop.db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM held_resolutions")).scalar_one() == 0, "not held"
        assert conn.execute(sa.text("SELECT count(*) FROM matters")).scalar_one() == 0, "nobody to ask"


def test_a_resolution_held_for_a_concern_never_heard_opens_after_an_hour_with_the_households_known(loop):
    """A resolution answering a concern evaluation heard of and one it never will (received before
    evaluation kept every concern, or lost): held, then opened by its timer for the household known."""
    heard = loop.raise_concern("h-0")
    resolved = dispatch_pb.TaskResolved(task_id=new_id(), neighbourhood_id=loop.county.ids["nb-1"],
                                        concern_ids=[heard, new_id()], result="一并处理", round=0,
                                        concerns_resolved=True)
    resolved.resolved_at.FromDatetime(loop.county.clock.now())
    loop._deliver(dispatch_pb.TaskResolved, topics.DISPATCH, [envelope.seal(
        resolved, producer="dispatch", place=loop.county.place(), occurred_at=loop.county.clock.now())])
    with loop.resident(), pytest.raises(NotFound):
        loop.matters.get(resolved.task_id)

    loop.county.clock.advance(minutes=59)
    loop.fire_timers()
    with loop.resident(), pytest.raises(NotFound):
        loop.matters.get(resolved.task_id)
    loop.county.clock.advance(minutes=2)
    loop.fire_timers()
    with loop.resident():
        matter = loop.matters.get(resolved.task_id)
    assert (matter.state, matter.household_ids) == ("awaiting_rating", (loop.county.ids["h-0"],))
    with loop.db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM held_resolutions")).scalar_one() == 0
