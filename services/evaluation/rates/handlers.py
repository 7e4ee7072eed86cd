"""The rates' facts in, one unit of work per run of events: each fact is added to its task's facts
and the change in the task's contribution is added to the cells (services/evaluation/rates/domain.py
holds every rule). And the rebuild: every cell again from the facts alone."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import NotFound
from servicekit.events import Inbound
from servicekit.unit_of_work import UnitOfWork
from services.evaluation.matters.domain import Resolution
from services.evaluation.rates import domain, storage
from services.evaluation.rates.domain import CellKey, Tally


class RateFacts:
    def __init__(self, replica: DirectoryReplica):
        self.replica = replica

    def learn(self, uow: UnitOfWork, arrivals: list[Inbound[domain.Fact | None]]) -> None:
        """Each fact in arrival order; an event that says nothing to the rates (None), or a fact
        that changes nothing, writes nothing."""
        for arrival in arrivals:
            fact = arrival.event
            if fact is None:
                continue
            before = storage.load(uow.conn, fact.task_id)
            place: tuple[str, ...] = ()
            if isinstance(fact, domain.Opened):
                found = self.replica.place_of(uow.conn, fact.neighbourhood_id, arrival.place)
                if found is None:  # as matters do: it waits in the DLQ for the directory to know it
                    raise NotFound(f"neighbourhood {fact.neighbourhood_id[:64]} is not in the directory replica")
                place = found.path
            after = domain.learn(before, fact, arrival.occurred_at, place)
            if after == before:
                continue
            storage.save(uow.conn, before, after)
            storage.add_to_cells(uow.conn, domain.change(before, after))

    def resolved(self, uow: UnitOfWork, resolutions: list[Inbound[Resolution]]) -> None:
        """TaskResolved as matters read it, in the rates' words (matters count rounds from 1)."""
        self.learn(uow, [_as(arrival, domain.Resolved(arrival.event.task_id, arrival.event.round - 1,
                                                      arrival.event.resolved_at))
                         for arrival in resolutions])


def _as(arrival: Inbound[Resolution], fact: domain.Fact) -> Inbound[domain.Fact | None]:
    return Inbound(event=fact, event_id=arrival.event_id, occurred_at=arrival.occurred_at, producer=arrival.producer,
                   place=arrival.place, correlation_id=arrival.correlation_id)


def rebuild(db: Database, progress: Callable[[int], None] | None = None) -> int:
    """Every cell again from the stored facts, in one transaction (facts held still meanwhile);
    returns how many tasks were read. Tasks are summed per leaf (place, handler, month) first and
    the leaves spread after: the same cells as spreading each task (domain.spread is linear),
    for a fraction of the additions."""
    leaves: dict[domain.Leaf, Tally] = {}
    cells: dict[CellKey, Tally] = {}
    tasks = 0
    with db.write() as tx:
        storage.hold_facts(tx.conn)
        storage.clear_cells(tx.conn)
        for facts in storage.every_task(tx.conn):
            tasks += 1
            if progress is not None and tasks % 100_000 == 0:
                progress(tasks)
            found = domain.own_tally(facts)
            if found is None:
                continue
            leaf, tally = found
            _add(leaves, leaf, tally)
            if facts.departments:
                for key, own in domain.department_cells(facts, leaf, tally).items():
                    _add(cells, key, own)
        for leaf, tally in leaves.items():
            for key, spread in domain.spread(leaf, tally).items():
                _add(cells, key, spread)
        storage.insert_cells(tx.conn, cells)
    return tasks


def _add(sums: dict[Any, Tally], key: Any, tally: Tally) -> None:
    found = sums.get(key)
    if found is None:
        sums[key] = found = Tally()
    found.add(tally)
