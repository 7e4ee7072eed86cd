"""What anyone may see of concerns (Open311, public notices): the one place that decides it. Pure
rules; intake's handlers read the concerns and apply these.

No household, no reporter, ever; for a concern raised anonymously not its description, address,
coordinates or photos either, since those can say who raised it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from servicekit.errors import InvalidArgument
from services.intake import contract, domain

# A status in words for the public (zh-CN, as the county's residents read it).
STATUS_LABELS = {
    "received": "已收到", "triaged": "已分解流转", "merged": "已与同一事项合并", "in_deliberation": "议事中",
    "decided": "已形成决议", "in_handling": "办理中", "escalated": "已提级联办", "resolved": "已办结",
    "rated": "已评价", "reopened": "整改中", "archived": "已归档",
    "closed": "未上会, 已关闭",
}


@dataclass(frozen=True)
class PublicConcern:
    """A concern as the public sees it: redacted, placed by words, its status in words."""

    concern: domain.Concern
    neighbourhood_name: str
    address: str
    status_note: str


def statuses_of(states: list[str]) -> list[str] | None:
    """The statuses behind the public open/closed states; None for both."""
    unknown = set(states) - set(contract.PUBLIC_STATES)
    if unknown:
        raise InvalidArgument("status must be open or closed")
    if not states or set(states) == set(contract.PUBLIC_STATES):
        return None
    if set(states) == {"closed"}:
        return sorted(contract.CLOSED_STATUSES)
    return [s for s in contract.STATUSES if s not in contract.CLOSED_STATUSES and s != contract.MERGED]


def redacted(concern: domain.Concern) -> domain.Concern:
    """The concern with everything the public may not see removed."""
    concern = replace(concern, household_id="", reporter=None, timeline=(), possible_duplicates=())
    if concern.anonymous:
        concern = replace(concern, description="", location=None, photo_urls=())
    return concern


def shown(concern: domain.Concern, neighbourhood_name: str, *, status: str | None = None) -> PublicConcern:
    """The concern as the public sees it. A merged one shows its survivor's `status` and says
    where it went; the address is the location's, or the neighbourhood's name when there is none
    to show."""
    public = redacted(replace(concern, status=status or concern.status))
    label = STATUS_LABELS.get(public.status)
    note = (f"merged into {concern.merged_into}" if concern.merged_into
            else f"{label} ({public.status})" if label else public.status)
    address = (public.location.address if public.location else "") or neighbourhood_name
    return PublicConcern(public, neighbourhood_name, address, note)
