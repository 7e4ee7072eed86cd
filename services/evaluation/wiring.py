"""The one place evaluation's parts are connected."""
from __future__ import annotations

from lianyi.dispatch.v1.events_pb2 import TaskResolved
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged
from servicekit import county_settings, topics
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from servicekit.settings_store import CountySettings
from servicekit.unit_of_work import UnitsOfWork
from services import upcasters
from services.contract import SETTINGS_WRITERS
from services.evaluation import events, grpc_api, settings
from services.evaluation.handlers import Evaluation
from services.evaluation.matters.handlers import RATING_DUE, RATING_REMINDER, Matters


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    units = UnitsOfWork(db, outbox, "evaluation", events.outgoing, county_settings.outgoing)
    county = CountySettings("evaluation", settings.DEFINITIONS, units, clock, AuditLog(db, clock), replica,
                            SETTINGS_WRITERS)
    matters = Matters(db, units, replica, settings.EvaluationSettings(county), clock)
    return Wiring(
        registrations=[grpc_api.registration(grpc_api.EvaluationServicer(evaluation, matters)),
                       replica.registration()],
        units=units,
        settings=county,
        timers={RATING_REMINDER: matters.remind_due, RATING_DUE: matters.rating_due},
        subscriptions=[
            # Every resolved task is a matter for its households to rate (一事一评).
            Subscription(topics.DISPATCH, TaskResolved, events.task_resolved, matters.resolved),
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received, evaluation.count_received,
                         upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, evaluation.follow_merges),
            replica.subscription(),
        ],
    )
