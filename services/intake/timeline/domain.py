"""A concern's status: where the matter is, kept from intake's own steps and the downstream
services' reports. The statuses themselves are named in services/intake/contract.py (the same
words as the proto enum lianyi.events.v1.ConcernStatus)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.contract import CLOSED_STATUSES, DOWNSTREAM_STATUSES, MERGED, RECEIVED, TIMELINE_NOTE_MAX_CHARS


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    at: datetime
    note: str
    source: str


@dataclass(frozen=True)
class Progress:
    """A downstream service reports that a concern moved on (ConcernProgressed)."""

    concern_id: str
    status: str
    note: str


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def reported_step(progress: Progress, at: datetime, source: str) -> TimelineEntry:
    """The timeline step a report makes: notes are bounded, sources short."""
    return TimelineEntry(progress.status, at, progress.note[:TIMELINE_NOTE_MAX_CHARS], source[:20])


def current_status(entries: list[TimelineEntry]) -> str:
    """The status is the latest step's; steps reported at the same instant keep their order of
    arrival (entries come oldest first). A downstream report always outranks intake's own
    received and triaged steps: it was caused by them, so it cannot precede them, and a service
    whose clock runs a little behind intake's must not leave a concern in handling "triaged"."""
    downstream = [entry for entry in entries if entry.status in DOWNSTREAM_STATUSES]
    latest = None
    for entry in downstream or entries:
        if entry.status != MERGED and (latest is None or entry.at >= latest.at):
            latest = entry
    return latest.status if latest else RECEIVED


def followed(own: list[TimelineEntry], survivor: list[TimelineEntry], merged_at: datetime) -> list[TimelineEntry]:
    """A merged concern's timeline: its own steps, then the survivor's from the merge on."""
    return own + [entry for entry in survivor if entry.at >= merged_at and entry.status != MERGED]
