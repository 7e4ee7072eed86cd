"""Dispatch's handlers: events in (each run of them in one unit of work), task queries out."""
from __future__ import annotations

from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import ChangedMeanwhile, InvalidArgument, NotFound
from servicekit.events import Inbound
from servicekit.unit_of_work import UnitOfWork
from services.dispatch import domain, storage


class Dispatch:
    def __init__(self, db: Database, replica: DirectoryReplica, clock: Clock):
        self.db, self.replica, self.clock = db, replica, clock

    def take_routed(self, uow: UnitOfWork, arrivals: list[Inbound[domain.ConcernRouted]]) -> None:
        """Every concern gets a task; one routed direct (by a rule on arrival, or by the party
        secretary) opens it, and intake's timeline hears it is in handling."""
        now = self.clock.now()
        # Only tasks that may open need their state; the others are kept if new.
        existing = storage.tasks_to_change(uow.conn, [a.event.concern_id for a in arrivals if a.event.direct])
        new: dict[str, domain.Task] = {}
        for arrival in arrivals:
            concern = arrival.event
            task = existing.get(concern.concern_id) or new.setdefault(
                concern.concern_id, domain.Task.for_concern(concern))
            if concern.direct:
                task.open_for_handling(now, arrival.follow_up)
        kept = storage.add_tasks(uow.conn, new.values())
        if any(task.events and concern_id not in kept for concern_id, task in new.items()):
            # Another consumer created one of these tasks after we looked (a rebalance): opening it
            # from what we saw could report it twice. Failing sends the events back to be applied
            # again, one by one, when the task is there to lock.
            raise ChangedMeanwhile("a task to open was created by another consumer meanwhile")
        storage.save_opened(uow.conn, [task for task in existing.values() if task.events])
        uow.collect(*existing.values(), *new.values())

    def follow_merges(self, uow: UnitOfWork, merges: list[Inbound[domain.ConcernsMerged]]) -> None:
        for merge in merges:
            storage.mark_merged(uow.conn, merge.event.survivor_id, list(merge.event.merged_ids))

    def take_decision(self, uow: UnitOfWork, decisions: list[Inbound[domain.DecisionMade]]) -> None:
        """Keep every action of each decision's plan, in its order, to hand out as tasks. An
        action kept before stays as it was: a decision delivered again changes nothing."""
        now = self.clock.now()
        storage.add_decided_actions(uow.conn, [action for decision in decisions
                                               for action in domain.actions_of(decision.event, now)])

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

    def get_task(self, concern_id: str) -> domain.Task:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        unknown = NotFound(f"dispatch has no concern {concern_id[:64]}")
        with self.db.read() as conn:
            task = storage.get_task(conn, concern_id)
        if task is None:
            raise unknown
        try:
            self.replica.require_visible(task.neighbourhood_id, "concern in neighbourhood")
        except NotFound:
            raise unknown from None  # alike, so the refusal neither confirms it nor names its neighbourhood
        return task
