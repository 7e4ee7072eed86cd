"""Deliberation's domain (议事), in the glossary's words. No I/O here.

Today deliberation keeps each neighbourhood's pool: the concerns triaged as shared matters,
waiting to be drafted into a monthly topic. Topics, the residents' vote, panels and the joint
meeting's decision will join this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# -- what deliberation hears --------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernRouted:
    """A concern intake received or triaged, and whether its route is the deliberation pool."""

    concern_id: str
    neighbourhood_id: str
    category: str
    description: str
    received_at: datetime
    to_pool: bool


@dataclass(frozen=True)
class ConcernsMerged:
    """Concerns merged into a survivor, which stands for them from now on."""

    survivor_id: str
    merged_ids: tuple[str, ...]


# -- what deliberation says ---------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernPooled:
    """A concern joined its neighbourhood's pool: it is now in deliberation."""

    concern_id: str
    pooled_at: datetime


# -- the pool -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolEntry:
    concern_id: str
    neighbourhood_id: str
    category: str
    description: str
    received_at: datetime
    pooled_at: datetime
    seq: int = 0  # its place in the pool, given when it is stored


def entries_for(routed: list[ConcernRouted], pooled_at: datetime) -> list[PoolEntry]:
    """The pool entries for the concerns routed to the pool, in order. A concern joins once: the
    pool's store keeps the first entry of a concern and reports which ones were new."""
    return [PoolEntry(c.concern_id, c.neighbourhood_id, c.category, c.description, c.received_at, pooled_at)
            for c in routed if c.to_pool]


def joined(routed: list[ConcernRouted], new_ids: set[str], pooled_at: datetime) -> list[tuple[int, ConcernPooled]]:
    """Which of `routed` (by position) joined the pool now, each reported once even if it came
    twice in one batch."""
    pending, reports = set(new_ids), []
    for position, concern in enumerate(routed):
        if concern.to_pool and concern.concern_id in pending:
            pending.discard(concern.concern_id)
            reports.append((position, ConcernPooled(concern.concern_id, pooled_at)))
    return reports
