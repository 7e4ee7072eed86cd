"""Triage, merging and the routing table: the party secretary's follow-through on concerns."""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from servicekit import auth, logs
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from servicekit.events import Origin
from servicekit.ids import new_id
from servicekit.unit_of_work import UnitsOfWork
from services.intake import contract, domain, events, storage, views
from services.intake.contract import MERGE_MAX
from services.intake.directory.domain import Entity
from services.intake.places import Places
from services.intake.timeline import storage as timeline
from services.intake.timeline.domain import TimelineEntry
from services.intake.triage import domain as rules
from services.intake.triage import storage as routing_table

RULE_ID_MAX_CHARS = 64
RULE_PLACES = ("county", "township", "community", "neighbourhood")  # where rules may be set


class Triage:
    def __init__(self, db: Database, units: UnitsOfWork, places: Places, clock: Clock, audit: AuditLog):
        self.db, self.units, self.places, self.clock, self.audit = db, units, places, clock, audit

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
            return views.suggesting(uow.conn, views.followed(uow.conn, concern))

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
            concern, _ = self._concern_in_scope(conn, concern_id)
            return views.similar_to(conn, concern)

    def rules_for(self, scope_id: str) -> list[rules.Rule]:
        """The rules that apply at a place: set there, above it, or everywhere."""
        with self.db.read() as conn:
            path = self._place_path(conn, scope_id)
            return routing_table.rules_at(conn, [rules.EVERYWHERE, *path])

    def set_rule(self, rule: rules.Rule) -> rules.Rule:
        """Add a rule, or replace the one for the same place, category and urgency."""
        rules.check_rule(rule)
        try:
            return self._set_rule(rule)
        except sa.exc.IntegrityError:
            # The same place, category and urgency set by someone else at this very moment
            # (PostgreSQL; SQLite writes one at a time).
            raise Conflict("this rule was being set by someone else at the same moment; try again") from None

    def _set_rule(self, rule: rules.Rule) -> rules.Rule:
        with self.db.write() as tx:
            self._may_set_rules_at(tx.conn, rule.scope_id)
            if rule.category != rules.ANY_CATEGORY and rule.category not in storage.open_categories(tx.conn):
                raise InvalidArgument(f"category {rule.category!r} is not one of the county's open categories, "
                                      f"nor {rules.ANY_CATEGORY} for any")
            existing = routing_table.find(tx.conn, rule.scope_id, rule.category, rule.urgency)
            rule = replace(rule, rule_id=existing.rule_id if existing else new_id(), note=rule.note.strip())
            routing_table.put(tx.conn, rule, self.clock.now())
            self.audit.record(tx, "triage_rule.set", "triage_rule", rule.rule_id,
                              f"{rule.category}/{rule.urgency or 'any'} -> {rule.route} at {rule.scope_id}")
        self.places.forget_rules()
        return rule

    def delete_rule(self, rule_id: str) -> None:
        if not rule_id:
            raise InvalidArgument("rule_id is required")
        if len(rule_id) > RULE_ID_MAX_CHARS:  # no rule has such an id
            raise NotFound(f"no triage rule {rule_id[:RULE_ID_MAX_CHARS]}")
        with self.db.write() as tx:
            rule = routing_table.get(tx.conn, rule_id)
            if rule is None or not self._sees_rules_at(tx.conn, rule.scope_id):
                raise NotFound(f"no triage rule {rule_id}")
            self._may_set_rules_at(tx.conn, rule.scope_id)
            routing_table.delete(tx.conn, rule_id)
            self.audit.record(tx, "triage_rule.deleted", "triage_rule", rule_id, rule.category)
        self.places.forget_rules()

    def _concern_in_scope(self, conn, concern_id: str):
        concern = storage.get_concern(conn, concern_id) if concern_id else None
        neighbourhood = self.places.entity(conn, concern.neighbourhood_id) if concern else None
        if concern is None or neighbourhood is None or not auth.in_scope(neighbourhood.scope_path):
            raise NotFound(f"no concern {concern_id[:64]}")
        return concern, neighbourhood

    def _place_path(self, conn, scope_id: str) -> tuple[str, ...]:
        if scope_id == rules.EVERYWHERE:
            return ()
        place = self.places.entity(conn, scope_id)
        if place is None or place.kind not in RULE_PLACES or not auth.in_scope(place.scope_path):
            raise NotFound(f"no county, township, community or neighbourhood {scope_id[:64]!r} in your scope")
        return place.scope_path

    def _sees_rules_at(self, conn, scope_id: str) -> bool:
        """Rules a caller is shown (rules_for lists them): set everywhere, at a place in their
        scope, or at a place above it on their own path."""
        if scope_id == rules.EVERYWHERE:
            return True
        place = self.places.entity(conn, scope_id)
        principal = auth.current.get()
        return place is not None and place.kind in RULE_PLACES and (
            auth.in_scope(place.scope_path) or (principal is not None and place.entity_id in principal.scope))

    def _may_set_rules_at(self, conn, scope_id: str) -> None:
        """A party secretary sets their neighbourhood's rules; an administrator those of their
        subtree; the whole deployment's defaults only a county administrator. A rule the caller
        can see but may not change (everywhere, or above their scope) is refused as forbidden;
        one at a place they cannot see is not found."""
        principal = auth.current.get()
        if scope_id == rules.EVERYWHERE:
            if principal is not None and principal.role != "county_admin":
                raise PermissionDenied("only a county administrator sets or removes rules for everywhere (*)")
            return
        try:
            self._place_path(conn, scope_id)
        except NotFound:
            if self._sees_rules_at(conn, scope_id):
                raise PermissionDenied("rules above your scope are set by the administrators there") from None
            raise


    @staticmethod
    def _origin(neighbourhood: Entity) -> Origin:
        return events.origin(neighbourhood, logs.correlation_id.get())


def _why_not_triageable(concern: domain.Concern) -> str:
    if concern.merged_into:
        return f"this concern was merged into {concern.merged_into}; triage that one"
    return f"this concern was already triaged ({concern.triage.route if concern.triage else concern.status})"
