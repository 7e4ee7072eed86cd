"""Evaluation's handlers: events in (each run of them in one unit of work), figures out."""
from __future__ import annotations

from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from servicekit.events import Inbound
from servicekit.ids import looks_like_id
from servicekit.unit_of_work import UnitOfWork
from services.evaluation import domain, storage
from services.evaluation.domain import IntakeFigures
from services.evaluation.matters import storage as storage_matters


class Evaluation:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def count_received(self, uow: UnitOfWork, received: list[Inbound[domain.ConcernReceived]]) -> None:
        """Count each concern in its neighbourhood's figures: read and written once per
        neighbourhood however many arrived. Exactly-once counting rests on the inbox: this
        runs once per event id."""
        storage_matters.keep_households(uow.conn, [(e.event.concern_id, e.event.household_id or "") for e in received
                                                   if e.event.concern_id])
        for neighbourhood_id, times in domain.by_neighbourhood([event.event for event in received]).items():
            current = storage.get_figures(uow.conn, neighbourhood_id)
            figures = current or IntakeFigures(neighbourhood_id)
            for received_at in times:
                figures = figures.counted(received_at)
            storage.save_figures(uow.conn, figures, existed=current is not None)

    def follow_merges(self, uow: UnitOfWork, merges: list[Inbound[domain.ConcernsMerged]]) -> None:
        """A merged concern's household rates the survivor's matter too."""
        for merge in merges:
            storage_matters.merge(uow.conn, merge.event.survivor_id, list(merge.event.merged_ids))

    def intake_figures(self, neighbourhood_id: str) -> IntakeFigures:
        if not neighbourhood_id:
            raise InvalidArgument("neighbourhood_id is required")
        self.replica.require_visible(neighbourhood_id, "neighbourhood")
        if not looks_like_id(neighbourhood_id):
            return IntakeFigures(neighbourhood_id)  # nothing was ever counted under such an id
        with self.db.read() as conn:
            return storage.get_figures(conn, neighbourhood_id) or IntakeFigures(neighbourhood_id)
