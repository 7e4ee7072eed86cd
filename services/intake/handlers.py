"""Intake's command handlers: each is one transaction writing state and its event together."""
from __future__ import annotations

from datetime import datetime, timedelta

from servicekit import envelope
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from lianyi.intake.v1.events_pb2 import ConcernReceived
from services.intake import domain, storage
from services.intake.messages import concern_to_proto


# Categories change rarely (an administrator's edit); re-reading them on every submission would
# cost a query each. A change is seen within this long.
CATEGORY_CACHE_TTL = timedelta(seconds=30)
MAX_ID_CHARS = 64


class Intake:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock):
        self.db, self.outbox, self.clock = db, outbox, clock
        self._categories: frozenset[str] = frozenset()
        self._categories_read_at: datetime | None = None

    def _open_categories(self, conn) -> frozenset[str]:
        now = self.clock.now()
        if self._categories_read_at is None or now - self._categories_read_at > CATEGORY_CACHE_TTL:
            self._categories, self._categories_read_at = storage.open_categories(conn), now
        return self._categories

    def submit_concern(self, cmd: domain.SubmitConcern) -> domain.Concern:
        with self.db.write() as tx:
            concern = domain.receive(
                cmd,
                concern_id=new_id(),
                received_at=self.clock.now(),
                category_is_open=self._open_categories(tx.conn).__contains__,
            )
            storage.add_concern(tx.conn, concern)
            # Events leave out contact details: no consumer needs a resident's phone number.
            event = ConcernReceived(concern=concern_to_proto(concern, with_contact=False))
            self.outbox.add(tx, envelope.seal(
                event,
                producer="intake",
                place=envelope.Place(concern.neighbourhood_id),
                occurred_at=concern.received_at,
                correlation_id=cmd.correlation_id,
            ))
        return concern

    def get_concern(self, concern_id: str) -> domain.Concern:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        if len(concern_id) > MAX_ID_CHARS:
            raise NotFound(f"no concern {concern_id[:MAX_ID_CHARS]}...")
        with self.db.read() as conn:
            concern = storage.get_concern(conn, concern_id)
        if concern is None:
            raise NotFound(f"no concern {concern_id}")
        return concern
