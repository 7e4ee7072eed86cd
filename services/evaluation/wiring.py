"""The one place evaluation's parts are connected."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lianyi.deliberation.v1.events_pb2 import DecisionMade, PanelConfirmed
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb2
from lianyi.dispatch.v1.events_pb2 import TaskAssigned, TaskEscalated, TaskReopened, TaskResolved
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb2
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
from services.evaluation.matters.handlers import HELD_RESOLUTION, RATING_DUE, RATING_REMINDER, Matters
from services.evaluation.rates.handlers import RateFacts
from services.evaluation.rates.queries import RateQueries
from services.evaluation.reviews.handlers import Reviews

Handler = Callable[[UnitOfWork, list[Inbound[Any]]], None]


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    units = UnitsOfWork(db, outbox, "evaluation", events.outgoing, county_settings.outgoing)
    county = CountySettings("evaluation", settings.DEFINITIONS, units, clock, AuditLog(db, clock), replica,
                            SETTINGS_WRITERS)
    rules = settings.EvaluationSettings(county)
    reviews = Reviews(db, replica, rules, clock)
    annual = AnnualRatings(db, units, replica, rules, clock)
    matters = Matters(db, units, replica, rules, clock, on_rated=[reviews.rated])
    rate_facts = RateFacts(replica)
    servicer = grpc_api.EvaluationServicer(evaluation, matters, RateQueries(db, replica), reviews, annual)
    return Wiring(
        registrations=[grpc_api.registration(servicer),
                       replica.registration()],
        units=units,
        settings=county,
        timers={RATING_REMINDER: matters.remind_due, RATING_DUE: matters.rating_due,
                HELD_RESOLUTION: matters.held_too_long},
        subscriptions=[
            # Every resolved task is a matter for its households to rate (一事一评), counts in the three
            # rates, fulfils its member's commitment (践诺) in their quarterly review, and implements
            # its decided action.
            Subscription(topics.DISPATCH, TaskResolved, events.task_resolved,
                         each_of(matters.resolved, rate_facts.resolved, reviews.resolved, annual.resolved)),
            # The rest of each member's ledger (which the rates learn from too), their door visits and
            # panels: the quarterly review.
            Subscription(topics.DISPATCH, TaskAssigned, paired(events.task_assigned, events.commitment_made),
                         split(rate_facts.learn, reviews.committed)),
            Subscription(topics.DISPATCH, TaskEscalated, paired(events.task_escalated, events.commitment_released),
                         split(rate_facts.learn, reviews.released)),
            # Rework: the rates' task, the member's commitment and a decided action not done after all.
            Subscription(topics.DISPATCH, TaskReopened,
                         paired(events.task_reopened, events.commitment_reopened, events.action_reopened),
                         split(rate_facts.learn, reviews.reopened, annual.reopened)),
            Subscription(topics.INTAKE, DoorVisitRecorded, events.door_visit_recorded, reviews.visited),
            Subscription(topics.DELIBERATION, PanelConfirmed, events.panel_confirmed, reviews.panels),
            # The joint meetings' decided actions, for the annual rating's decisions implemented.
            Subscription(topics.DELIBERATION, DecisionMade, events.decision_made, annual.decided),
            # Counted, its household kept; then a resolution held for it (it came first) opens.
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received,
                         each_of(evaluation.count_received, matters.concerns_heard), upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, evaluation.follow_merges),
            replica.subscription(),
            *_rate_subscriptions(rate_facts),
        ],
    )


def _rate_subscriptions(rate_facts: RateFacts) -> list[Subscription[Any]]:
    """What the three rates alone learn (services/evaluation/rates/; resolutions, assignments,
    escalations and rework they hear beside the review, above): each task's opening, the steps that
    act on it (progress notes, bodies' parts), its departments, and its ratings, these from
    evaluation's own topic like anyone else's."""
    learned = {
        topics.DISPATCH: {dispatch_pb2.TaskOpened: events.task_opened,
                          dispatch_pb2.TaskProgressNoted: events.progress_noted,
                          dispatch_pb2.PartRecorded: events.part_recorded,
                          dispatch_pb2.DepartmentsWhistled: events.departments_whistled,
                          dispatch_pb2.DepartmentReported: events.department_reported},
        topics.EVALUATION: {evaluation_pb2.MatterRated: events.matter_rated,
                            evaluation_pb2.MatterArchived: events.matter_archived},
    }
    return [Subscription(topic, payload_class, translate, rate_facts.learn)
            for topic, translators in learned.items() for payload_class, translate in translators.items()]


def each_of(*handlers: Handler) -> Handler:
    """One subscription's handlers, in order, in its one unit of work (a consumer has one
    subscription per topic and event type, and several parts of evaluation learn from some)."""
    def handle(uow: UnitOfWork, arrivals: list[Inbound[Any]]) -> None:
        for handler in handlers:
            handler(uow, arrivals)
    return handle


def paired(*translators: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    """An event read in several parts' words at once (any refusing it sends it to the DLQ)."""
    return lambda payload: tuple(translate(payload) for translate in translators)


def split(*handlers: Handler) -> Handler:
    """The parts' handlers of a paired event, each given its own words (by position), in one unit
    of work."""
    def handle(uow: UnitOfWork, arrivals: list[Inbound[Any]]) -> None:
        for part, handler in enumerate(handlers):
            handler(uow, [replace(arrival, event=arrival.event[part]) for arrival in arrivals])
    return handle
