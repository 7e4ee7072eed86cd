"""What anyone may see of concerns (Open311, public notices): the one place that decides it. Pure
rules; intake's handlers read the concerns and apply these.

No household, no reporter, ever; for a concern raised anonymously not its description, address,
coordinates or photos either, since those can say who raised it.

Nor, for any concern, a place finer than its building: the address a resident typed and the point
they submitted can name the flat that complained about its neighbour ("幸福小区2号楼101室"), and a
flat cannot be parsed out of free text reliably, so neither is ever shown. The public address is
made from the directory's names (the neighbourhood's, then the building's), and the coordinates
are the directory's: the building's if it has them, else the neighbourhood's, else none.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from servicekit.errors import InvalidArgument
from services.intake import contract, domain, public_text
from services.intake.directory.domain import Entity

# A status in words for the public (zh-CN, as the county's residents read it).
STATUS_LABELS = {
    "received": "已收到", "triaged": "已分解流转", "merged": "已与同一事项合并", "in_deliberation": "议事中",
    "decided": "已形成决议", "in_handling": "办理中", "escalated": "已提级联办", "resolved": "已办结",
    "rated": "已评价", "reopened": "整改中", "archived": "已归档",
    "closed": "未上会, 已关闭",
}


@dataclass(frozen=True)
class Place:
    """A directory place as the public may know it: its name, and its point if the directory has one."""

    name: str
    point: tuple[float, float] | None = None


def place_of(entity: Entity | None) -> Place | None:
    """A neighbourhood or building from the directory, as the public may know it."""
    if entity is None:
        return None
    latitude, longitude = entity.attributes.get("latitude"), entity.attributes.get("longitude")
    located = isinstance(latitude, int | float) and isinstance(longitude, int | float)
    return Place(entity.name, (float(latitude), float(longitude)) if located else None)


@dataclass(frozen=True)
class PublicConcern:
    """A concern as the public sees it: redacted, placed by the directory's words and coordinates
    (never finer than its building), its status in words."""

    concern: domain.Concern
    neighbourhood_name: str
    address: str
    status_note: str
    point: tuple[float, float] | None = None


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
    """The concern with everything the public may not see removed: its submitted location always
    (the typed address and the point can name a flat), and from its description the rooms, floors
    and phone numbers written in it."""
    concern = replace(concern, household_id="", reporter=None, timeline=(), possible_duplicates=(), location=None)
    if concern.anonymous:
        return replace(concern, description="", photo_urls=(), building_id="")
    return replace(concern, description=public_text.masked(concern.description))


def address_of(neighbourhood: Place, building: Place | None) -> str:
    """The neighbourhood's name and the building's ("幸福小区" + "2号楼"), or the neighbourhood's
    alone; a building named with its neighbourhood's name already is not named twice."""
    if building is None:
        return neighbourhood.name
    if building.name.startswith(neighbourhood.name):
        return building.name
    return neighbourhood.name + building.name


def shown(concern: domain.Concern, neighbourhood: Place, building: Place | None = None, *,
          status: str | None = None) -> PublicConcern:
    """The concern as the public sees it. A merged one shows its survivor's `status` and says
    where it went. Where it is comes from the directory, no finer than its `building` (when it
    has one; an anonymous concern shows only its neighbourhood's name, without coordinates)."""
    public = redacted(replace(concern, status=status or concern.status))
    label = STATUS_LABELS.get(public.status)
    note = (f"merged into {concern.merged_into}" if concern.merged_into
            else f"{label} ({public.status})" if label else public.status)
    if public.anonymous or not public.building_id:
        building = None
    address = address_of(neighbourhood, building)
    point = None if public.anonymous else (building.point if building and building.point else neighbourhood.point)
    return PublicConcern(public, neighbourhood.name, address, note, point)
