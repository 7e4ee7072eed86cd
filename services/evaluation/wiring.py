"""The one place evaluation's parts are connected."""
from __future__ import annotations

from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit import topics
from servicekit.directory_replica import DirectoryReplica
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from services.evaluation import grpc_api
from services.evaluation.handlers import Evaluation


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    return Wiring(
        registrations=[grpc_api.registration(evaluation), replica.registration()],
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, evaluation.on_concern_received,
                         evaluation.on_concerns_received),
            replica.subscription(),
        ],
    )
