"""Intake's domain rules: what makes a concern acceptable, and what its arrival tells the other
services. No framework imports here."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters
from services.intake.contract import (
    ADDRESS_MAX_CHARS,
    CHANNELS,
    DESCRIPTION_MAX_CHARS,
    PHOTO_URL_MAX_CHARS,
    PHOTO_URLS_MAX,
    RECEIVED,
    REPORTER_NAME_MAX_CHARS,
    URGENCIES,
)
from services.intake.timeline.domain import TimelineEntry

PLACE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")


@dataclass(frozen=True)
class ReporterContact:
    """Personal data: shown only to those who need it, never logged."""

    name: str
    phone: str



@dataclass(frozen=True)
class Location:
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SubmitConcern:
    neighbourhood_id: str
    channel: str
    category: str
    description: str
    household_id: str = ""
    reporter: ReporterContact | None = None
    correlation_id: str = ""
    idempotency_key: str = ""
    urgency: str = "normal"
    location: Location | None = None
    photo_urls: tuple[str, ...] = ()
    anonymous: bool = False
    building_id: str = ""

    def fingerprint(self) -> str:
        """What makes two submissions the same request (for Idempotency-Key)."""
        reporter = (self.reporter.name, self.reporter.phone) if self.reporter else None
        location = (self.location.address, self.location.latitude, self.location.longitude) if self.location else None
        parts = [self.neighbourhood_id, self.household_id, self.channel, self.category, self.description, reporter,
                 self.urgency, location, list(self.photo_urls), self.anonymous]
        if self.building_id:  # only when given, so keys used before buildings existed still match
            parts.append(self.building_id)
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Triage:
    route: str  # direct or deliberation
    note: str
    rule_id: str  # "" when a person triaged it
    triaged_at: datetime


@dataclass(frozen=True)
class Concern:
    concern_id: str
    neighbourhood_id: str
    household_id: str
    channel: str
    category: str
    description: str
    reporter: ReporterContact | None
    status: str
    received_at: datetime
    urgency: str = "normal"
    location: Location | None = None
    photo_urls: tuple[str, ...] = ()
    anonymous: bool = False
    triage: Triage | None = None
    building_id: str = ""
    merged_into: str = ""
    updated_at: datetime | None = None
    # Filled in answers only, not stored on the row.
    timeline: tuple[TimelineEntry, ...] = ()
    possible_duplicates: tuple[SimilarConcern, ...] = ()


@dataclass(frozen=True)
class ConcernReceived:
    """A concern was recorded (from any channel); its triage, when a rule decided on arrival."""

    concern: Concern


@dataclass(frozen=True)
class SimilarConcern:
    concern_id: str
    similarity: float
    status: str
    received_at: datetime


def receive(cmd: SubmitConcern, *, concern_id: str, received_at: datetime,
            category_is_open: Callable[[str], bool]) -> Concern:
    """Accept a submitted concern, or raise InvalidArgument naming every problem with it."""
    problems = []
    if not PLACE_ID_PATTERN.match(cmd.neighbourhood_id):
        problems.append("neighbourhood_id must be 1-64 letters, digits or _.:-")
    if cmd.household_id and not PLACE_ID_PATTERN.match(cmd.household_id):
        problems.append("household_id must be 1-64 letters, digits or _.:-")
    if cmd.building_id and not PLACE_ID_PATTERN.match(cmd.building_id):
        problems.append("building_id must be 1-64 letters, digits or _.:-")
    if cmd.channel not in CHANNELS:
        problems.append(f"channel must be one of {', '.join(CHANNELS)}")
    description = cmd.description.strip()
    if has_control_characters(cmd.description) or (cmd.reporter and has_control_characters(cmd.reporter.name)):
        problems.append("text must not contain control characters")
    if not description:
        problems.append("description must not be empty")
    elif len(description) > DESCRIPTION_MAX_CHARS:
        problems.append(f"description is longer than {DESCRIPTION_MAX_CHARS} characters")
    if cmd.reporter is not None:
        if len(cmd.reporter.name) > REPORTER_NAME_MAX_CHARS:
            problems.append(f"reporter name is longer than {REPORTER_NAME_MAX_CHARS} characters")
        if cmd.reporter.phone and not PHONE_PATTERN.match(cmd.reporter.phone):
            problems.append("reporter phone must be 5-20 digits, optionally with +, spaces or dashes")
    problems += _detail_problems(cmd)
    if not problems and not category_is_open(cmd.category):
        problems.append(f"category {cmd.category!r} is not one of the county's open categories")
    if problems:
        raise InvalidArgument("; ".join(problems))
    reporter = cmd.reporter if cmd.reporter and (cmd.reporter.name or cmd.reporter.phone) else None
    return Concern(
        concern_id=concern_id,
        neighbourhood_id=cmd.neighbourhood_id,
        household_id=cmd.household_id,
        channel=cmd.channel,
        category=cmd.category,
        description=description,
        reporter=reporter,
        status=RECEIVED,
        received_at=received_at,
        urgency=cmd.urgency,
        location=cmd.location if cmd.location and cmd.location != Location() else None,
        photo_urls=tuple(cmd.photo_urls),
        anonymous=cmd.anonymous,
        building_id=cmd.building_id,
        updated_at=received_at,
    )


def _detail_problems(cmd: SubmitConcern) -> list[str]:
    """Urgency, location and photos: optional, but well-formed when given."""
    problems = []
    if cmd.urgency not in URGENCIES:
        problems.append(f"urgency must be one of {', '.join(URGENCIES)}")
    if cmd.location is not None:
        location = cmd.location
        if len(location.address) > ADDRESS_MAX_CHARS or has_control_characters(location.address):
            problems.append(f"location address must be at most {ADDRESS_MAX_CHARS} characters of plain text")
        latitude, longitude = location.latitude, location.longitude
        if latitude is None or longitude is None:
            if (latitude, longitude) != (None, None):
                problems.append("location needs both latitude and longitude, or neither")
        elif not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            problems.append("location latitude must be within ±90 and longitude within ±180")
    if len(cmd.photo_urls) > PHOTO_URLS_MAX:
        problems.append(f"at most {PHOTO_URLS_MAX} photo URLs")
    if any(not url.startswith("https://") or len(url) > PHOTO_URL_MAX_CHARS or has_control_characters(url)
           or " " in url for url in cmd.photo_urls):
        problems.append(f"photo URLs must be https:// addresses of at most {PHOTO_URL_MAX_CHARS} characters")
    return problems


def masked_phone(phone: str) -> str:
    """Hide all but the last four digits; an 11-digit number keeps its 3-digit prefix too,
    the way Chinese mobile numbers are customarily shown: 138****5678."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) <= 4:
        return "*" * len(digits)
    head = 3 if len(digits) == 11 else 0
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]
