"""Deliveries to the county platform as administrators read them: a township's of its own tasks,
the county's of all, each with every attempt."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit import auth, paging
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from services.dispatch import contract
from services.dispatch.platform import storage
from services.dispatch.tasks import storage as tasks


class Deliveries:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def list(self, task_id: str, state: str, page_size: int, page_token: str) -> tuple[list[storage.Delivery], str]:
        if state and state not in contract.DELIVERY_STATES:
            raise InvalidArgument(f"state must be one of {', '.join(contract.DELIVERY_STATES)}")
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        principal = auth.caller()
        with self.db.read() as conn:
            # Only deliveries of tasks in the caller's scope (a task's deliveries carry its id).
            in_scope = storage.deliveries.c.task_id.in_(
                sa.select(tasks.tasks.c.task_id).where(tasks.place_range(conn, principal.scope)))
            found = storage.list_deliveries(conn, task_id or None, state or None,  # type: ignore[arg-type]
                                            limit + 1, after or None, in_scope)
        return paging.one_page(found, limit, lambda delivery: paging.encode_key_token(delivery.delivery_id))
