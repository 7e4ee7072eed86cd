"""Recording sit-down talks and reading their opinion logs."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from servicekit import auth, logs, paging
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.unit_of_work import UnitsOfWork
from services.intake import domain, events
from services.intake.directory import storage as directory
from services.intake.directory.domain import places_of
from services.intake.reception import Reception
from services.intake.storage import open_categories
from services.intake.talks import storage
from services.intake.talks.domain import HOST_KINDS, LogEntry, TalkSession, TalkSessionReported, check_session

_TOKEN = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{1,18})")


class Talks:
    def __init__(self, db: Database, units: UnitsOfWork, reception: Reception, clock: Clock, audit: AuditLog):
        self.db, self.units, self.reception, self.clock, self.audit = db, units, reception, clock, audit

    def record(self, *, venue_id: str, held_on: str, host_ids: list[str], attendance: int,
               entries: list[LogEntry]) -> TalkSession:
        """A session with its log; entries marked to become concerns do, and the log is reported
        to the neighbourhood party organisation, all in one unit of work."""
        day = check_session(held_on, host_ids, attendance, entries, self.clock.now().date())
        with self.units.start() as uow:
            venue = directory.get(uow.conn, venue_id) if venue_id else None
            if venue is None or venue.kind != "venue" or not auth.in_scope(venue.scope_path):
                raise InvalidArgument(f"venue_id: no venue {venue_id!r} in your scope")
            neighbourhood_id = places_of(venue)["neighbourhood"]
            self._check_hosts(uow.conn, host_ids, neighbourhood_id)
            self._check_entries(uow.conn, entries, neighbourhood_id)
            kept = []
            for entry in entries:
                if entry.becomes_concern:
                    cmd = domain.SubmitConcern(
                        neighbourhood_id=neighbourhood_id, household_id=entry.household_id, channel="sit_down_talk",
                        category=entry.category, description=entry.text)
                    concern, neighbourhood = self.reception.received(uow.conn, cmd)
                    self.reception.record(uow, concern, neighbourhood, logs.correlation_id.get())
                    kept.append(replace(entry, concern_id=concern.concern_id))
                else:
                    kept.append(entry)
            session = TalkSession(new_id(), neighbourhood_id, venue_id, day, tuple(host_ids), attendance, tuple(kept))
            principal = auth.current.get()
            storage.add_session(
                uow.conn, host_ids=list(host_ids), session_id=session.session_id, neighbourhood_id=neighbourhood_id,
                venue_id=venue_id, held_on=day, attendance=attendance,
                recorded_by=principal.subject if principal else "system", recorded_at=self.clock.now(),
                entries=[{"text": e.text, "category": e.category, "household_id": e.household_id,
                          "concern_id": e.concern_id or None} for e in kept],
            )
            uow.record(TalkSessionReported(session), events.origin(venue, logs.correlation_id.get()), self.clock.now())
            self.audit.record(uow.tx, "talk_session.recorded", "venue", venue_id, f"{len(kept)} log entries")
        return session

    def list(self, neighbourhood_id: str, page_size: int = 0, page_token: str = ""
             ) -> tuple[list[TalkSession], str]:
        limit, after = paging.page_size(page_size), _position(page_token)
        with self.db.read() as conn:
            neighbourhood = directory.get(conn, neighbourhood_id) if neighbourhood_id else None
            if neighbourhood is None or neighbourhood.kind != "neighbourhood" or \
                    not auth.in_scope(neighbourhood.scope_path):
                raise NotFound(f"no neighbourhood {neighbourhood_id}")
            rows = storage.page(conn, neighbourhood_id, after, limit + 1)
        rows, token = paging.one_page(
            rows, limit, lambda row: paging.encode_key_token(f"{row[0].held_on.isoformat()}/{row[0].seq}"))
        sessions = [TalkSession(
            s.session_id, s.neighbourhood_id, s.venue_id, s.held_on, tuple(json.loads(s.host_ids)), s.attendance,
            tuple(LogEntry(e.text, e.category, e.household_id, e.concern_id is not None, e.concern_id or "")
                  for e in entries),
        ) for s, entries in rows]
        return sessions, token

    def _check_entries(self, conn: sa.Connection, entries: list[LogEntry], neighbourhood_id: str) -> None:
        """Every entry's household and category must be real, whether or not it becomes a concern
        (one that does is checked again, in full, as a concern)."""
        categories = open_categories(conn)
        for n, entry in enumerate(entries, 1):
            if entry.category and entry.category not in categories:
                raise InvalidArgument(f"entries[{n}].category {entry.category!r} is not an open category")
            if entry.household_id:
                household = directory.get(conn, entry.household_id)
                if household is None or household.kind != "household" or neighbourhood_id not in household.ancestor_ids:
                    raise InvalidArgument(f"entries[{n}].household_id: no such household in this neighbourhood")

    def _check_hosts(self, conn: sa.Connection, host_ids: list[str], neighbourhood_id: str) -> None:
        for host_id in host_ids:
            host = directory.get(conn, host_id)
            if host is None or host.kind not in HOST_KINDS or neighbourhood_id not in host.ancestor_ids:
                raise InvalidArgument(f"host_ids: {host_id} is not a member or volunteer of this neighbourhood")


def _position(page_token: str) -> tuple[date, int] | None:
    """The (held_on, seq) a page token points after; None for the first page."""
    key = paging.decode_key_token(page_token)
    if not key:
        return None
    # Exactly what _page writes: a day YYYY-MM-DD and a position a BIGINT holds; anything else
    # (a position past it would fail inside the database) is no token of ours.
    match = _TOKEN.fullmatch(key)
    try:
        if match is None:
            raise ValueError(key)
        return date.fromisoformat(match[1]), int(match[2])
    except ValueError:
        raise InvalidArgument("page_token is not one this service issued") from None
