"""Recording sit-down talks and reading their opinion logs."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta

from lianyi.intake.v1.events_pb2 import TalkSessionReported
from servicekit import auth, envelope, logs, paging
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from services.intake import domain
from services.intake.directory import storage as directory
from services.intake.directory.domain import places_of
from services.intake.handlers import Intake
from services.intake.storage import open_categories as storage_categories
from services.intake.talks import storage
from services.intake.visits.handlers import parse_day

ENTRIES_MAX = 200
HOSTS_MAX = 10
ATTENDANCE_MAX = 10_000
_HOST_KINDS = ("member", "volunteer")


@dataclass(frozen=True)
class LogEntry:
    text: str
    category: str = ""
    household_id: str = ""
    becomes_concern: bool = False
    concern_id: str = ""


@dataclass(frozen=True)
class TalkSession:
    session_id: str
    neighbourhood_id: str
    venue_id: str
    held_on: date
    host_ids: tuple[str, ...]
    attendance: int
    entries: tuple[LogEntry, ...]


class Talks:
    def __init__(self, db: Database, intake: Intake, outbox: Outbox, clock: Clock, audit: AuditLog):
        self.db, self.intake, self.outbox, self.clock, self.audit = db, intake, outbox, clock, audit

    def record(self, *, venue_id: str, held_on: str, host_ids: list[str], attendance: int,
               entries: list[LogEntry]) -> TalkSession:
        day = parse_day(held_on, "held_on")
        if day > self.clock.now().date() + timedelta(days=1):
            raise InvalidArgument("held_on is in the future")
        if not 1 <= len(host_ids) <= HOSTS_MAX:
            raise InvalidArgument(f"a session has 1-{HOSTS_MAX} hosts")
        if not 0 <= attendance <= ATTENDANCE_MAX:
            raise InvalidArgument(f"attendance must be 0-{ATTENDANCE_MAX}")
        if len(entries) > ENTRIES_MAX:
            raise InvalidArgument(f"at most {ENTRIES_MAX} opinion log entries per session")
        for n, entry in enumerate(entries, 1):
            if not entry.text.strip() or len(entry.text) > domain.DESCRIPTION_MAX_CHARS or \
                    domain.has_control_characters(entry.text):
                raise InvalidArgument(f"entries[{n}].text must be 1-{domain.DESCRIPTION_MAX_CHARS} characters")
        with self.db.write() as tx:
            venue = directory.get(tx.conn, venue_id) if venue_id else None
            if venue is None or venue.kind != "venue" or not auth.in_scope(venue.scope_path):
                raise InvalidArgument(f"venue_id: no venue {venue_id!r} in your scope")
            neighbourhood_id = places_of(venue)["neighbourhood"]
            self._check_hosts(tx.conn, host_ids, neighbourhood_id)
            self._check_entries(tx.conn, entries, neighbourhood_id)
            kept = []
            for entry in entries:
                if entry.becomes_concern:
                    cmd = domain.SubmitConcern(
                        neighbourhood_id=neighbourhood_id, household_id=entry.household_id, channel="sit_down_talk",
                        category=entry.category, description=entry.text)
                    concern, neighbourhood = self.intake.received(tx.conn, cmd)
                    self.intake.store(tx, concern, neighbourhood, logs.correlation_id.get())
                    entry = replace(entry, concern_id=concern.concern_id)
                kept.append(entry)
            session = TalkSession(new_id(), neighbourhood_id, venue_id, day, tuple(host_ids), attendance, tuple(kept))
            storage.add_session(
                tx.conn, host_ids=list(host_ids), session_id=session.session_id, neighbourhood_id=neighbourhood_id,
                venue_id=venue_id, held_on=day, attendance=attendance,
                recorded_by=(auth.current.get().subject if auth.current.get() else "system"),
                recorded_at=self.clock.now(),
                entries=[{"text": e.text, "category": e.category, "household_id": e.household_id,
                          "concern_id": e.concern_id or None} for e in kept],
            )
            self._report(tx, session, venue)
            self.audit.record(tx, "talk_session.recorded", "venue", venue_id, f"{len(kept)} log entries")
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

    def _check_entries(self, conn, entries: list[LogEntry], neighbourhood_id: str) -> None:
        """Every entry's household and category must be real, whether or not it becomes a concern
        (one that does is checked again, in full, as a concern)."""
        categories = storage_categories(conn)
        for n, entry in enumerate(entries, 1):
            if entry.category and entry.category not in categories:
                raise InvalidArgument(f"entries[{n}].category {entry.category!r} is not an open category")
            if entry.household_id:
                household = directory.get(conn, entry.household_id)
                if household is None or household.kind != "household" or neighbourhood_id not in household.ancestor_ids:
                    raise InvalidArgument(f"entries[{n}].household_id: no such household in this neighbourhood")

    def _check_hosts(self, conn, host_ids: list[str], neighbourhood_id: str) -> None:
        if len(set(host_ids)) != len(host_ids):
            raise InvalidArgument("host_ids: name each host once")
        for host_id in host_ids:
            host = directory.get(conn, host_id)
            if host is None or host.kind not in _HOST_KINDS or neighbourhood_id not in host.ancestor_ids:
                raise InvalidArgument(f"host_ids: {host_id} is not a member or volunteer of this neighbourhood")

    def _report(self, tx, session: TalkSession, venue) -> None:
        """The log goes to the neighbourhood party organisation as an event."""
        places = places_of(venue)
        event = TalkSessionReported(
            session_id=session.session_id, neighbourhood_id=session.neighbourhood_id, venue_id=session.venue_id,
            held_on=session.held_on.isoformat(), attendance=session.attendance, entries=len(session.entries),
            concern_ids=[e.concern_id for e in session.entries if e.concern_id],
        )
        self.outbox.add(tx, envelope.seal(
            event, producer="intake", occurred_at=self.clock.now(), correlation_id=logs.correlation_id.get(),
            place=envelope.Place(session.neighbourhood_id, places["community"], places["township"], places["county"]),
        ))


def _position(page_token: str) -> tuple[date, int] | None:
    """The (held_on, seq) a page token points after; None for the first page."""
    key = paging.decode_key_token(page_token)
    if not key:
        return None
    day, _, seq = key.partition("/")
    try:
        return date.fromisoformat(day), int(seq)
    except ValueError:
        raise InvalidArgument("page_token is not one this service issued") from None
