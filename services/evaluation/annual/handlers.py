"""The annual rating (年度量化评定): keeping the decided actions and their resolutions and rework as
events arrive; calculating a county's year as a new version (every neighbourhood scored, tiered and ranked
in its community, township and the county); publishing a version; reading a place's ratings.

A version, once written, is never changed: recalculating writes the next one, and publishing only
marks one as published. Only a county administrator calculates and publishes (the rankings span
the county) and sees versions not yet published; the party secretary and administrators read the
published versions of the places in their scope.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicekit import auth
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from servicekit.events import Inbound
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.contract import COUNTY_ADMIN, COUNTY_TIME
from services.evaluation.annual import storage
from services.evaluation.annual.domain import ActionReopened, Counts, Decided, ranks, rounded, score, tier
from services.evaluation.contract import ANNUAL_FIRST_YEAR, ANNUAL_LAST_YEAR
from services.evaluation.matters.domain import Resolution
from services.evaluation.settings import EvaluationSettings

_LEVELS = ("county", "township", "community")


@dataclass(frozen=True)
class Version:
    county_id: str
    year: int
    version: int
    calculated_at: datetime
    calculated_by: str
    published_at: datetime | None
    published_by: str


def _version(row: sa.Row[Any]) -> Version:
    return Version(row.county_id, row.year, row.version, row.calculated_at, row.calculated_by, row.published_at,
                   row.published_by)


def check_year(year: int) -> int:
    if not ANNUAL_FIRST_YEAR <= year <= ANNUAL_LAST_YEAR:
        raise InvalidArgument(f"year must be a year from {ANNUAL_FIRST_YEAR} to {ANNUAL_LAST_YEAR}")
    return year


class AnnualRatings:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, settings: EvaluationSettings,
                 clock: Clock):
        self.db, self.units, self.replica, self.settings, self.clock = db, units, replica, settings, clock

    # -- facts as they arrive -----------------------------------------------------------------------

    def decided(self, uow: UnitOfWork, events: list[Inbound[Decided]]) -> None:
        storage.keep_actions(uow.conn, [
            {"action_id": action_id, "decision_id": e.event.decision_id, "neighbourhood_id": e.event.neighbourhood_id,
             "year": e.event.decided_at.astimezone(COUNTY_TIME).year} for e in events for action_id in e.event.action_ids])

    def resolved(self, uow: UnitOfWork, events: list[Inbound[Resolution]]) -> None:
        """A decided action's task resolved: implemented, unless reopened since (composed with the
        matter's handler; matters count rounds from 1, dispatch from 0)."""
        for arrival in events:
            if arrival.event.action_id:
                storage.action_resolved(uow.conn, arrival.event.action_id, arrival.event.round - 1)

    def reopened(self, uow: UnitOfWork, events: list[Inbound[ActionReopened | None]]) -> None:
        """A decided action's task reopened for rework: not implemented until resolved again."""
        for arrival in events:
            if arrival.event is not None:
                storage.action_reopened(uow.conn, arrival.event.action_id, arrival.event.round)

    # -- calculating and publishing --------------------------------------------------------------

    def _county(self) -> str:
        principal = auth.caller()
        if principal.role != COUNTY_ADMIN or not principal.scope:
            raise PermissionDenied("only a county administrator calculates and publishes the annual rating")
        return principal.scope[0]

    def calculate(self, year: int) -> Version:
        """Score every neighbourhood of the caller's county for the year: a new version."""
        county_id, year = self._county(), check_year(year)
        principal, now = auth.caller(), self.clock.now()
        with self.units.start() as uow:
            conn = uow.conn
            storage.take_turn(conn, county_id, year)  # two calculations of the year take turns
            version = storage.next_version(conn, county_id, year)
            weights, cut_offs = self.settings.annual_weights(conn, (county_id,)), \
                self.settings.annual_tiers(conn, (county_id,))
            facts = storage.year_counts(conn, year)
            places = self.replica.within(conn, (county_id,), "neighbourhood")
            scored = {}
            for place in places:
                counts = Counts(households=self.replica.count_within(conn, place.scope_path, "household"),
                                members=self.replica.count_within(conn, place.scope_path, "member"),
                                **facts.get(place.entity_id, {}))
                scored[place.entity_id] = (place, counts, score(counts, weights))
            totals = {key: value[2].total for key, value in scored.items()}
            placed = {level: self._ranks(scored, totals, depth) for depth, level in enumerate(_LEVELS, start=1)}
            rows = [{
                "neighbourhood_id": key, "place_path": storage.path_text(place.scope_path), "name": place.name,
                "counts": json.dumps(counts.__dict__),
                "components": json.dumps([{"indicator": c.indicator, "share": rounded(c.share, 4),
                                           "weight": float(c.weight), "points": rounded(c.points)}
                                          for c in result.components]),
                "score": rounded(result.total), "tier": tier(result.total, cut_offs),
                "rank_community": placed["community"][key], "rank_township": placed["township"][key],
                "rank_county": placed["county"][key]} for key, (place, counts, result) in scored.items()]
            storage.add_version(conn, county_id=county_id, year=year, version=version, at=now, by=principal.name,
                                rules={"weights": weights.model_dump(), "tiers": cut_offs.model_dump()}, rows=rows)
        return Version(county_id, year, version, now, principal.name, None, "")

    @staticmethod
    def _ranks(scored: dict[str, Any], totals: dict[str, Any], depth: int) -> dict[str, int]:
        """Each neighbourhood's place among those sharing its ancestor at `depth` (1: the county)."""
        groups: dict[tuple[str, ...], dict[str, Any]] = {}
        for key, (place, _, _) in scored.items():
            groups.setdefault(place.scope_path[:depth], {})[key] = totals[key]
        placed: dict[str, int] = {}
        for group in groups.values():
            placed.update(ranks(group))
        return placed

    def publish(self, year: int, version: int) -> Version:
        """Publish a calculated version; a published one stays as it is."""
        county_id, year = self._county(), check_year(year)
        if version < 1:
            raise InvalidArgument("version must be 1 or more")
        with self.units.start() as uow:
            found = {row.version: row for row in storage.versions(uow.conn, county_id, year, lock=True)}
            if version not in found:
                raise NotFound(f"no version {version} of {year}'s annual rating")
            if found[version].published_at is not None:
                raise Conflict(f"version {version} of {year}'s annual rating is published already")
            storage.publish(uow.conn, county_id, year, version, self.clock.now(), auth.caller().name)
            (row,) = (r for r in storage.versions(uow.conn, county_id, year) if r.version == version)
        return _version(row)

    # -- reading ------------------------------------------------------------------------------------

    @staticmethod
    def _sees_unpublished() -> bool:
        """Only the county administrator, who calculates and publishes, sees a version before it is
        published; those it rates see the published ones."""
        return auth.caller().role == COUNTY_ADMIN

    def versions(self, year: int) -> list[Version]:
        principal = auth.caller()
        year = check_year(year)
        with self.db.read() as conn:
            found = storage.versions(conn, principal.scope[0] if principal.scope else "", year)
        return [_version(row) for row in found if row.published_at is not None or self._sees_unpublished()]

    def ratings(self, place_id: str, year: int, version: int) -> tuple[Version, list[sa.Row[Any]]]:
        """A place's neighbourhoods in a version (0: the latest published), best first."""
        year = check_year(year)
        if version < 0:
            raise InvalidArgument("version must be 1 or more, or 0 for the latest published")
        with self.db.read() as conn:
            path = self.replica.visible_place(conn, place_id) if place_id else auth.caller().scope
            if not path:
                raise NotFound("no place")
            found = [row for row in storage.versions(conn, path[0], year)
                     if row.published_at is not None or self._sees_unpublished()]
            if version:
                chosen = next((row for row in found if row.version == version), None)
            else:
                chosen = next((row for row in reversed(found) if row.published_at is not None), None)
            if chosen is None:
                raise NotFound(f"no {'version ' + str(version) if version else 'published version'} of {year}'s "
                               "annual rating")
            return _version(chosen), storage.ratings_below(conn, path[0], year, chosen.version, path)
