"""The one place evaluation's parts are connected."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lianyi.dispatch.v1 import events_pb2 as dispatch_pb2
from lianyi.dispatch.v1.events_pb2 import TaskResolved
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb2
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged
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
from services.evaluation.handlers import Evaluation
from services.evaluation.matters.handlers import RATING_DUE, RATING_REMINDER, Matters
from services.evaluation.rates.handlers import RateFacts
from services.evaluation.rates.queries import RateQueries


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    units = UnitsOfWork(db, outbox, "evaluation", events.outgoing, county_settings.outgoing)
    county = CountySettings("evaluation", settings.DEFINITIONS, units, clock, AuditLog(db, clock), replica,
                            SETTINGS_WRITERS)
    matters = Matters(db, units, replica, settings.EvaluationSettings(county), clock)
    rate_facts = RateFacts(replica)
    return Wiring(
        registrations=[grpc_api.registration(grpc_api.EvaluationServicer(evaluation, matters,
                                                                         RateQueries(db, replica))),
                       replica.registration()],
        units=units,
        settings=county,
        timers={RATING_REMINDER: matters.remind_due, RATING_DUE: matters.rating_due},
        subscriptions=[
            # Every resolved task is a matter for its households to rate (一事一评).
            Subscription(topics.DISPATCH, TaskResolved, events.task_resolved,
                         _each(matters.resolved, rate_facts.resolved)),
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received, evaluation.count_received,
                         upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, evaluation.follow_merges),
            replica.subscription(),
            *_rate_subscriptions(rate_facts),
        ],
    )


def _rate_subscriptions(rate_facts: RateFacts) -> list[Subscription[Any]]:
    """What the three rates learn beside resolutions (services/evaluation/rates/): each task's
    opening, the steps that act on it, its departments, its rework, and its ratings, these from
    evaluation's own topic like anyone else's."""
    learned = {
        topics.DISPATCH: {dispatch_pb2.TaskOpened: events.task_opened, dispatch_pb2.TaskAssigned: events.task_assigned,
                          dispatch_pb2.PartRecorded: events.part_recorded,
                          dispatch_pb2.TaskEscalated: events.task_escalated,
                          dispatch_pb2.DepartmentsWhistled: events.departments_whistled,
                          dispatch_pb2.DepartmentReported: events.department_reported,
                          dispatch_pb2.TaskReopened: events.task_reopened},
        topics.EVALUATION: {evaluation_pb2.MatterRated: events.matter_rated,
                            evaluation_pb2.MatterArchived: events.matter_archived},
    }
    return [Subscription(topic, payload_class, translate, rate_facts.learn)
            for topic, translators in learned.items() for payload_class, translate in translators.items()]


def _each(*handlers: Callable[[UnitOfWork, list[Inbound[Any]]], None]
          ) -> Callable[[UnitOfWork, list[Inbound[Any]]], None]:
    """One subscription per event type: several parts that hear it, in one unit of work."""
    def handle(uow: UnitOfWork, arrivals: list[Inbound[Any]]) -> None:
        for handler in handlers:
            handler(uow, arrivals)
    return handle
