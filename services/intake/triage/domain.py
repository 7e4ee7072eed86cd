"""Triage (分解流转) rules: which route a concern takes, which routing-table rule applies, and what
triaging and merging tell the other services. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters
from services.intake.contract import MANUAL, ROUTES, RULE_ROUTES, URGENCIES
from services.intake.contract import TRIAGE_NOTE_MAX_CHARS as NOTE_MAX_CHARS
from services.intake.domain import Concern

# The routing table's whole-deployment level, beneath every more specific place.
EVERYWHERE = "*"
# A rule for every category of its place, beneath any rule naming the category.
ANY_CATEGORY = "*"


@dataclass(frozen=True)
class ConcernTriaged:
    """The party secretary sent a concern to direct handling or the deliberation pool."""

    concern: Concern


@dataclass(frozen=True)
class ConcernsMerged:
    """Concerns were merged into a survivor; they follow it from now on."""

    survivor_id: str
    neighbourhood_id: str
    merged_ids: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Rule:
    rule_id: str
    scope_id: str
    category: str
    urgency: str  # "" for either
    route: str
    note: str = ""


__all__ = [
    "ANY_CATEGORY",
    "EVERYWHERE",
    "MANUAL",
    "NOTE_MAX_CHARS",
    "ROUTES",
    "RULE_ROUTES",
    "ConcernTriaged",
    "ConcernsMerged",
    "Rule",
    "check_note",
    "check_route",
    "check_rule",
    "precedence",
    "timeline_note",
]


def check_route(route: str) -> None:
    if route not in ROUTES:
        raise InvalidArgument(f"route must be one of {', '.join(ROUTES)}")


def check_note(note: str) -> None:
    if len(note) > NOTE_MAX_CHARS or has_control_characters(note):
        raise InvalidArgument(f"note must be at most {NOTE_MAX_CHARS} characters of plain text")


def check_rule(rule: Rule) -> None:
    problems = []
    if rule.route not in RULE_ROUTES:
        problems.append(f"route must be one of {', '.join(RULE_ROUTES)}")
    if rule.urgency and rule.urgency not in URGENCIES:
        problems.append(f"urgency must be one of {', '.join(URGENCIES)}, or empty for either")
    if len(rule.note) > NOTE_MAX_CHARS or has_control_characters(rule.note):
        problems.append(f"note must be at most {NOTE_MAX_CHARS} characters of plain text")
    if problems:
        raise InvalidArgument("; ".join(problems))


def precedence(rule_category: str, rule_urgency: str, depth: int, category: str,
               urgency: str) -> tuple[bool, int, bool] | None:
    """How strongly a rule (its category, its urgency or "" for either, set `depth` places below
    everywhere) applies to a concern of this category and urgency; the highest wins, None if it
    does not apply. A rule naming the category beats one for any category; then the most
    specific place wins; then a rule naming the urgency beats one for either."""
    if rule_category not in (category, ANY_CATEGORY) or rule_urgency not in ("", urgency):
        return None
    return rule_category != ANY_CATEGORY, depth, rule_urgency != ""


def timeline_note(route: str, note: str) -> str:
    """How a triage reads in the concern's timeline."""
    return f"{route}: {note}" if note else route
