"""Deliberation's handlers: events in, pool queries out."""
from __future__ import annotations

from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.events.v1.progress_pb2 import ConcernProgressed
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, ConcernTriaged
from servicekit import envelope as envelopes
from servicekit import paging
from servicekit.clock import Clock
from servicekit.database import Database, Transaction
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from servicekit.outbox import Outbox
from services.deliberation import storage

POOL_ROUTE = "deliberation"


class Deliberation:
    def __init__(self, db: Database, clock: Clock, replica: DirectoryReplica, outbox: Outbox):
        self.db, self.clock, self.replica, self.outbox = db, clock, replica, outbox

    def on_concern_received(self, tx: Transaction, event: ConcernReceived, envelope: Envelope) -> None:
        """A concern a triage rule sent to the pool on arrival joins it."""
        self._pool_routed_here(tx, [(event.concern, envelope)])

    def on_concerns_received(self, tx: Transaction, events: list[tuple[ConcernReceived, Envelope]]) -> None:
        self._pool_routed_here(tx, [(event.concern, envelope) for event, envelope in events])

    def on_concern_triaged(self, tx: Transaction, event: ConcernTriaged, envelope: Envelope) -> None:
        """A concern the party secretary triaged as a shared matter joins the pool."""
        self._pool_routed_here(tx, [(event.concern, envelope)])

    def on_concerns_merged(self, tx: Transaction, event: ConcernsMerged, envelope: Envelope) -> None:
        """Merged concerns leave the pool: their survivor stands for them."""
        storage.remove_entries(tx.conn, list(event.merged_ids))

    def _pool_routed_here(self, tx: Transaction, concerns: list[tuple[object, Envelope]]) -> None:
        """Pool the concerns routed to deliberation, in order, and tell intake's timeline about
        each one that was not pooled before."""
        routed = [(concern, envelope) for concern, envelope in concerns if concern.triage.route == POOL_ROUTE]
        if not routed:
            return
        pooled_at = self.clock.now()
        added = storage.add_entries(tx.conn, [dict(
            concern_id=concern.concern_id,
            neighbourhood_id=concern.neighbourhood_id,
            category=concern.category,
            description=concern.description,
            received_at=concern.received_at.ToDatetime(tzinfo=timezone.utc),
            pooled_at=pooled_at,
        ) for concern, _ in routed])
        reports = []
        for concern, envelope in routed:
            if concern.concern_id in added:
                added.discard(concern.concern_id)  # once, even if it came twice
                reports.append(envelopes.follow_up(
                    ConcernProgressed(concern_id=concern.concern_id, status="in_deliberation",
                                      note="in the neighbourhood's deliberation pool"),
                    envelope, producer="deliberation", occurred_at=pooled_at))
        self.outbox.add_many(tx, reports)

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
