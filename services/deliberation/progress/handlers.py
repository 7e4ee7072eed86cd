"""A decision's progress, kept from dispatch's and evaluation's events (each run of them in one
unit of work). Reports on tasks that hand out no decision's action are not deliberation's."""
from __future__ import annotations

from servicekit.events import Inbound
from servicekit.unit_of_work import UnitOfWork
from services.deliberation.progress import domain, storage


class Progress:
    def resolved(self, uow: UnitOfWork, reports: list[Inbound[domain.ActionResolved]]) -> None:
        mine = [r for r in reports if r.event.action_id]
        storage.ensure(uow.conn, [(r.event.decision_id, r.event.action_id) for r in mine])
        for report in mine:
            storage.resolved(uow.conn, report.event.action_id, report.event.resolved_at, report.event.on_time,
                             report.occurred_at)

    def reopened(self, uow: UnitOfWork, reports: list[Inbound[domain.ActionReopened]]) -> None:
        mine = [r for r in reports if r.event.action_id]
        storage.ensure(uow.conn, [(r.event.decision_id, r.event.action_id) for r in mine])
        for report in mine:
            storage.reopened(uow.conn, report.event.action_id, report.event.round, report.occurred_at)

    def rated(self, uow: UnitOfWork, ratings: list[Inbound[domain.ActionRated]]) -> None:
        mine = [r for r in ratings if r.event.action_id]
        storage.ensure(uow.conn, [(r.event.decision_id, r.event.action_id) for r in mine])
        for rating in mine:
            storage.rated(uow.conn, rating.event.action_id, rating.event.rating, rating.event.rated_at)
