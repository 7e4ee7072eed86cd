"""The one place dispatch's parts are connected."""
from __future__ import annotations

from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, ConcernTriaged
from servicekit import topics
from servicekit.directory_replica import DirectoryReplica
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from services.dispatch import grpc_api
from services.dispatch.handlers import Dispatch


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    dispatch = Dispatch(db, replica, clock, outbox)
    return Wiring(
        registrations=[grpc_api.registration(dispatch), replica.registration()],
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, dispatch.on_concern_received, dispatch.on_concerns_received),
            Subscription(topics.INTAKE, ConcernTriaged, dispatch.on_concern_triaged),
            Subscription(topics.INTAKE, ConcernsMerged, dispatch.on_concerns_merged),
            replica.subscription(),
        ],
    )
