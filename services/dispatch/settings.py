"""Dispatch's county settings (servicekit.county_settings), and how its rules read them: the
routing table (category × urgency → tier and deadline class), how long each deadline class is,
when handlers are reminded, how long departments have to report in, and whether overdue tasks go
up a tier. A township, community or neighbourhood may override each.

Where the county has set no route, the mechanism's own table below applies: the matters it names
for joint handling (serious disputes, emergencies, blocked hallways, noise) and for escalation
(illegal construction, occupied green space), and an urgent concern's emergency deadline.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from servicekit.county_settings import Case, Definition, Qualifier
from servicekit.settings_store import CountySettings
from servicekit.text import has_control_characters
from services.dispatch.contract import ESCALATED, INDIVIDUAL, JOINT, TIERS
from services.dispatch.tasks.domain import Route

ANY_CATEGORY = "*"
CATEGORY_MAX_CHARS = 50
URGENCIES = ("normal", "urgent")
DeadlineClass = Literal["emergency", "utilities", "general", "complex"]


class RoutingRule(BaseModel):
    """What the routing table does with a matter: its tier, and which deadline it has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Literal[TIERS]  # type: ignore[valid-type]
    deadline: DeadlineClass


class Deadlines(BaseModel):
    """How many hours each deadline class gives (emergency 2 hours, utilities 24 hours, general
    7 days, complex 15 days by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    emergency: Annotated[int, Field(ge=1, le=24 * 90)] = 2
    utilities: Annotated[int, Field(ge=1, le=24 * 90)] = 24
    general: Annotated[int, Field(ge=1, le=24 * 90)] = 24 * 7
    complex: Annotated[int, Field(ge=1, le=24 * 90)] = 24 * 15

    def hours(self, deadline: str) -> int:
        return int(getattr(self, deadline))


# The mechanism's table, used where the county has set no route for a category.
MECHANISM_ROUTES: dict[str, RoutingRule] = {
    "neighbour_relations": RoutingRule(tier=JOINT, deadline="general"),
    "noise": RoutingRule(tier=JOINT, deadline="general"),
    "blocked_hallway": RoutingRule(tier=JOINT, deadline="general"),
    "safety": RoutingRule(tier=JOINT, deadline="emergency"),
    "property_management": RoutingRule(tier=INDIVIDUAL, deadline="utilities"),
    "illegal_construction": RoutingRule(tier=ESCALATED, deadline="complex"),
    "occupied_green_space": RoutingRule(tier=ESCALATED, deadline="complex"),
}
GENERAL = RoutingRule(tier=INDIVIDUAL, deadline="general")


def _routing_qualifier(text: str) -> str:
    """"category" or "category/urgency" ("*" for any category), canonical: "noise/" is "noise"."""
    category, _, urgency = text.partition("/")
    if not category or len(category) > CATEGORY_MAX_CHARS or "/" in urgency or has_control_characters(text):
        raise ValueError(f"a category (or {ANY_CATEGORY} for any), then optionally /urgent or /normal, "
                         "e.g. noise/urgent")
    if urgency and urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, or left out for either")
    return f"{category}/{urgency}" if urgency else category


def _routing_rank(qualifier: str, depth: int, case: Case) -> tuple[bool, int, bool] | None:
    """As the triage table ranks: a rule naming the category beats one for any; then the most
    specific place; then a rule naming the urgency."""
    category, _, urgency = qualifier.partition("/")
    if category not in (case.get("category", ""), ANY_CATEGORY) or urgency not in ("", case.get("urgency", "")):
        return None
    return category != ANY_CATEGORY, depth, urgency != ""


ROUTING: Definition[RoutingRule] = Definition(
    key="dispatch.routing",
    description="The routing table: which tier handles a matter (individual, joint, escalated) and its deadline "
                "class (emergency, utilities, general, complex). A rule naming the category beats one for any "
                "category (*), then the most specific place wins, then a rule naming the urgency. For a category "
                "no rule names, the mechanism's table applies (it names categories, so a * rule does not undo it): "
                "neighbour relations, noise and blocked hallways joint; safety joint with an emergency deadline; "
                "illegal construction and occupied green space escalated (complex); property management individual (utilities); "
                "anything else individual (general); an urgent matter's deadline is an emergency's.",
    type=RoutingRule,
    default=GENERAL,
    qualifier=Qualifier(
        description="category or category/urgency: a category code or * for any, and optionally urgent or normal",
        normalise=_routing_qualifier, rank=_routing_rank),
)

DEADLINES: Definition[Deadlines] = Definition(
    key="dispatch.deadlines",
    description="Hours each deadline class gives a task: emergency, utilities, general, complex.",
    type=Deadlines,
    default=Deadlines(),
)

REMINDER_HOURS: Definition[int] = Definition(
    key="dispatch.reminder.hours_before",
    description="How many hours before its deadline a task's handler is reminded (at most half the task's time).",
    type=Annotated[int, Field(ge=1, le=24 * 30)],
    default=24,
)

REPORT_IN_HOURS: Definition[int] = Definition(
    key="dispatch.report_in.hours",
    description="How many hours a county department has to report in (报到) after the township's whistle (吹哨).",
    type=Annotated[int, Field(ge=1, le=24 * 30)],
    default=24,
)

OVERDUE_ESCALATES: Definition[bool] = Definition(
    key="dispatch.overdue.escalates",
    description="Whether a task still unresolved at its deadline goes up one tier (individual → joint → escalated).",
    type=bool,
    default=False,
)

DEFINITIONS: tuple[Definition[Any], ...] = (ROUTING, DEADLINES, REMINDER_HOURS, REPORT_IN_HOURS, OVERDUE_ESCALATES)


class DispatchSettings:
    """Dispatch's settings as its rules read them, for the place with this path."""

    def __init__(self, county: CountySettings):
        self.county = county

    def route(self, conn: sa.Connection, place_path: tuple[str, ...], category: str, urgency: str,
              tier: str = "") -> Route:
        """How a matter of this category and urgency is handled at the place; `tier`, where a
        decision suggested one, stands over the table's."""
        deciding = self.county.deciding(conn, ROUTING.key, place_path, {"category": category, "urgency": urgency})
        # The mechanism's table names categories, and a rule naming the category beats one for
        # any (*), wherever that is set: a county's "*" rule does not undo it.
        named = deciding is not None and deciding.qualifier.partition("/")[0] != ANY_CATEGORY
        if deciding is not None and (named or category not in MECHANISM_ROUTES):
            rule = deciding.value
        else:
            rule = MECHANISM_ROUTES.get(category, GENERAL)
            if urgency == "urgent":
                rule = RoutingRule(tier=rule.tier, deadline="emergency")
        deadlines: Deadlines = self.county.value(conn, DEADLINES.key, place_path)
        return Route(tier or rule.tier, timedelta(hours=deadlines.hours(rule.deadline)))

    def reminder_before(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(hours=self.county.value(conn, REMINDER_HOURS.key, place_path))

    def report_in_within(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(hours=self.county.value(conn, REPORT_IN_HOURS.key, place_path))

    def overdue_escalates(self, conn: sa.Connection, place_path: tuple[str, ...]) -> bool:
        return bool(self.county.value(conn, OVERDUE_ESCALATES.key, place_path))
