"""The one place dispatch's parts are connected."""
from __future__ import annotations

from lianyi.deliberation.v1.events_pb2 import DecisionMade
from lianyi.evaluation.v1.events_pb2 import MatterRated, ReworkRequested
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
from services.dispatch import events, grpc_api, settings
from services.dispatch.figures import Reports
from services.dispatch.handlers import Dispatch
from services.dispatch.platform.config import load_platform_settings
from services.dispatch.platform.deliverer import PlatformDeliverer
from services.dispatch.platform.listing import Deliveries
from services.dispatch.tasks.handlers import OVERDUE, REMINDER, REPORT_IN_DUE, Tasks
from services.dispatch.tasks.queries import TaskLists


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    units = UnitsOfWork(db, outbox, "dispatch", events.outgoing, county_settings.outgoing)
    county = CountySettings("dispatch", settings.DEFINITIONS, units, clock, AuditLog(db, clock), replica,
                            SETTINGS_WRITERS)
    tasks = Tasks(db, units, replica, settings.DispatchSettings(county), clock)
    dispatch = Dispatch(db, replica, clock, tasks)
    servicer = grpc_api.DispatchServicer(dispatch, tasks, TaskLists(db, replica), Reports(db, replica),
                                         Deliveries(db, replica))
    return Wiring(
        registrations=[grpc_api.registration(servicer), replica.registration()],
        units=units,
        settings=county,
        timers={REMINDER: tasks.remind_due, OVERDUE: tasks.overdue_due, REPORT_IN_DUE: tasks.report_in_due},
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, events.concern_routed, dispatch.take_routed,
                         upcasters.CONCERN_RECEIVED),
            Subscription(topics.INTAKE, ConcernTriaged, events.concern_routed, dispatch.take_routed,
                         upcasters.CONCERN_TRIAGED),
            Subscription(topics.INTAKE, ConcernsMerged, events.concerns_merged, dispatch.follow_merges),
            Subscription(topics.DELIBERATION, DecisionMade, events.decision_made, dispatch.take_decision),
            # Rework after an unsatisfied rating (督促整改), and ratings for members' ledgers (评诺).
            Subscription(topics.EVALUATION, ReworkRequested, events.rework_requested, tasks.rework),
            Subscription(topics.EVALUATION, MatterRated, events.matter_rated, tasks.rated),
            replica.subscription(),
        ],
        workers={"platform": PlatformDeliverer(db, load_platform_settings(), clock).run},
    )
