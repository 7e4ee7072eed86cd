"""The one place evaluation's parts are connected."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lianyi.deliberation.v1.events_pb2 import DecisionMade, PanelConfirmed
from lianyi.dispatch.v1.events_pb2 import TaskAssigned, TaskEscalated, TaskReopened, TaskResolved
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, DoorVisitRecorded
from servicekit import county_settings, topics
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.events import Inbound
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from servicekit.settings_store import CountySettings
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services import upcasters
from services.contract import SETTINGS_WRITERS
from services.evaluation import events, grpc_api, settings
from services.evaluation.annual.handlers import AnnualRatings
from services.evaluation.handlers import Evaluation
from services.evaluation.matters.handlers import RATING_DUE, RATING_REMINDER, Matters
from services.evaluation.reviews.handlers import Reviews


def each_of(*handlers: Callable[[UnitOfWork, list[Inbound[Any]]], None]
            ) -> Callable[[UnitOfWork, list[Inbound[Any]]], None]:
    """One subscription's handlers, in order, in its one unit of work (a consumer has one
    subscription per topic and event type, and several parts of evaluation learn from some)."""
    def handle(uow: UnitOfWork, events: list[Inbound[Any]]) -> None:
        for handler in handlers:
            handler(uow, events)
    return handle


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    units = UnitsOfWork(db, outbox, "evaluation", events.outgoing, county_settings.outgoing)
    county = CountySettings("evaluation", settings.DEFINITIONS, units, clock, AuditLog(db, clock), replica,
                            SETTINGS_WRITERS)
    rules = settings.EvaluationSettings(county)
    reviews = Reviews(db, replica, rules, clock)
    annual = AnnualRatings(db, units, replica, rules, clock)
    matters = Matters(db, units, replica, rules, clock, on_rated=[reviews.rated, annual.rated])
    return Wiring(
        registrations=[grpc_api.registration(grpc_api.EvaluationServicer(evaluation, matters, reviews, annual)),
                       replica.registration()],
        units=units,
        settings=county,
        timers={RATING_REMINDER: matters.remind_due, RATING_DUE: matters.rating_due},
        subscriptions=[
            # Every resolved task is a matter for its households to rate (一事一评), fulfils its
            # member's commitment (践诺) in their quarterly review, and implements its decided action.
            Subscription(topics.DISPATCH, TaskResolved, events.task_resolved,
                         each_of(matters.resolved, reviews.resolved, annual.resolved)),
            # The rest of each member's ledger, their door visits and panels: the quarterly review.
            Subscription(topics.DISPATCH, TaskAssigned, events.task_assigned, reviews.committed),
            Subscription(topics.DISPATCH, TaskEscalated, events.task_escalated, reviews.released),
            Subscription(topics.DISPATCH, TaskReopened, events.task_reopened, reviews.reopened),
            Subscription(topics.INTAKE, DoorVisitRecorded, events.door_visit_recorded, reviews.visited),
            Subscription(topics.DELIBERATION, PanelConfirmed, events.panel_confirmed, reviews.panels),
            # The joint meetings' decided actions, for the annual rating's decisions implemented.
            Subscription(topics.DELIBERATION, DecisionMade, events.decision_made, annual.decided),
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received, evaluation.count_received,
                         upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, evaluation.follow_merges),
            replica.subscription(),
        ],
    )
