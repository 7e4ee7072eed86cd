"""Housekeeping: delete published outbox rows and old inbox rows after their retention.

`python -m services.<name> prune`, run by a CronJob per service. Rows go in batches of
`prune_batch_size`, each batch its own short transaction, so writers of the same hot tables (every
unit of work inserts into both) wait for one small batch at most, never for the whole prune.
An outbox row not yet published is never deleted, however old: it is an event still owed to the
others. Running it again, or twice at once, is harmless: a batch deletes only rows that still
match, and a row is gone once.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from servicekit import metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import Database
from servicekit.messaging_schema import inbox, outbox

log = logging.getLogger(__name__)

# Between batches: on SQLite (one writer) the service's own writers get the lock in between.
PAUSE_S = 0.02


@dataclass(frozen=True)
class Pruned:
    outbox: int
    inbox: int


def prune(db: Database, settings: RuntimeSettings, clock: Clock, pause_s: float = PAUSE_S) -> Pruned:
    """Delete outbox rows published before the outbox retention and inbox rows applied before the
    inbox retention; returns how many of each went."""
    now = clock.now()
    # By id (the primary key), oldest first: published rows are in id order near enough that a
    # batch is found at the front of the table, without an index on published_at.
    published = (sa.select(outbox.c.id)
                 .where(outbox.c.published_at.is_not(None),
                        outbox.c.published_at < now - timedelta(hours=settings.outbox_retention_h))
                 .order_by(outbox.c.id))
    applied = (sa.select(inbox.c.event_id)  # by ix_inbox_applied_at
               .where(inbox.c.applied_at < now - timedelta(days=settings.inbox_retention_days))
               .order_by(inbox.c.applied_at))
    return Pruned(
        outbox=_delete_in_batches(db, outbox, outbox.c.id, published, settings.prune_batch_size, pause_s),
        inbox=_delete_in_batches(db, inbox, inbox.c.event_id, applied, settings.prune_batch_size, pause_s),
    )


def _delete_in_batches(db: Database, table: sa.Table, key: sa.Column[object], due: sa.Select[tuple[object]],
                       batch_size: int, pause_s: float) -> int:
    # One batch: the keys of the first `batch_size` rows due, deleted by key.
    statement = table.delete().where(key.in_(due.limit(batch_size).scalar_subquery()))
    total = 0
    pause = threading.Event()
    while True:
        with db.write() as tx:
            deleted = tx.conn.execute(statement).rowcount
        total += deleted
        if deleted < batch_size:
            return total
        pause.wait(pause_s)


def run(service: str, settings: RuntimeSettings, db: Database, clock: Clock) -> Pruned:
    """The prune command's work: prune, then report the counts in the log and the metrics."""
    pruned = prune(db, settings, clock)
    metrics.rows_pruned.labels(service, "outbox").inc(pruned.outbox)
    metrics.rows_pruned.labels(service, "inbox").inc(pruned.inbox)
    metrics.job_last_success.labels(service, "prune").set(clock.now().timestamp())
    log.info("%s pruned %d published outbox rows (older than %gh) and %d inbox rows (older than %g days)",
             service, pruned.outbox, settings.outbox_retention_h, pruned.inbox, settings.inbox_retention_days,
             extra={"outbox_rows_pruned": pruned.outbox, "inbox_rows_pruned": pruned.inbox})
    metrics.push_jobs(settings.pushgateway, service, "prune")
    return pruned

