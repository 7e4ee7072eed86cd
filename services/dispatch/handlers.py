"""Dispatch's handlers for what it hears: concerns (a direct one opens its task), merges, and
decisions (each action opens its task), each run of events in one unit of work. Tasks' own
commands are in services/dispatch/tasks/handlers.py."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import ChangedMeanwhile, InvalidArgument, NotFound
from servicekit.events import Inbound, Place
from servicekit.unit_of_work import UnitOfWork
from services.dispatch import domain, storage
from services.dispatch.tasks.handlers import Tasks


class Dispatch:
    def __init__(self, db: Database, replica: DirectoryReplica, clock: Clock, tasks: Tasks):
        self.db, self.replica, self.clock, self.tasks = db, replica, clock, tasks

    def _place(self, conn: sa.Connection, neighbourhood_id: str, said: Place) -> Place:
        """Where a neighbourhood is (servicekit.directory_replica.place_of); one the replica has
        not heard of yet is retried."""
        place = self.replica.place_of(conn, neighbourhood_id, said)
        if place is None:
            raise ChangedMeanwhile(f"neighbourhood {neighbourhood_id[:64]} is not in the directory replica yet")
        return place

    def take_routed(self, uow: UnitOfWork, arrivals: list[Inbound[domain.ConcernRouted]]) -> None:
        """Every concern is kept; one routed direct (by a rule on arrival, or by the party
        secretary) opens its task, once."""
        now = self.clock.now()
        # Only concerns that may open need their state; the others are kept if new.
        existing = storage.concerns_to_change(uow.conn, [a.event.concern_id for a in arrivals if a.event.direct])
        new: dict[str, domain.Concern] = {}
        opening: list[tuple[domain.Concern, Inbound[domain.ConcernRouted]]] = []
        for arrival in arrivals:
            routed = arrival.event
            concern = existing.get(routed.concern_id) or new.setdefault(routed.concern_id, domain.Concern.of(routed))
            if routed.direct and concern.route_direct(now):
                opening.append((concern, arrival))
        kept = storage.add_concerns(uow.conn, new.values())
        if any(concern.concern_id not in kept and concern.concern_id in new for concern, _ in opening):
            # Another consumer kept one of these concerns after we looked (a rebalance): opening
            # it from what we saw could open it twice. Failing sends the events back to be applied
            # again, one by one, when the concern is there to lock.
            raise ChangedMeanwhile("a concern to open was kept by another consumer meanwhile")
        storage.save_routed(uow.conn, [concern for concern, _ in opening if concern.concern_id in existing])
        for concern, arrival in opening:
            place = self._place(uow.conn, concern.neighbourhood_id, arrival.place)
            self.tasks.open_for_concern(uow, concern, place, arrival.follow_up)

    def follow_merges(self, uow: UnitOfWork, merges: list[Inbound[domain.ConcernsMerged]]) -> None:
        for merge in merges:
            storage.mark_merged(uow.conn, merge.event.survivor_id, list(merge.event.merged_ids))

    def take_decision(self, uow: UnitOfWork, decisions: list[Inbound[domain.DecisionMade]]) -> None:
        """Keep every action of each decision's plan, in its order, and open its task. An action
        kept before stays as it was: a decision delivered again changes nothing."""
        now = self.clock.now()
        for decision in decisions:
            actions = domain.actions_of(decision.event, now)
            new = storage.add_decided_actions(uow.conn, actions)
            place = self._place(uow.conn, decision.event.neighbourhood_id, decision.place)
            for action in actions:
                if action.action_id in new:
                    self.tasks.open_for_action(uow, action, place, decision.follow_up)

    def list_decided_actions(self, decision_id: str) -> list[domain.DecidedAction]:
        """A decision's actions in its plan's order; NotFound for a decision dispatch has not heard
        of, or whose neighbourhood lies outside the caller's scope (alike, so neither says it exists)."""
        if not decision_id:
            raise InvalidArgument("decision_id is required")
        unknown = NotFound(f"dispatch has no decision {decision_id[:64]}")
        with self.db.read() as conn:
            actions = storage.decided_actions_of(conn, decision_id)
        if not actions:
            raise unknown
        try:
            self.replica.require_visible(actions[0].neighbourhood_id, "decision in neighbourhood")
        except NotFound:
            raise unknown from None  # the refusal names no neighbourhood
        return actions

    def concern(self, concern_id: str) -> domain.Concern:
        """A concern as dispatch keeps it, for a caller who may see it (its task, if it has one,
        is the tasks' to show)."""
        unknown = NotFound(f"dispatch has no concern {concern_id[:64]}")
        with self.db.read() as conn:
            concern = storage.get_concern(conn, concern_id)
        if concern is None:
            raise unknown
        try:
            self.replica.require_visible(concern.neighbourhood_id, "concern in neighbourhood")
        except NotFound:
            raise unknown from None  # alike, so the refusal neither confirms it nor names its neighbourhood
        return concern
