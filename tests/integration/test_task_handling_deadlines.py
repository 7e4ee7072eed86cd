"""Dispatch's deadlines beyond the handler's (SQLite, and PostgreSQL where present): a whistled
department's report-in time, the routing table's deadline for the tier a task goes up to, and a
decision's concerns moving into handling once for all its actions."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb
from lianyi.dispatch.v1 import events_pb2 as pb
from servicekit import topics
from servicekit.config import RuntimeSettings
from servicekit.ids import new_id
from servicekit.timer_runner import TimerRunner
from servicekit.timers import timers
from services.dispatch.tasks.handlers import OVERDUE
from tests.integration.dispatch_county import County, build_county
from tests.integration.test_deliberation_refusals import waiting_for_a_lock
from tests.integration.test_task_handling import CONCERN, decision
from tests.integration.test_task_handling_escalation import escalated_task


@pytest.fixture
def county(database_url, migrated_db, clock) -> County:
    return build_county(migrated_db("intake", "sqlite://"), migrated_db("dispatch", database_url), clock)


def test_a_department_that_does_not_report_in_by_its_time_is_late_once(county):
    task_id = escalated_task(county)
    with county.acting_as("township_admin", "township"):
        county.tasks.whistle(task_id, [county.ids["d-1"], county.ids["d-2"]], "请到场")
    county.clock.advance(hours=2)
    with county.acting_as("department", "county", "d-2"):
        county.tasks.report_for_department(task_id, "", "report_in", "", "d2-in")

    county.clock.advance(hours=21, minutes=59)
    county.fire_timers()
    assert county.sent(pb.DepartmentReportInLate) == [], "not before its time (24 hours by default)"
    county.clock.advance(minutes=1)
    county.fire_timers()
    county.clock.advance(hours=1)
    county.fire_timers()

    (late,) = county.sent(pb.DepartmentReportInLate)
    assert late.department_id == county.ids["d-1"], "d-2 reported in: only d-1 is late"
    assert county.deliveries(task_id)[-1] == "DepartmentReportInLate", "the county platform hears it"
    steps = [step.step for step in county.tasks.get(task_id).history]
    assert steps.count("report_in_late") == 1


def test_a_task_gone_up_has_the_deadline_the_routing_table_gives_it_then(county):
    task_id = county.open_concern("b-1")  # property management: a utilities deadline, 24 hours
    assert county.tasks.get(task_id).task.deadline == county.clock.now() + timedelta(hours=24)
    county.wiring.settings.set("dispatch.routing", county.ids["county"], "property_management",
                               {"tier": "individual", "deadline": "complex"})
    county.clock.advance(hours=1)
    with county.acting_as("building_leader", entity="lead"):
        gone_up = county.tasks.escalate(task_id, "需要物业配合").task
    assert (gone_up.tier, gone_up.deadline) == ("joint", county.clock.now() + timedelta(days=15))
    (escalated,) = county.sent(pb.TaskEscalated)
    assert escalated.deadline.ToDatetime() == (county.clock.now() + timedelta(days=15)).replace(tzinfo=None)


def test_a_decisions_concerns_move_into_handling_once_for_all_its_actions(county):
    county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, decision(county, *(
        deliberation_pb.DecidedAction(action_id=new_id(), description=f"第{n}步", deadline="2026-11-30")
        for n in range(3))))
    assert len(county.sent(pb.TaskOpened)) == 3
    assert county.progress(CONCERN) == ["in_handling"]


def test_claiming_a_decisions_pool_task_moves_its_concerns_no_further(county):
    first, pooled = new_id(), new_id()
    county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, decision(county, *(
        deliberation_pb.DecidedAction(action_id=action, description=f"第{n}步", deadline="2026-11-30",
                                      tier=deliberation_pb.HANDLING_TIER_INDIVIDUAL)
        for n, action in enumerate((first, pooled)))))
    assert county.tasks.get(pooled).task.state == "open", "no owner named: in the pool"
    with county.member("m-1"):
        county.tasks.claim(pooled)
    assert county.progress(CONCERN) == ["in_handling"]


def test_resolving_while_the_overdue_timer_fires_waits_its_turn(postgres_url, migrated_db, clock):
    """The timer runner claims the overdue timer's row, then locks the task; resolving takes the
    task's timers before the task, the same order, so one waits for the other instead of both
    deadlocking (PostgreSQL, where rows are locked one by one)."""
    county = build_county(migrated_db("intake", "sqlite://"), migrated_db("dispatch", postgres_url), clock)
    task_id = county.open_concern("b-1")
    clock.advance(hours=24, seconds=1)
    claimed, go_on = threading.Event(), threading.Event()
    overdue_due = county.wiring.timers[OVERDUE]

    def slow_overdue_due(uow, timer):
        claimed.set()
        go_on.wait(5)
        overdue_due(uow, timer)

    runner = TimerRunner(county.wiring.units, {OVERDUE: slow_overdue_due}, RuntimeSettings(), clock, "test")
    firing = threading.Thread(target=runner.fire_due)
    firing.start()
    assert claimed.wait(5)
    outcome: list[object] = []

    def resolve():
        try:
            with county.acting_as("building_leader", entity="lead"):
                outcome.append(county.tasks.resolve(task_id, "灯已修好").task)
        except Exception as exc:
            outcome.append(exc)

    resolving = threading.Thread(target=resolve)
    resolving.start()
    waiting_for_a_lock(county)  # resolving now waits on the timer's row
    go_on.set()
    firing.join(10)
    resolving.join(10)
    (resolved,) = outcome
    assert not isinstance(resolved, Exception), resolved
    assert (resolved.state, resolved.on_time) == ("resolved", False), "overdue first, then resolved late"
    assert len(county.sent(pb.TaskOverdue)) == 1
    with county.db.read() as conn:
        assert conn.execute(sa.select(timers.c.kind).where(timers.c.last_error.is_not(None))).all() == []
