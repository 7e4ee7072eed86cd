"""The one place deliberation's parts are connected."""
from __future__ import annotations

from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, ConcernTriaged
from servicekit import topics
from servicekit.directory_replica import DirectoryReplica
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from services.deliberation import grpc_api
from services.deliberation.handlers import Deliberation


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    deliberation = Deliberation(db, clock, replica, outbox)
    return Wiring(
        registrations=[grpc_api.registration(deliberation), replica.registration()],
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, deliberation.on_concern_received,
                         deliberation.on_concerns_received),
            Subscription(topics.INTAKE, ConcernTriaged, deliberation.on_concern_triaged),
            Subscription(topics.INTAKE, ConcernsMerged, deliberation.on_concerns_merged),
            replica.subscription(),
        ],
    )
