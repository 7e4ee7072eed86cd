"""The one place evaluation's parts are connected."""
from __future__ import annotations

from lianyi.intake.v1.events_pb2 import ConcernReceived
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
from services.evaluation import events, grpc_api
from services.evaluation.handlers import Evaluation


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    # It publishes nothing of its own yet; county settings' changes, like every service.
    units = UnitsOfWork(db, outbox, "evaluation", county_settings.outgoing)
    # No settings of its own yet: the stage issues declare them here.
    settings = CountySettings("evaluation", (), units, clock, AuditLog(db, clock), replica, SETTINGS_WRITERS)
    return Wiring(
        registrations=[grpc_api.registration(evaluation), replica.registration()],
        units=units,
        settings=settings,
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received, evaluation.count_received,
                         upcasters.CONCERN_RECEIVED),
            replica.subscription(),
        ],
    )
