"""The panel (群议): which members deliberate a topic. No I/O here.

A panel is 5 to 10 members of the topic's own neighbourhood. The service proposes one that mixes
the member kinds (serving, retired_cadre, floating, ...) and spreads the load: members who sat on
the fewest recent panels come first; the party secretary confirms it or names others.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from servicekit.errors import InvalidArgument
from services.deliberation.contract import PANEL_MAX, PANEL_MIN

# How far back a member's panels count towards their load.
RECENT = timedelta(days=180)


@dataclass(frozen=True)
class Candidate:
    """A member of the neighbourhood, as the panel sees them."""

    member_id: str
    name: str
    member_kind: str
    recent_panels: int = 0


def by_load(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Fewest recent panels first; then by name and id, so the order is stable."""
    return sorted(candidates, key=lambda c: (c.recent_panels, c.name, c.member_id))


def propose(candidates: Sequence[Candidate], size: int = PANEL_MIN) -> list[Candidate]:
    """Up to `size` members: each pick takes the least loaded member of the kind picked least so
    far (ties: the kind whose next member is least loaded), so kinds mix before anyone sits
    twice as often as another of their kind."""
    check_size(size)
    queues: dict[str, list[Candidate]] = {}
    for candidate in by_load(candidates):
        queues.setdefault(candidate.member_kind, []).append(candidate)
    picked: list[Candidate] = []
    taken = dict.fromkeys(queues, 0)
    while len(picked) < size and any(queues.values()):
        kind = min((k for k, queue in queues.items() if queue),
                   key=lambda k: (taken[k], queues[k][0].recent_panels, queues[k][0].name, k))
        picked.append(queues[kind].pop(0))
        taken[kind] += 1
    return picked


def check_size(size: int) -> None:
    if not PANEL_MIN <= size <= PANEL_MAX:
        raise InvalidArgument(f"a panel has {PANEL_MIN} to {PANEL_MAX} members")


def check_bounded(member_ids: Sequence[str]) -> None:
    """Refuse a list far longer than any panel outright (naming each problem in it would mean
    reading the directory for every name)."""
    if len(member_ids) > 2 * PANEL_MAX:
        raise InvalidArgument(f"a panel has {PANEL_MIN} to {PANEL_MAX} members, not {len(member_ids)}")


def check_panel(member_ids: Sequence[str], members: dict[str, Candidate],
                elsewhere: dict[str, tuple[str, str]]) -> list[Candidate]:
    """The panel the secretary named, or InvalidArgument naming every one who may not sit on it.
    `members` are the neighbourhood's members; `elsewhere` is what the directory knows of anyone
    else named: (kind, name), so a member of another neighbourhood is told from a non-member."""
    unique = list(dict.fromkeys(member_ids))
    problems = []
    named = Counter(member_ids)
    twice = [m for m in unique if named[m] > 1]
    if twice:
        known = {**_names(members), **elsewhere}
        problems.append(f"each member sits on the panel once, not twice: {', '.join(_named(m, known) for m in twice)}")
    if not PANEL_MIN <= len(unique) <= PANEL_MAX:
        problems.append(f"a panel has {PANEL_MIN} to {PANEL_MAX} members, not {len(unique)}")
    strangers = [member_id for member_id in unique if member_id not in members]
    other_members = [_named(m, elsewhere) for m in strangers if elsewhere.get(m, ("", ""))[0] == "member"]
    non_members = [_named(m, elsewhere) for m in strangers if elsewhere.get(m, ("", ""))[0] != "member"]
    if other_members:
        problems.append(f"a member of another neighbourhood: {', '.join(other_members)}")
    if non_members:
        problems.append(f"not a party member: {', '.join(non_members)}")
    if problems:
        raise InvalidArgument("; ".join(problems))
    return [members[member_id] for member_id in unique]


def _named(entity_id: str, known: dict[str, tuple[str, str]]) -> str:
    name = known.get(entity_id, ("", ""))[1]
    return f"{name} ({entity_id})" if name else entity_id[:64]


def _names(members: dict[str, Candidate]) -> dict[str, tuple[str, str]]:
    return {member_id: ("member", member.name) for member_id, member in members.items()}
