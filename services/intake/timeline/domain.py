"""A concern's status: where the matter is, kept from intake's own steps and the downstream
services' ConcernProgressed events. The one place that says which statuses exist and which of
them count as closed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Intake's own steps.
RECEIVED, TRIAGED, MERGED = "received", "triaged", "merged"
# What deliberation, dispatch and evaluation report, in the order a matter usually goes.
DOWNSTREAM = ("in_deliberation", "decided", "in_handling", "escalated", "resolved", "rated", "reopened", "archived")
STATUSES = (RECEIVED, TRIAGED, MERGED, *DOWNSTREAM)
# Open311 and the public see open or closed; a reopened matter is open again.
CLOSED = frozenset(("resolved", "rated", "archived"))
NOTE_MAX_CHARS = 500


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    at: datetime
    note: str
    source: str


def is_closed(status: str) -> bool:
    return status in CLOSED


def current_status(entries: list[TimelineEntry]) -> str:
    """The status is the latest step's; steps reported at the same instant keep their order of
    arrival (entries come oldest first). A downstream report always outranks intake's own
    received and triaged steps: it was caused by them, so it cannot precede them, and a service
    whose clock runs a little behind intake's must not leave a concern in handling "triaged"."""
    downstream = [entry for entry in entries if entry.status in DOWNSTREAM]
    latest = None
    for entry in downstream or entries:
        if entry.status != MERGED and (latest is None or entry.at >= latest.at):
            latest = entry
    return latest.status if latest else RECEIVED


def followed(own: list[TimelineEntry], survivor: list[TimelineEntry], merged_at: datetime) -> list[TimelineEntry]:
    """A merged concern's timeline: its own steps, then the survivor's from the merge on."""
    return own + [entry for entry in survivor if entry.at >= merged_at and entry.status != MERGED]
