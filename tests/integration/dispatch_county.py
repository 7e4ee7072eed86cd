"""A small county for dispatch's task-handling tests: dispatch on a real database with its replica
filled from intake's directory (as the directory topic would fill it), events fed as its consumer
feeds them, callers to act as, timers to fire, and what it wrote (outbox, ledger, platform queue)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from google.protobuf.message import Message

from lianyi.directory.v1.events_pb2 import EntityChanged
from lianyi.events.v1.progress_pb2 import ConcernProgressed, ConcernStatus
from lianyi.intake.v1.events_pb2 import (
    ROUTE_DELIBERATION,
    ROUTE_DIRECT,
    URGENCY_NORMAL,
    ConcernFacts,
    ConcernReceived,
    TriageDecision,
)
from servicekit import auth, envelope, topics
from servicekit.clock import FixedClock
from servicekit.config import RuntimeSettings
from servicekit.consumer import apply_batch
from servicekit.database import Database
from servicekit.ids import new_id
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.timer_runner import TimerRunner
from servicekit.timers import timers as timer_table
from services.dispatch import ledger
from services.dispatch import wiring as dispatch
from services.dispatch.platform.storage import deliveries
from tests.integration.conftest import intake_parts
from tests.integration.test_batch_apply import items, subscription_to

ROUTES = {"direct": ROUTE_DIRECT, "deliberation": ROUTE_DELIBERATION}


@dataclass
class County:
    """Dispatch, and the directory's ids by name (see `build_county`)."""

    db: Database
    clock: FixedClock
    ids: dict[str, str]
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wiring = dispatch.build(self.db, Outbox(topics.DISPATCH), self.clock)
        servicer = self.wiring.registrations[0].servicer
        self.tasks, self.lists, self.reports = servicer.tasks, servicer.lists, servicer.reports

    # -- callers --------------------------------------------------------------------------------

    def principal(self, role: str, where: str = "nb-1", entity: str = "", name: str = "") -> auth.Principal:
        return auth.Principal(subject=f"test-{role}-{entity}", role=role, scope=self.paths[where],
                              entity_id=self.ids.get(entity, entity), name=name or entity or role)

    @contextlib.contextmanager
    def acting_as(self, role: str, where: str = "nb-1", entity: str = "", name: str = "") -> Iterator[None]:
        """Calls made inside come from this caller (scope: the place `where`; entity: by name)."""
        token = auth.current.set(self.principal(role, where, entity, name))
        try:
            yield
        finally:
            auth.current.reset(token)

    def secretary(self, where: str = "nb-1"):
        return self.acting_as("party_secretary", where, f"sec-{where}")

    def member(self, name: str, where: str = "nb-1"):
        return self.acting_as("member", where, name)

    # -- events in ------------------------------------------------------------------------------

    def deliver(self, payload_class: type[Message], topic: str, *sealed: envelope.Envelope) -> list[bool]:
        subscription = subscription_to(self.wiring, payload_class, topic)
        return apply_batch(self.wiring.units, items(subscription, list(sealed)), self.clock)

    def concern(self, building: str = "b-1", category: str = "property_management", route: str = "direct",
                neighbourhood: str = "nb-1", household: str = "h-0") -> envelope.Envelope:
        """A new concern's ConcernReceived, triaged on arrival along `route`, as intake seals it."""
        facts = ConcernFacts(concern_id=new_id(), neighbourhood_id=self.ids[neighbourhood],
                             building_id=self.ids.get(building, ""), category=category, description="楼道灯坏了",
                             urgency=URGENCY_NORMAL, household_id=self.ids.get(household, ""))
        facts.received_at.FromDatetime(self.clock.now())
        return envelope.seal(ConcernReceived(concern=facts, triage=TriageDecision(route=ROUTES[route])),
                             producer="intake", place=self.place(neighbourhood), occurred_at=self.clock.now())

    def open_concern(self, building: str = "b-1", category: str = "property_management",
                     neighbourhood: str = "nb-1", household: str = "h-0") -> str:
        """A direct concern delivered: its task's id (the concern's)."""
        sealed = self.concern(building, category, neighbourhood=neighbourhood, household=household)
        assert self.deliver(ConcernReceived, topics.INTAKE, sealed) == [True]
        return envelope.open_payload(sealed, ConcernReceived).concern.concern_id

    def place(self, neighbourhood: str = "nb-1") -> envelope.Place:
        county, township, community, neighbourhood_id = self.paths[neighbourhood]
        return envelope.Place(neighbourhood_id, community, township, county)

    # -- time -----------------------------------------------------------------------------------

    def fire_timers(self) -> None:
        """Fire every timer due now, as the service's runner does; none may fail."""
        TimerRunner(self.wiring.units, self.wiring.timers, RuntimeSettings(), self.clock, "test").fire_due()
        with self.db.read() as conn:
            failed = conn.execute(sa.select(timer_table.c.kind, timer_table.c.last_error)
                                  .where(timer_table.c.last_error.is_not(None))).all()
        assert not failed, failed

    # -- what dispatch wrote --------------------------------------------------------------------

    def sent(self, payload_class: type[Message] | None = None) -> list:
        """Dispatch's outgoing events in order: payloads of one type, or every envelope."""
        with self.db.read() as conn:
            sealed = [envelope.decode(p) for p in conn.execute(
                sa.select(outbox_table.c.payload).where(outbox_table.c.topic == topics.DISPATCH)
                .order_by(outbox_table.c.id)).scalars()]
        if payload_class is None:
            return sealed
        name = payload_class.DESCRIPTOR.full_name
        return [envelope.open_payload(e, payload_class) for e in sealed if e.event_type == name]

    def event_types(self) -> list[str]:
        return [e.event_type.rsplit(".", 1)[1] for e in self.sent()]

    def progress(self, concern_id: str) -> list[str]:
        """The statuses dispatch reported for a concern, in order (in_handling, resolved, ...)."""
        return [ConcernStatus.Name(p.status).removeprefix("CONCERN_STATUS_").lower()
                for p in self.sent(ConcernProgressed) if p.concern_id == concern_id]

    def commitments(self, task_id: str) -> list[sa.Row]:
        with self.db.read() as conn:
            return conn.execute(sa.select(ledger.commitments).where(ledger.commitments.c.task_id == task_id)
                                .order_by(ledger.commitments.c.commitment_id)).all()

    def deliveries(self, task_id: str) -> list[str]:
        """The event types queued for the county platform for a task, in order."""
        with self.db.read() as conn:
            return [t.rsplit(".", 1)[1] for t in conn.execute(
                sa.select(deliveries.c.event_type).where(deliveries.c.task_id == task_id)
                .order_by(deliveries.c.created_at, deliveries.c.delivery_id)).scalars()]


