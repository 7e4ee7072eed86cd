"""Deliberation's handlers: events in, pool queries out."""
from __future__ import annotations

from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit import paging
from servicekit.clock import Clock
from servicekit.database import Database, Transaction
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from services.deliberation import storage


class Deliberation:
    def __init__(self, db: Database, clock: Clock, replica: DirectoryReplica):
        self.db, self.clock, self.replica = db, clock, replica

    def on_concern_received(self, tx: Transaction, event: ConcernReceived, envelope: Envelope) -> None:
        """A received concern joins its neighbourhood's pool (once, however often it arrives)."""
        concern = event.concern
        storage.add_entry(
            tx.conn,
            concern_id=concern.concern_id,
            neighbourhood_id=concern.neighbourhood_id,
            category=concern.category,
            description=concern.description,
            received_at=concern.received_at.ToDatetime(tzinfo=timezone.utc),
            pooled_at=self.clock.now(),
        )

    def list_pool(self, neighbourhood_id: str, page_size: int, page_token: str
                  ) -> tuple[list[storage.PoolEntry], str]:
        """One page of the pool, oldest first, and the token for the next page ("" at the end)."""
        if not neighbourhood_id:
            raise InvalidArgument("neighbourhood_id is required")
        self.replica.require_visible(neighbourhood_id, "neighbourhood")
        limit = paging.page_size(page_size)
        after = paging.decode_token(page_token)
        with self.db.read() as conn:
            entries = storage.list_entries(conn, neighbourhood_id, after, limit + 1)
        return paging.one_page(entries, limit, lambda entry: paging.encode_token(entry.seq))
