"""Recording door visits and reporting their coverage."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit import auth, logs
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.unit_of_work import UnitsOfWork
from services.intake import domain, events
from services.intake.directory import storage as directory
from services.intake.directory.domain import Entity, places_of
from services.intake.reception import Reception
from services.intake.visits import storage
from services.intake.visits.domain import (
    VISITING_ROLES,
    Coverage,
    CoverageLine,
    DoorVisitRecorded,
    RaisedConcern,
    Visit,
    check_period,
    check_visit,
)


class Visits:
    def __init__(self, db: Database, units: UnitsOfWork, reception: Reception, clock: Clock, audit: AuditLog):
        self.db, self.units, self.reception, self.clock, self.audit = db, units, reception, clock, audit

    def record(self, *, household_id: str, member_id: str, visited_on: str, notes: str,
               concerns: list[RaisedConcern]) -> Visit:
        day = check_visit(visited_on, notes, concerns, self.clock.now().date())
        with self.units.start() as uow:
            household = directory.get(uow.conn, household_id) if household_id else None
            if household is None or household.kind != "household" or not auth.in_scope(household.scope_path):
                raise InvalidArgument(f"household_id: no household {household_id!r} in your scope")
            neighbourhood_id = places_of(household)["neighbourhood"]
            member = self._member(uow.conn, member_id, neighbourhood_id)
            concern_ids = []
            for raised in concerns:
                cmd = domain.SubmitConcern(
                    neighbourhood_id=neighbourhood_id, household_id=household_id, channel="door_visit",
                    category=raised.category, description=raised.description, urgency=raised.urgency or "normal")
                concern, neighbourhood = self.reception.received(uow.conn, cmd)
                self.reception.record(uow, concern, neighbourhood, logs.correlation_id.get())
                concern_ids.append(concern.concern_id)
            visit = Visit(visit_id=new_id(), household_id=household_id, neighbourhood_id=neighbourhood_id,
                          member_id=member.entity_id, party_group_id=member.attributes.get("party_group_id") or "",
                          visited_on=day, notes=notes, concern_ids=tuple(concern_ids))
            storage.add_visit(uow.conn, concern_ids=concern_ids, visit_id=visit.visit_id,
                              household_id=household_id, building_id=household.parent_id,
                              neighbourhood_id=neighbourhood_id, member_id=visit.member_id,
                              party_group_id=visit.party_group_id, visited_on=day, notes=notes,
                              recorded_at=self.clock.now())
            uow.record(DoorVisitRecorded(visit), events.origin(household, logs.correlation_id.get()), self.clock.now())
            self.audit.record(uow.tx, "visit.recorded", "household", household_id,
                              f"{len(concern_ids)} concerns raised")
        return visit

    def _member(self, conn: sa.Connection, member_id: str, neighbourhood_id: str) -> Entity:
        principal = auth.current.get()
        if principal is not None and principal.role in VISITING_ROLES:
            if member_id and member_id != principal.entity_id:
                raise InvalidArgument("member_id: members record their own visits")
            member_id = principal.entity_id
        member = directory.get(conn, member_id) if member_id else None
        if member is None or member.kind != "member" or neighbourhood_id not in member.ancestor_ids:
            raise InvalidArgument("member_id must be a member of the household's neighbourhood")
        return member

    def coverage(self, neighbourhood_id: str, from_date: str, to_date: str) -> Coverage:
        start, end = check_period(from_date, to_date)
        with self.db.read() as conn:
            neighbourhood = directory.get(conn, neighbourhood_id) if neighbourhood_id else None
            if neighbourhood is None or neighbourhood.kind != "neighbourhood" or \
                    not auth.in_scope(neighbourhood.scope_path):
                raise NotFound(f"no neighbourhood {neighbourhood_id}")
            households = storage.households_by_building(conn, neighbourhood.scope_path)
            by_building = storage.coverage_by_building(conn, neighbourhood_id, start, end)
            by_member = storage.coverage_by_member(conn, neighbourhood_id, start, end)
            visited, visits, raised = storage.totals(conn, neighbourhood.scope_path, start, end)
            names = storage.names(conn, [*households, *by_building, *by_member])
        buildings = [CoverageLine(b, names.get(b, ""), households.get(b, 0), *by_building.get(b, (0, 0, 0)))
                     for b in sorted(set(households) | set(by_building))]
        members = [CoverageLine(m, names.get(m, ""), 0, *counts) for m, counts in sorted(by_member.items())]
        return Coverage(neighbourhood_id, sum(households.values()), visited, visits, raised, buildings, members)
