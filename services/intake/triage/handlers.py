"""Triage, merging and the routing table: the party secretary's follow-through on concerns."""
from __future__ import annotations

from dataclasses import replace

from servicekit import auth, logs
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import FailedPrecondition, InvalidArgument, NotFound
from servicekit.events import Origin
from servicekit.unit_of_work import UnitsOfWork
from services.intake import contract, domain, events, storage, views
from services.intake.contract import MERGE_MAX
from services.intake.directory.domain import Entity
from services.intake.places import Places
from services.intake.settings import (
    RULES,
    TRIAGE_ROUTE,
    IntakeSettings,
    TriageRoute,
    not_an_open_category,
    qualifier_of,
    rule_of,
)
from services.intake.timeline import storage as timeline
from services.intake.timeline.domain import TimelineEntry
from services.intake.triage import domain as rules

RULE_ID_MAX_CHARS = 64


class Triage:
    def __init__(self, db: Database, units: UnitsOfWork, places: Places, settings: IntakeSettings, clock: Clock,
                 audit: AuditLog):
        self.db, self.units, self.places, self.settings = db, units, places, settings
        self.clock, self.audit = clock, audit

    def triage(self, concern_id: str, route: str, note: str) -> domain.Concern:
        """Send a received concern to direct handling or the deliberation pool (once)."""
        rules.check_route(route)
        rules.check_note(note)
        with self.units.start() as uow:
            concern, neighbourhood = self._concern_in_scope(uow.conn, concern_id)
            now = self.clock.now()
            triage = domain.Triage(route, note.strip(), "", now)
            if not storage.set_triage(uow.conn, concern.concern_id, triage, contract.TRIAGED):
                # Read again: the copy above may predate the triage or merge that got there first.
                raise FailedPrecondition(_why_not_triageable(storage.get_concern(uow.conn, concern.concern_id)))
            timeline.add(uow.conn, concern.concern_id, TimelineEntry(
                contract.TRIAGED, now, rules.timeline_note(route, triage.note), "intake"))
            concern = replace(concern, triage=triage, status=contract.TRIAGED, updated_at=now)
            uow.record(rules.ConcernTriaged(concern), self._origin(neighbourhood), now)
            self.audit.record(uow.tx, "concern.triaged", "concern", concern.concern_id, route)
            window = self.settings.duplicates_window(uow.conn, neighbourhood)
            return views.suggesting(uow.conn, views.followed(uow.conn, concern), window)

    def merge(self, survivor_id: str, concern_ids: list[str], note: str) -> domain.Concern:
        """Merge concerns about the same matter into a survivor in the same neighbourhood; the
        merged ones (and any merged into them before) follow it from now on."""
        rules.check_note(note)
        ids = list(dict.fromkeys(concern_ids))
        if not 0 < len(ids) <= MERGE_MAX:
            raise InvalidArgument(f"concern_ids: name 1-{MERGE_MAX} concerns to merge")
        if survivor_id in ids:
            raise InvalidArgument("concern_ids: a concern cannot be merged into itself")
        with self.units.start() as uow:
            survivor, neighbourhood = self._concern_in_scope(uow.conn, survivor_id)
            # Lock the survivor and the merged rows, then check them as locked: on PostgreSQL two
            # merges at once (A into B and B into A) could otherwise both pass their checks and
            # leave a cycle, or a chain through a survivor merged meanwhile.
            found = storage.get_concerns(uow.conn, [survivor.concern_id, *ids], lock=True)
            survivor = found[survivor.concern_id]
            if survivor.merged_into:
                raise FailedPrecondition(f"{survivor_id} was itself merged into {survivor.merged_into}; "
                                         "merge into that one")
            for concern_id in ids:
                concern = found.get(concern_id)
                if concern is None or concern.neighbourhood_id != survivor.neighbourhood_id:
                    raise InvalidArgument(f"concern_ids: no concern {concern_id[:64]} in the survivor's neighbourhood")
                if concern.merged_into:
                    raise FailedPrecondition(f"{concern_id} is already merged into {concern.merged_into}")
            now = self.clock.now()
            storage.merge_into(uow.conn, survivor.concern_id, ids, now)
            timeline.add_many(uow.conn, [(concern_id, TimelineEntry(
                contract.MERGED, now, f"into {survivor.concern_id}" + (f": {note.strip()}" if note.strip() else ""),
                "intake")) for concern_id in ids])
            uow.record(rules.ConcernsMerged(survivor.concern_id, survivor.neighbourhood_id, tuple(ids), note.strip()),
                       self._origin(neighbourhood), now)
            self.audit.record(uow.tx, "concerns.merged", "concern", survivor.concern_id, f"{len(ids)} merged into it")
            return views.followed(uow.conn, survivor)

    def similar(self, concern_id: str) -> list[domain.SimilarConcern]:
        with self.db.read() as conn:
            concern, neighbourhood = self._concern_in_scope(conn, concern_id)
            return views.similar_to(conn, concern, self.settings.duplicates_window(conn, neighbourhood))

    # The routing table is the county setting intake.triage.route; a rule's id is its value's.

    def rules_for(self, scope_id: str) -> list[rules.Rule]:
        """The rules that apply at a place: set there, above it, or everywhere."""
        (table,) = self.settings.county.at(scope_id, TRIAGE_ROUTE.key)
        return sorted(map(rule_of, table.values), key=lambda rule: (rule.scope_id, rule.category, rule.urgency))

    def set_rule(self, rule: rules.Rule) -> rules.Rule:
        """Add a rule, or replace the one for the same place, category and urgency."""
        rules.check_rule(rule)
        if not rule.category or "/" in rule.category:  # no category code has one
            raise not_an_open_category(rule.category)
        return rule_of(self.settings.county.set(TRIAGE_ROUTE.key, rule.scope_id, qualifier_of(rule),
                                                TriageRoute(route=rule.route, note=rule.note), RULES))

    def delete_rule(self, rule_id: str) -> None:
        if not rule_id:
            raise InvalidArgument("rule_id is required")
        if len(rule_id) > RULE_ID_MAX_CHARS:  # no rule has such an id
            raise NotFound(f"no triage rule {rule_id[:RULE_ID_MAX_CHARS]}")
        self.settings.county.clear_by_id(rule_id, TRIAGE_ROUTE.key, RULES, missing=f"no triage rule {rule_id}")

    def _concern_in_scope(self, conn, concern_id: str):
        concern = storage.get_concern(conn, concern_id) if concern_id else None
        neighbourhood = self.places.entity(conn, concern.neighbourhood_id) if concern else None
        if concern is None or neighbourhood is None or not auth.in_scope(neighbourhood.scope_path):
            raise NotFound(f"no concern {concern_id[:64]}")
        return concern, neighbourhood

    @staticmethod
    def _origin(neighbourhood: Entity) -> Origin:
        return events.origin(neighbourhood, logs.correlation_id.get())


def _why_not_triageable(concern: domain.Concern) -> str:
    if concern.merged_into:
        return f"this concern was merged into {concern.merged_into}; triage that one"
    return f"this concern was already triaged ({concern.triage.route if concern.triage else concern.status})"
