"""Dispatch keeps every action of a joint meeting's decision (SQLite, and PostgreSQL where present):
in the plan's order, once however often the decision arrives, shown only to callers whose scope
holds the decision's neighbourhood."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb
from lianyi.directory.v1.events_pb2 import EntityChanged
from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1.dispatch_service_pb2_grpc import DispatchServiceStub
from localrun import processes
from servicekit import auth, envelope, topics
from servicekit.clock import FixedClock
from servicekit.consumer import apply_batch
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound
from servicekit.grpc_server import GrpcServer
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from services.dispatch import storage
from services.dispatch import wiring as dispatch
from services.dispatch.domain import DecidedAction
from services.dispatch.handlers import Dispatch
from services.dispatch.settings import DispatchSettings
from services.dispatch.tasks.handlers import Tasks
from tests.integration.conftest import intake_parts
from tests.integration.test_batch_apply import items, subscription_to

KEY = "k" * 40
DECIDED_AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DECISION, OTHER_DECISION = "0193b3c2-0000-7000-a000-000000000001", "0193b3c2-0000-7000-a000-000000000002"
TOPIC = "0193b3c2-0000-7000-b000-000000000001"


def action_id(n: int) -> str:
    return f"0193b3c2-0000-7000-c000-{n:012d}"


# The plan's order is not its ids' order: the plan is read back as decided, not sorted.
PLAN = [
    deliberation_pb.DecidedAction(action_id=action_id(3), description="通知住户一周内自行搬离楼道鞋柜",
                                  tier=deliberation_pb.HANDLING_TIER_INDIVIDUAL, owner_id=action_id(90),
                                  owner_name="李楼长", deadline="2026-11-09"),
    deliberation_pb.DecidedAction(action_id=action_id(1), description="物业清运逾期未搬的杂物",
                                  tier=deliberation_pb.HANDLING_TIER_JOINT, owner_name="物业公司", deadline="2026-11-16"),
    deliberation_pb.DecidedAction(action_id=action_id(2), description="每月巡查一次", deadline="2026-12-31"),
]


@dataclass
class Service:
    """Dispatch as its wiring connects it, with the small directory (see `places`) in its replica."""

    wiring: Wiring
    dispatch: Dispatch
    db: Database
    ids: dict[str, str]
    clock: FixedClock

    def deliver(self, *decisions: envelope.Envelope) -> list[bool]:
        subscription = subscription_to(self.wiring, deliberation_pb.DecisionMade, topics.DELIBERATION)
        return apply_batch(self.wiring.units, items(subscription, list(decisions)), self.clock)


@pytest.fixture
def service(database_url, migrated_db, places, clock) -> Service:
    """Dispatch on `database_url`; its replica holds the directory as intake publishes it."""
    intake = intake_parts(migrated_db("intake", "sqlite://"), clock)
    ids = places(intake.db, clock)
    db = migrated_db("dispatch", database_url)
    wiring = dispatch.build(db, Outbox(topics.DISPATCH), clock)
    with intake.db.read() as conn:
        changes = [envelope.decode(payload) for payload in conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.topic == topics.DIRECTORY)
            .order_by(outbox_table.c.id)).scalars()]
    apply_batch(wiring.units, items(subscription_to(wiring, EntityChanged, topics.DIRECTORY), changes), clock)
    replica = DirectoryReplica(db)
    tasks = Tasks(db, wiring.units, replica, DispatchSettings(wiring.settings), clock)
    return Service(wiring, Dispatch(db, replica, clock, tasks), db, ids, clock)


def decision(neighbourhood_id: str, actions=PLAN, decision_id: str = DECISION) -> envelope.Envelope:
    payload = deliberation_pb.DecisionMade(decision_id=decision_id, topic_id=TOPIC, neighbourhood_id=neighbourhood_id,
                                           title="楼道堆放鞋柜", resolution="一周内清理楼道", actions=actions,
                                           concern_ids=[action_id(50)])
    payload.decided_at.FromDatetime(DECIDED_AT)
    return envelope.seal(payload, producer="deliberation", place=envelope.Place(neighbourhood_id),
                         occurred_at=DECIDED_AT)


def kept_rows(db: Database) -> list[sa.Row]:
    with db.read() as conn:
        return conn.execute(sa.select(storage.decided_actions).order_by(storage.decided_actions.c.action_id)).all()


def as_caller(role: str, *scope: str):
    return auth.current.set(auth.Principal(subject=f"{role}-1", role=role, scope=scope))


def test_a_decisions_actions_are_kept_in_the_plans_order(service, clock):
    nb = service.ids["nb-1"]
    other = decision(service.ids["nb-2"], actions=[deliberation_pb.DecidedAction(
        action_id=action_id(7), description="修路灯", deadline="2026-11-30")], decision_id=OTHER_DECISION)
    assert service.deliver(decision(nb), other) == [True, True]

    kept = service.dispatch.list_decided_actions(DECISION)
    concerns = (action_id(50),)  # the decision's, on each action: its tasks will move them
    assert kept == [
        DecidedAction(action_id(3), DECISION, TOPIC, nb, 0, "通知住户一周内自行搬离楼道鞋柜", "individual", action_id(90),
                      "李楼长", date(2026, 11, 9), clock.now(), concerns),
        DecidedAction(action_id(1), DECISION, TOPIC, nb, 1, "物业清运逾期未搬的杂物", "joint", "", "物业公司",
                      date(2026, 11, 16), clock.now(), concerns),
        DecidedAction(action_id(2), DECISION, TOPIC, nb, 2, "每月巡查一次", "", "", "", date(2026, 12, 31), clock.now(),
                      concerns),
    ]
    assert [a.action_id for a in service.dispatch.list_decided_actions(OTHER_DECISION)] == [action_id(7)]


def test_a_redelivered_decision_changes_nothing(service, clock):
    first = decision(service.ids["nb-1"])
    service.deliver(first)
    before = kept_rows(service.db)
    clock.advance(hours=1)

    assert service.deliver(first) == [False], "the same event: the inbox has it"
    # The same decision published again under a new event id (deliberation's outbox replayed),
    # once with its plan changed meanwhile: the actions stay as first kept.
    again = decision(service.ids["nb-1"])
    changed = decision(service.ids["nb-1"], actions=[
        deliberation_pb.DecidedAction(action_id=action_id(1), description="改了", deadline="2027-01-01")])
    assert service.deliver(again, changed) == [True, True]

    assert kept_rows(service.db) == before
    assert len(before) == 3 and {row.received_at for row in before} == {clock.now() - timedelta(hours=1)}


def test_a_caller_outside_the_decisions_neighbourhood_is_refused_as_if_it_did_not_exist(service):
    service.deliver(decision(service.ids["nb-1"]))
    ids = service.ids
    place = (ids["county"], ids["township"], ids["community"])
    for caller in (("party_secretary", *place, ids["nb-1"]), ("community_admin", *place)):
        token = as_caller(*caller)
        try:
            assert len(service.dispatch.list_decided_actions(DECISION)) == 3, caller[0]
        finally:
            auth.current.reset(token)

    token = as_caller("party_secretary", *place, ids["nb-2"])
    try:
        with pytest.raises(NotFound) as refused:
            service.dispatch.list_decided_actions(DECISION)
        with pytest.raises(NotFound) as unknown:
            service.dispatch.list_decided_actions(OTHER_DECISION)
        with pytest.raises(InvalidArgument):
            service.dispatch.list_decided_actions("")
    finally:
        auth.current.reset(token)
    assert refused.value.detail == f"dispatch has no decision {DECISION}", "no neighbourhood named"
    assert unknown.value.detail == f"dispatch has no decision {OTHER_DECISION}"


def test_list_decided_actions_over_grpc_with_the_roles_its_proto_declares(service):
    service.deliver(decision(service.ids["nb-1"]))
    address = f"127.0.0.1:{processes.free_port()}"
    server = GrpcServer(address, service.wiring.registrations, KEY)
    server.start()
    ids = service.ids
    place = (ids["county"], ids["township"], ids["community"])
    try:
        with grpc.insecure_channel(address) as channel:
            stub = DispatchServiceStub(channel)

            def ask(role: str, *scope: str) -> pb.ListDecidedActionsResponse:
                token = auth.sign(auth.Principal(subject=f"{role}-1", role=role, scope=scope), KEY,
                                  audience=auth.INTERNAL_AUDIENCE, now=datetime.now(UTC), ttl=timedelta(minutes=1))
                return stub.ListDecidedActions(pb.ListDecidedActionsRequest(decision_id=DECISION),
                                               metadata=[(auth.PRINCIPAL_HEADER, token)])

            listed = ask("member", *place, ids["nb-1"]).actions
            assert [(a.action_id, a.tier, a.deadline, a.owner_name) for a in listed] == [
                (action_id(3), "individual", "2026-11-09", "李楼长"), (action_id(1), "joint", "2026-11-16", "物业公司"),
                (action_id(2), "", "2026-12-31", "")]
            assert {(a.decision_id, a.topic_id, a.neighbourhood_id) for a in listed} == {
                (DECISION, TOPIC, ids["nb-1"])}
            assert listed[0].received_at.ToDatetime(tzinfo=UTC) == service.clock.now()
            for caller, code in ((("party_secretary", *place, ids["nb-2"]), grpc.StatusCode.NOT_FOUND),
                                 (("property_company", *place, ids["nb-1"]), grpc.StatusCode.PERMISSION_DENIED),
                                 (("resident", *place, ids["nb-1"]), grpc.StatusCode.PERMISSION_DENIED)):
                with pytest.raises(grpc.RpcError) as refused:
                    ask(*caller)
                assert refused.value.code() == code, caller[0]
    finally:
        server.stop(0)
