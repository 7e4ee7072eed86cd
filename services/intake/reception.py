"""Receiving a concern, from whichever channel brings it (a submission, an online message, a door
visit, a sit-down talk): checked against intake's rules and the directory, triaged by the routing
table when a rule applies, then recorded with its first timeline steps, its event and its audit
entry in the caller's unit of work."""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from servicekit import auth
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.errors import InvalidArgument
from servicekit.ids import new_id
from servicekit.unit_of_work import UnitOfWork
from services.intake import contract, domain, events, storage
from services.intake.directory.domain import Entity, places_of
from services.intake.places import Places
from services.intake.settings import IntakeSettings
from services.intake.timeline import storage as timeline
from services.intake.timeline.domain import TimelineEntry
from services.intake.triage import domain as triage_rules


class Reception:
    def __init__(self, places: Places, settings: IntakeSettings, clock: Clock, audit: AuditLog):
        self.places, self.settings, self.clock, self.audit = places, settings, clock, audit

    def received(self, conn: sa.Connection, cmd: domain.SubmitConcern) -> tuple[domain.Concern, Entity]:
        """The concern as received (checked against the rules and the directory), and its
        neighbourhood; not yet recorded."""
        neighbourhood, building_id = self._neighbourhood(conn, cmd)
        concern = domain.receive(
            replace(cmd, building_id=building_id),
            concern_id=new_id(),
            received_at=self.clock.now(),
            category_is_open=self.places.open_categories(conn).__contains__,
        )
        rule = self.settings.triage_rule(conn, neighbourhood.scope_path, concern.category, concern.urgency)
        if rule is not None and rule.route != contract.MANUAL:
            concern = replace(concern, status=contract.TRIAGED, triage=domain.Triage(
                rule.route, rule.note, rule.rule_id, concern.received_at))
        return concern, neighbourhood

    def record(self, uow: UnitOfWork, concern: domain.Concern, neighbourhood: Entity,
               correlation_id: str) -> domain.Concern:
        """The concern, its first timeline steps, its ConcernReceived and its audit entry, in the
        caller's unit of work; returns the concern with its timeline."""
        storage.add_concern(uow.conn, concern)
        steps = [(concern.concern_id, TimelineEntry(contract.RECEIVED, concern.received_at, "", "intake"))]
        if concern.triage:
            steps.append((concern.concern_id, TimelineEntry(
                contract.TRIAGED, concern.received_at,
                triage_rules.timeline_note(concern.triage.route, concern.triage.note), "intake")))
        timeline.add_many(uow.conn, steps)
        # A rule's triage travels inside ConcernReceived: one event does for both.
        uow.record(domain.ConcernReceived(concern), events.origin(neighbourhood, correlation_id), concern.received_at)
        self.audit.record(uow.tx, "concern.submitted", "concern", concern.concern_id,
                          f"{concern.category} via {concern.channel}")
        return replace(concern, timeline=tuple(step for _, step in steps))

    def as_caller(self, cmd: domain.SubmitConcern) -> domain.SubmitConcern:
        """A resident raises concerns for their own household only."""
        principal = auth.current.get()
        if principal is None or principal.role != "resident":
            return cmd
        if cmd.household_id and cmd.household_id != principal.entity_id:
            raise InvalidArgument("household_id: residents raise concerns for their own household")
        return replace(cmd, household_id=principal.entity_id)

    def placed(self, conn: sa.Connection, cmd: domain.SubmitConcern, address_id: str) -> domain.SubmitConcern:
        """The command placed by an address: a directory id of a neighbourhood, a building or a
        household (Open311's address_id); its neighbourhood, building and household follow."""
        place = self.places.entity(conn, address_id)
        if place is None or not auth.in_scope(place.scope_path):
            raise InvalidArgument(f"address_id {address_id[:100]!r} is not a neighbourhood, building or household "
                                  "in the county's directory")
        if place.kind == "neighbourhood":
            return replace(cmd, neighbourhood_id=place.entity_id)
        neighbourhood_id = places_of(place).get("neighbourhood", "")
        if place.kind == "building" and neighbourhood_id:
            return replace(cmd, neighbourhood_id=neighbourhood_id, building_id=place.entity_id)
        if place.kind == "household" and neighbourhood_id:
            return replace(cmd, neighbourhood_id=neighbourhood_id, household_id=place.entity_id)
        raise InvalidArgument(f"address_id {place.entity_id} is a {place.kind}; "
                              "it must be a neighbourhood, a building or a household")

    def _neighbourhood(self, conn: sa.Connection, cmd: domain.SubmitConcern) -> tuple[Entity, str]:
        """The concern's neighbourhood from the directory, within the caller's scope, and its
        building: the one named, or the household's (they must agree)."""
        neighbourhood = self.places.entity(conn, cmd.neighbourhood_id)
        if neighbourhood is None or neighbourhood.kind != "neighbourhood" or \
                not auth.in_scope(neighbourhood.scope_path):
            raise InvalidArgument(f"neighbourhood_id: no neighbourhood {cmd.neighbourhood_id!r} in your scope")
        building_id = ""
        if cmd.building_id:
            building = self.places.entity(conn, cmd.building_id)
            if building is None or building.kind != "building" or building.parent_id != neighbourhood.entity_id:
                raise InvalidArgument(f"building_id: no building {cmd.building_id!r} in that neighbourhood")
            building_id = building.entity_id
        if cmd.household_id:
            household = self.places.entity(conn, cmd.household_id)
            if household is None or household.kind != "household" or \
                    neighbourhood.entity_id not in household.ancestor_ids:
                raise InvalidArgument(f"household_id: no household {cmd.household_id!r} in that neighbourhood")
            if building_id and household.parent_id != building_id:
                raise InvalidArgument("building_id: the household is in another building")
            building_id = household.parent_id or ""
        return neighbourhood, building_id

