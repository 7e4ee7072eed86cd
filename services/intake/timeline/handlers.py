"""Keeping each concern's timeline from what deliberation, dispatch and evaluation report."""
from __future__ import annotations

import logging

from servicekit.events import Inbound
from servicekit.ids import looks_like_id
from servicekit.unit_of_work import UnitOfWork
from services.intake import storage
from services.intake.timeline import domain
from services.intake.timeline import storage as timeline

log = logging.getLogger(__name__)


def apply_reports(uow: UnitOfWork, reports: list[Inbound[domain.Progress]]) -> None:
    """Add each report to its concern's timeline and set the concerns' statuses: a few
    statements for the run, whatever its size."""
    merged_into = storage.merged_into_for_update(
        uow.conn, sorted({r.event.concern_id for r in reports if looks_like_id(r.event.concern_id)}))
    steps = []
    for report in reports:
        if report.event.concern_id not in merged_into:
            log.warning("progress for a concern intake does not have", extra={
                "concern_id": report.event.concern_id[:64], "event_id": report.event_id,
                "correlation_id": report.correlation_id})
            continue
        steps.append((report.event.concern_id, domain.reported_step(report.event, report.occurred_at,
                                                                    report.producer), report.event_id))
    added = timeline.add_reported(uow.conn, steps)
    # A merged concern shows its survivor's status, so only those standing alone change.
    changed = sorted({concern_id for concern_id, _, event_id in steps
                      if event_id in added and not merged_into[concern_id]})
    # Downstream reports outrank intake's own steps, so they alone decide the status.
    statuses = []
    for concern_id, reported in timeline.downstream_entries(uow.conn, changed).items():
        statuses.append((concern_id, domain.current_status(reported), max(step.at for step in reported)))
    storage.set_statuses(uow.conn, statuses)
