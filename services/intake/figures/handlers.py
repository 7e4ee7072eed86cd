"""Asking's figures for a place the caller may see."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from servicekit import auth
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from services.contract import COUNTY_TIME
from services.intake.directory import storage as directory
from services.intake.figures import domain, storage


class AskingReport:
    def __init__(self, db: Database):
        self.db = db

    def figures(self, place_id: str, from_day: str, to_day: str) -> domain.AskingFigures:
        if not place_id:
            raise InvalidArgument("place_id is required")
        first, last = domain.days(from_day, to_day)
        # Concerns carry the moment they arrived: the days are the county's.
        start = datetime.combine(first, time(), COUNTY_TIME)
        end = datetime.combine(last + timedelta(days=1), time(), COUNTY_TIME)
        with self.db.read() as conn:
            place = directory.get(conn, place_id)
            if place is None or place.kind not in domain.PLACE_KINDS or not auth.in_scope(place.scope_path):
                raise NotFound(f"no neighbourhood, community, township or county {place_id[:64]}")
            path = place.scope_path
            visited, visits, raised = storage.visits_in(conn, path, first, last)
            sessions, attendance, entries = storage.talks_in(conn, path, first, last)
            received = storage.concerns_in(conn, path, start, end)
            households = storage.households(conn, path)
        channels: dict[str, int] = {}
        categories: dict[str, int] = {}
        for channel, category, count, _ in received:
            channels[channel] = channels.get(channel, 0) + count
            categories[category] = categories.get(category, 0) + count
        return domain.AskingFigures(
            place_id=place.entity_id, first_day=first, last_day=last, households=households,
            households_visited=visited, door_visits=visits, concerns_raised_on_visits=raised,
            talk_sessions=sessions, talk_attendance=attendance, opinion_log_entries=entries,
            concerns_merged=sum(merged for *_, merged in received),
            by_channel=domain.by_channel(channels), by_category=dict(sorted(categories.items())))
