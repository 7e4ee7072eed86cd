"""An escalation, taken step by step through dispatch's own handlers, reaching a county platform
that is down for a while (SQLite, and PostgreSQL where present): every step arrives once, signed,
in the order it was taken, with the payload dispatch published on lianyi.dispatch.v1."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from lianyi.dispatch.v1 import events_pb2 as pb
from services.dispatch.platform.config import PlatformSettings
from services.dispatch.platform.deliverer import PlatformDeliverer
from tests.integration.dispatch_county import County, build_county
from tests.integration.platform_receiver import Platform
from tests.integration.test_task_handling_escalation import escalated_task

SECRET = b"shared-with-the-county-platform"


@pytest.fixture
def county(database_url, migrated_db, clock) -> County:
    return build_county(migrated_db("intake", "sqlite://"), migrated_db("dispatch", database_url), clock)


def test_an_escalation_reaches_a_platform_that_was_down_each_step_once_and_in_order(county):
    recovers_at = county.clock.now() + timedelta(minutes=40)
    with Platform(SECRET, county.clock.now, failing=lambda: county.clock.now() < recovers_at) as platform:
        deliverer = PlatformDeliverer(county.db, PlatformSettings(url=platform.url, secret=SECRET, timeout_s=2.0,
                                                                  poll_s=0.05), county.clock, holder="test",
                                      rng=random.Random(7))
        task_id = escalated_task(county)
        with county.acting_as("township_admin", "township"):
            county.tasks.whistle(task_id, [county.ids["d-1"]], "请城管到场")
        for _minute in range(5):
            deliverer.deliver_due()
            county.clock.advance(minutes=1)
        with county.acting_as("department", "county", "d-1"):
            county.tasks.report_for_department(task_id, "", "result", "已拆除", "d1-result")
        with county.acting_as("community_admin", "community"):
            county.tasks.record_part(task_id, "社区大党委牵头", "已协调")
            county.tasks.resolve(task_id, "违建已拆除")
        queued = county.deliveries(task_id)
        assert queued == ["TaskEscalated", "DepartmentsWhistled", "DepartmentReported", "PartRecorded",
                          "TaskResolved"]
        for _minute in range(60):
            deliverer.deliver_due()
            county.clock.advance(minutes=1)

    assert platform.refusals == [], "every request signed and fresh"
    applied = [platform.bodies[key] for key in platform.applied]
    assert [body["event_type"].rsplit(".", 1)[1] for body in applied] == queued, "each once, in order"
    assert all(request.status == 503 for request in platform.requests[:-len(queued)])
    (resolved,) = county.sent(pb.TaskResolved)
    assert applied[-1]["payload"]["task_id"] == resolved.task_id == task_id
    assert applied[-1]["payload"]["result"] == resolved.result == "违建已拆除"
