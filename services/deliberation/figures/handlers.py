"""Deliberation's figures for a place the caller may see."""
from __future__ import annotations

from servicekit import auth
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound
from services.deliberation import calendar
from services.deliberation.figures import domain, storage


class FiguresReport:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def figures(self, place_id: str, period: str) -> domain.Figures:
        if not place_id:
            raise InvalidArgument("place_id is required")
        start, end = calendar.period_bounds(period)
        with self.db.read() as conn:
            place = self.replica.locate(conn, place_id)
            if place is None or place.kind not in domain.PLACE_KINDS or not auth.in_scope(place.path):
                raise NotFound(f"no neighbourhood, community, township or county {place_id[:64]}")
            return storage.count(conn, place.kind, place_id, period, start, end)
