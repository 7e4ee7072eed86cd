"""The one place deliberation's parts are connected."""
from __future__ import annotations

from lianyi.dispatch.v1.events_pb2 import TaskReopened, TaskResolved
from lianyi.evaluation.v1.events_pb2 import MatterRated
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, ConcernTriaged
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
from services.deliberation import events, grpc_api, settings
from services.deliberation.figures.handlers import FiguresReport
from services.deliberation.handlers import Deliberation
from services.deliberation.panels.handlers import Panels
from services.deliberation.progress.handlers import Progress
from services.deliberation.topics.handlers import VOTE_CLOSES, Topics
from services.deliberation.votes.handlers import Votes


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    deliberation = Deliberation(db, clock, replica)
    units = UnitsOfWork(db, outbox, "deliberation", events.outgoing, county_settings.outgoing)
    audit = AuditLog(db, clock)
    county = CountySettings("deliberation", settings.DEFINITIONS, units, clock, audit, replica, SETTINGS_WRITERS)
    rules = settings.DeliberationSettings(county)
    progress = Progress()
    topics_ = Topics(db, units, replica, rules, clock, audit)
    votes = Votes(db, units, replica, rules, clock, topics_)
    servicer = grpc_api.DeliberationServicer(deliberation, topics_, votes, Panels(db, units, replica, clock, topics_),
                                             FiguresReport(db, replica))
    return Wiring(
        registrations=[grpc_api.registration(servicer), replica.registration()],
        units=units,
        settings=county,
        timers={VOTE_CLOSES: votes.close_due},
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, events.concern_routed, deliberation.pool_routed,
                         upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernTriaged, events.concern_routed, deliberation.pool_routed,
                         upcasters.CONCERN_TRIAGED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, deliberation.forget_merged),
            # A decision's progress (议定事项落实): its actions resolved, reworked and rated.
            Subscription(topics.DISPATCH, TaskResolved, events.action_resolved, progress.resolved),
            Subscription(topics.DISPATCH, TaskReopened, events.action_reopened, progress.reopened),
            Subscription(topics.EVALUATION, MatterRated, events.action_rated, progress.rated),
            replica.subscription(),
        ],
    )
