"""Intake's command handlers: each is one transaction writing state and its event together."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from servicekit import auth, envelope
from servicekit.audit import AuditLog
from servicekit.caching import TtlCache
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from lianyi.intake.v1.events_pb2 import ConcernReceived
from services.intake import domain, storage
from services.intake.directory import storage as directory
from services.intake.directory.domain import places_of
from services.intake.messages import concern_to_proto


# Categories and where a neighbourhood sits change rarely (an administrator's edit); re-reading
# them on every submission would cost queries each time. A change is seen within this long.
CACHE_TTL = timedelta(seconds=30)
MAX_ID_CHARS = 64
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


def _caller() -> str:
    """Whose Idempotency-Keys these are: keys of different callers never collide."""
    principal = auth.current.get()
    return principal.subject if principal else "system"


class Intake:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock, audit: AuditLog | None = None):
        self.db, self.outbox, self.clock = db, outbox, clock
        self.audit = audit or AuditLog(db, clock)
        self._cache = TtlCache(clock, CACHE_TTL)

    def _open_categories(self, conn) -> frozenset[str]:
        return self._cache.get(("categories",), lambda: storage.open_categories(conn))

    def _place(self, conn, entity_id: str):
        return self._cache.get(("entity", entity_id), lambda: directory.get(conn, entity_id)) if entity_id else None

    def submit_concern(self, cmd: domain.SubmitConcern) -> domain.Concern:
        cmd = self._as_caller(cmd)
        with self.db.write() as tx:
            neighbourhood = self._neighbourhood(tx.conn, cmd)
            concern = domain.receive(
                cmd,
                concern_id=new_id(),
                received_at=self.clock.now(),
                category_is_open=self._open_categories(tx.conn).__contains__,
            )
            if cmd.idempotency_key and not self._claim(tx.conn, cmd, concern):
                return self._replayed(tx.conn, cmd)
            storage.add_concern(tx.conn, concern)
            # Events leave out contact details: no consumer needs a resident's phone number.
            event = ConcernReceived(concern=concern_to_proto(concern, with_contact=False))
            places = places_of(neighbourhood)
            self.outbox.add(tx, envelope.seal(
                event,
                producer="intake",
                place=envelope.Place(concern.neighbourhood_id, places["community"], places["township"],
                                     places["county"]),
                occurred_at=concern.received_at,
                correlation_id=cmd.correlation_id,
            ))
            self.audit.record(tx, "concern.submitted", "concern", concern.concern_id,
                              f"{concern.category} via {concern.channel}")
        return concern

    def get_concern(self, concern_id: str) -> domain.Concern:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        if len(concern_id) > MAX_ID_CHARS:
            raise NotFound(f"no concern {concern_id[:MAX_ID_CHARS]}...")
        with self.db.read() as conn:
            concern = storage.get_concern(conn, concern_id)
            neighbourhood = self._place(conn, concern.neighbourhood_id) if concern else None
        principal = auth.current.get()
        if (concern is None or not auth.in_scope(neighbourhood.scope_path if neighbourhood else ())
                or (principal and principal.role == "resident" and concern.household_id != principal.entity_id)):
            raise NotFound(f"no concern {concern_id}")
        return concern

    def categories(self) -> list[tuple[str, str, str]]:
        with self.db.read() as conn:
            return storage.category_names(conn)

    def _claim(self, conn, cmd: domain.SubmitConcern, concern: domain.Concern) -> bool:
        """Claim the caller's Idempotency-Key for this new concern; False if it was used before."""
        if not IDEMPOTENCY_KEY.match(cmd.idempotency_key):
            raise InvalidArgument("idempotency_key must be 1-100 printable ASCII characters")
        return storage.claim_idempotency_key(conn, caller=_caller(), key=cmd.idempotency_key,
                                             fingerprint=cmd.fingerprint(), concern_id=concern.concern_id,
                                             created_at=concern.received_at)

    def _replayed(self, conn, cmd: domain.SubmitConcern) -> domain.Concern:
        """The concern a key's first use created; the same key with a different request is refused."""
        earlier = storage.idempotency_key(conn, _caller(), cmd.idempotency_key)
        if earlier.fingerprint != cmd.fingerprint():
            raise InvalidArgument("this Idempotency-Key was already used for a different request")
        return storage.get_concern(conn, earlier.concern_id)

    def _as_caller(self, cmd: domain.SubmitConcern) -> domain.SubmitConcern:
        """A resident raises concerns for their own household only."""
        principal = auth.current.get()
        if principal is None or principal.role != "resident":
            return cmd
        if cmd.household_id and cmd.household_id != principal.entity_id:
            raise InvalidArgument("household_id: residents raise concerns for their own household")
        return replace(cmd, household_id=principal.entity_id)

    def _neighbourhood(self, conn, cmd: domain.SubmitConcern):
        """The concern's neighbourhood (and household) from the directory, within the caller's scope."""
        neighbourhood = self._place(conn, cmd.neighbourhood_id)
        if neighbourhood is None or neighbourhood.kind != "neighbourhood" or not auth.in_scope(neighbourhood.scope_path):
            raise InvalidArgument(f"neighbourhood_id: no neighbourhood {cmd.neighbourhood_id!r} in your scope")
        if cmd.household_id:
            household = self._place(conn, cmd.household_id)
            if household is None or household.kind != "household" or \
                    neighbourhood.entity_id not in household.ancestor_ids:
                raise InvalidArgument(f"household_id: no household {cmd.household_id!r} in that neighbourhood")
        return neighbourhood
