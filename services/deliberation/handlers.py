"""Deliberation's handlers: events in (each run of them in one unit of work), pool queries out."""
from __future__ import annotations

from servicekit import paging
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from servicekit.events import Inbound
from servicekit.unit_of_work import UnitOfWork
from services.deliberation import domain, storage


class Deliberation:
    def __init__(self, db: Database, clock: Clock, replica: DirectoryReplica):
        self.db, self.clock, self.replica = db, clock, replica

    def pool_routed(self, uow: UnitOfWork, arrivals: list[Inbound[domain.ConcernRouted]]) -> None:
        """Concerns routed to deliberation (by a rule on arrival, or by the party secretary) join
        their neighbourhood's pool, in order; intake's timeline hears of each that joined."""
        now = self.clock.now()
        routed = [arrival.event for arrival in arrivals]
        new_ids = storage.add_entries(uow.conn, domain.entries_for(routed, now))
        for position, pooled in domain.joined(routed, new_ids, now):
            uow.record(pooled, arrivals[position].follow_up, now)

    def forget_merged(self, uow: UnitOfWork, merges: list[Inbound[domain.ConcernsMerged]]) -> None:
        """Merged concerns leave the pool: their survivor stands for them."""
        storage.remove_entries(uow.conn, [concern_id for merge in merges for concern_id in merge.event.merged_ids])

    def list_pool(self, neighbourhood_id: str, page_size: int, page_token: str
                  ) -> tuple[list[domain.PoolEntry], str]:
        """One page of the pool, oldest first, and the token for the next page ("" at the end)."""
        if not neighbourhood_id:
            raise InvalidArgument("neighbourhood_id is required")
        self.replica.require_visible(neighbourhood_id, "neighbourhood")
        limit = paging.page_size(page_size)
        after = paging.decode_token(page_token)
        with self.db.read() as conn:
            entries = storage.list_entries(conn, neighbourhood_id, after, limit + 1)
        return paging.one_page(entries, limit, lambda entry: paging.encode_token(entry.seq))
