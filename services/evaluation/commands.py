"""Evaluation's commands beside serve and migrate (`python -m services.evaluation <command>`)."""
from __future__ import annotations

import logging
import time

from servicekit.config import ServiceSettings
from servicekit.database import Database
from services.evaluation.rates import handlers as rates

log = logging.getLogger(__name__)


def rebuild_aggregates(settings: ServiceSettings, argument: str) -> int:
    """Every aggregate kept from events again from the stored facts alone: the three rates' cells.
    Safe while the service runs (consumers wait for it on PostgreSQL; SQLite has one writer)."""
    if argument:
        raise SystemExit("rebuild-aggregates takes no argument")
    db = Database(settings.database_url)
    try:
        started = time.monotonic()
        tasks = rates.rebuild(db, lambda done: log.info("rates: %d tasks read", done))
        log.info("rates rebuilt from %d tasks in %.1f s", tasks, time.monotonic() - started)
    finally:
        db.dispose()
    return 0


COMMANDS = {"rebuild-aggregates": rebuild_aggregates}
