"""Deliberation's county settings (servicekit.county_settings): the residents' vote's window,
quorum and threshold, which a township, community or neighbourhood may override."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

from servicekit.county_settings import Definition
from servicekit.settings_store import CountySettings
from services.deliberation.votes.domain import VoteRule

VOTE_WINDOW_DAYS: Definition[int] = Definition(
    key="deliberation.vote.window_days",
    description="How many days residents have to vote whether a published topic is deliberated (议不议).",
    type=Annotated[int, Field(ge=1, le=60)],
    default=7,
)

VOTE_QUORUM: Definition[float] = Definition(
    key="deliberation.vote.quorum",
    description="The share of the neighbourhood's households (in the directory) that must vote for the vote to "
                "count, from 0 to 1: at least this many, e.g. 0.5 is half.",
    type=Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)],
    default=0.5,
)

VOTE_THRESHOLD: Definition[float] = Definition(
    key="deliberation.vote.threshold",
    description="The share of the votes that must be yes for the topic to be deliberated, above 0 and up to 1: "
                "at least this many, e.g. 0.5 is half.",
    type=Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)],
    default=0.5,
)

DEFINITIONS: tuple[Definition[Any], ...] = (VOTE_WINDOW_DAYS, VOTE_QUORUM, VOTE_THRESHOLD)


class DeliberationSettings:
    """Deliberation's settings as its rules read them, for the place with this path."""

    def __init__(self, county: CountySettings):
        self.county = county

    def vote_window(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(days=self.county.value(conn, VOTE_WINDOW_DAYS.key, place_path))

    def vote_rule(self, conn: sa.Connection, place_path: tuple[str, ...]) -> VoteRule:
        return VoteRule(quorum=self.county.value(conn, VOTE_QUORUM.key, place_path),
                        threshold=self.county.value(conn, VOTE_THRESHOLD.key, place_path))
