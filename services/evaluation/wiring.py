"""The one place evaluation's parts are connected."""
from __future__ import annotations

from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit import topics
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from servicekit.unit_of_work import UnitsOfWork
from services import upcasters
from services.evaluation import events, grpc_api
from services.evaluation.handlers import Evaluation


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    replica = DirectoryReplica(db)
    evaluation = Evaluation(db, replica)
    return Wiring(
        registrations=[grpc_api.registration(evaluation), replica.registration()],
        units=UnitsOfWork(db, outbox, "evaluation"),  # it publishes nothing of its own yet
        subscriptions=[
            Subscription(topics.INTAKE, ConcernReceived, events.concern_received, evaluation.count_received,
                         upcasters.CONCERN_RECEIVED),
            replica.subscription(),
        ],
    )
