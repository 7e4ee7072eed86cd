"""Intake's county settings (servicekit.county_settings), and how its rules read them: the routing
table that triages concerns on arrival, and how far back possible duplicates are looked for."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from servicekit.county_settings import Case, Definition, Qualifier, StoredValue
from servicekit.errors import InvalidArgument
from servicekit.settings_access import Wording
from servicekit.settings_store import CountySettings
from servicekit.text import has_control_characters
from services.intake import similarity, storage
from services.intake.contract import RULE_ROUTES, TRIAGE_NOTE_MAX_CHARS, URGENCIES
from services.intake.directory.domain import Entity
from services.intake.triage.domain import ANY_CATEGORY, Rule, precedence

CATEGORY_MAX_CHARS = 50
# How the routing table's refusals name what is set.
RULES = Wording("rule", "rules")


class TriageRoute(BaseModel):
    """What a routing-table rule does with a concern: its route, and the note its triage carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: Literal[RULE_ROUTES]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=TRIAGE_NOTE_MAX_CHARS)] = ""

    @field_validator("note")
    @classmethod
    def _plain_text(cls, note: str) -> str:
        if has_control_characters(note):
            raise ValueError("must be plain text")
        return note


def _triage_qualifier(text: str) -> str:
    """"category" or "category/urgency" ("*" for any category), canonical: "noise/" is "noise"."""
    category, _, urgency = text.partition("/")
    if not category or len(category) > CATEGORY_MAX_CHARS or "/" in urgency or has_control_characters(text):
        raise ValueError(f"a category (or {ANY_CATEGORY} for any), then optionally /urgent or /normal, "
                         "e.g. noise/urgent")
    if urgency and urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, or left out for either")
    return f"{category}/{urgency}" if urgency else category


def _triage_rank(qualifier: str, depth: int, case: Case) -> tuple[bool, int, bool] | None:
    category, _, urgency = qualifier.partition("/")
    return precedence(category, urgency, depth, case.get("category", ""), case.get("urgency", ""))


def not_an_open_category(category: str) -> InvalidArgument:
    return InvalidArgument(f"category {category!r} is not one of the county's open categories, "
                           f"nor {ANY_CATEGORY} for any")


def _category_is_open(conn: sa.Connection, qualifier: str, value: TriageRoute) -> None:
    category = qualifier.partition("/")[0]
    if category != ANY_CATEGORY and category not in storage.open_categories(conn):
        raise not_an_open_category(category)


TRIAGE_ROUTE: Definition[TriageRoute] = Definition(
    key="intake.triage.route",
    description="The routing table: how a concern is triaged on arrival. A rule naming the concern's category "
                "beats one for any category (*), then the most specific place wins, then a rule naming the "
                "urgency. Route direct or deliberation triages it; manual (the default) leaves it to the "
                "party secretary.",
    type=TriageRoute,
    default=TriageRoute(route="manual"),
    qualifier=Qualifier(
        description="category or category/urgency: a category code or * for any, and optionally urgent or normal",
        normalise=_triage_qualifier, rank=_triage_rank),
    check=_category_is_open,
)

DUPLICATES_WINDOW_DAYS: Definition[int] = Definition(
    key="intake.duplicates.window_days",
    description="How many days back possible duplicates of a concern are looked for (same neighbourhood and "
                "category, descriptions alike).",
    type=Annotated[int, Field(ge=1, le=365)],
    default=similarity.WINDOW.days,
)

DEFINITIONS: tuple[Definition[Any], ...] = (TRIAGE_ROUTE, DUPLICATES_WINDOW_DAYS)


def rule_of(stored: StoredValue[TriageRoute]) -> Rule:
    """A routing-table rule as triage knows it: its id is the setting value's."""
    category, _, urgency = stored.qualifier.partition("/")
    return Rule(stored.setting_id, stored.scope_id, category, urgency, stored.value.route, stored.value.note)


def qualifier_of(rule: Rule) -> str:
    return f"{rule.category}/{rule.urgency}" if rule.urgency else rule.category


class IntakeSettings:
    """Intake's settings as its rules read them, through the settings cache (`county` is the
    mechanism itself: the gRPC service, writes, the listener)."""

    def __init__(self, county: CountySettings):
        self.county = county

    def triage_rule(self, conn: sa.Connection, place_path: tuple[str, ...], category: str,
                    urgency: str) -> Rule | None:
        """The routing-table rule that decides a concern's route at the place with this path."""
        found = self.county.deciding(conn, TRIAGE_ROUTE.key, place_path, {"category": category, "urgency": urgency})
        return rule_of(found) if found is not None else None

    def duplicates_window(self, conn: sa.Connection, neighbourhood: Entity | None) -> timedelta:
        """How far back possible duplicates are looked for in this neighbourhood."""
        path = neighbourhood.scope_path if neighbourhood is not None else ()
        return timedelta(days=self.county.value(conn, DUPLICATES_WINDOW_DAYS.key, path))
