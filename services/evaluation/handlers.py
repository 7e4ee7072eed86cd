"""Evaluation's handlers."""
from __future__ import annotations

from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit.database import Database, Transaction
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from servicekit.ids import looks_like_id
from services.evaluation import storage
from services.evaluation.domain import IntakeFigures


class Evaluation:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def on_concern_received(self, tx: Transaction, event: ConcernReceived, envelope: Envelope) -> None:
        self.on_concerns_received(tx, [(event, envelope)])

    def on_concerns_received(self, tx: Transaction, events: list[tuple[ConcernReceived, Envelope]]) -> None:
        """Count each concern in its neighbourhood's figures: read and written once per
        neighbourhood however many arrived. Exactly-once counting rests on the inbox: this
        runs once per event id."""
        received: dict[str, list] = {}
        for event, _ in events:
            concern = event.concern
            received.setdefault(concern.neighbourhood_id, []).append(
                concern.received_at.ToDatetime(tzinfo=timezone.utc))
        for neighbourhood_id, times in received.items():
            current = storage.get_figures(tx.conn, neighbourhood_id)
            figures = current or IntakeFigures(neighbourhood_id)
            for received_at in times:
                figures = figures.counted(received_at)
            storage.save_figures(tx.conn, figures, existed=current is not None)

    def intake_figures(self, neighbourhood_id: str) -> IntakeFigures:
        if not neighbourhood_id:
            raise InvalidArgument("neighbourhood_id is required")
        self.replica.require_visible(neighbourhood_id, "neighbourhood")
        if not looks_like_id(neighbourhood_id):
            return IntakeFigures(neighbourhood_id)  # nothing was ever counted under such an id
        with self.db.read() as conn:
            return storage.get_figures(conn, neighbourhood_id) or IntakeFigures(neighbourhood_id)
