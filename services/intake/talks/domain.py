"""Sit-down talks (促膝谈): a session at a venue, its hosts, attendance and opinion log, what makes
one acceptable, and the report to the neighbourhood party organisation. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters
from services.intake.contract import DESCRIPTION_MAX_CHARS, TALK_ATTENDANCE_MAX, TALK_ENTRIES_MAX, TALK_HOSTS_MAX
from services.intake.visits.domain import parse_day

HOST_KINDS = ("member", "volunteer")


@dataclass(frozen=True)
class LogEntry:
    text: str
    category: str = ""
    household_id: str = ""
    becomes_concern: bool = False
    concern_id: str = ""


@dataclass(frozen=True)
class TalkSession:
    session_id: str
    neighbourhood_id: str
    venue_id: str
    held_on: date
    host_ids: tuple[str, ...]
    attendance: int
    entries: tuple[LogEntry, ...]


@dataclass(frozen=True)
class TalkSessionReported:
    """A session's opinion log went to the neighbourhood party organisation."""

    session: TalkSession


def check_session(held_on: str, host_ids: list[str], attendance: int, entries: list[LogEntry], today: date) -> date:
    """The day of a session that may be recorded, or InvalidArgument saying why not."""
    day = parse_day(held_on, "held_on")
    if day > today + timedelta(days=1):
        raise InvalidArgument("held_on is in the future")
    if not 1 <= len(host_ids) <= TALK_HOSTS_MAX:
        raise InvalidArgument(f"a session has 1-{TALK_HOSTS_MAX} hosts")
    if len(set(host_ids)) != len(host_ids):
        raise InvalidArgument("host_ids: name each host once")
    if not 0 <= attendance <= TALK_ATTENDANCE_MAX:
        raise InvalidArgument(f"attendance must be 0-{TALK_ATTENDANCE_MAX}")
    if len(entries) > TALK_ENTRIES_MAX:
        raise InvalidArgument(f"at most {TALK_ENTRIES_MAX} opinion log entries per session")
    for n, entry in enumerate(entries, 1):
        if not entry.text.strip() or len(entry.text) > DESCRIPTION_MAX_CHARS or has_control_characters(entry.text):
            raise InvalidArgument(f"entries[{n}].text must be 1-{DESCRIPTION_MAX_CHARS} characters")
    return day