def build_county(intake_db: Database, db: Database, clock: FixedClock) -> County:
    """示范县 > 城关镇 > 南门社区 > nb-1 and nb-2, made through intake's directory handlers and
    applied to dispatch's replica. nb-1: building b-1 (led by member lead) with households h-0..h-2,
    building b-2 (no leader), its party organisation with members lead, m-1, m-2 and sec-nb-1 (the
    secretary), volunteer v-1. nb-2: member other-m. The county's departments d-1, d-2, d-3."""
    intake = intake_parts(intake_db, clock)
    directory = intake.directory
    ids: dict[str, str] = {}

    def add(name: str, kind: str, parent: str | None, **attributes: object) -> None:
        ids[name] = directory.create(kind=kind, name=name, parent_id=ids[parent] if parent else "",
                                     attributes=attributes).entity_id

    add("county", "county", None)
    add("township", "township", "county")
    add("community", "community", "township")
    for n in ("nb-1", "nb-2"):
        add(n, "neighbourhood", "community")
        add(f"po-{n}", "party_org", n)
    add("b-1", "building", "nb-1")
    add("b-2", "building", "nb-1")
    for h in range(3):
        add(f"h-{h}", "household", "b-1")
    add("lead", "member", "po-nb-1", member_kind="serving", leads_building_ids=[ids["b-1"]])
    for name in ("m-1", "m-2", "sec-nb-1"):
        add(name, "member", "po-nb-1", member_kind="serving")
    add("other-m", "member", "po-nb-2", member_kind="retired_cadre")
    add("v-1", "volunteer", "nb-1")
    for d in ("d-1", "d-2", "d-3"):
        add(d, "department", "county")

    county = County(db, clock, ids)
    with intake.db.read() as conn:
        changes = [envelope.decode(payload) for payload in conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.topic == topics.DIRECTORY)
            .order_by(outbox_table.c.id)).scalars()]
    county.deliver(EntityChanged, topics.DIRECTORY, *changes)
    top = (ids["county"], ids["township"], ids["community"])
    county.paths.update(county=top[:1], township=top[:2], community=top,
                        **{n: (*top, ids[n]) for n in ("nb-1", "nb-2")})
    return county

