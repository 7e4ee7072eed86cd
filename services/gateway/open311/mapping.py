"""Concerns and GeoReport service requests, field by field, both ways (no I/O here)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timezone

from lianyi.intake.v1 import concern_pb2, intake_service_pb2 as intake_pb
from services.gateway.open311.catalogue import CHOICES
from services.gateway.open311.formats import Open311Error, w3c_datetime
from services.intake.directory.domain import PARENT_KIND

# Shown as status_notes when intake gives no note: the lianyi status, readable, with its code.
STATUS_NOTES = {
    "received": "已收到", "triaged": "已分解流转", "merged": "已与同一事项合并", "in_deliberation": "议事中",
    "decided": "已形成决议", "in_handling": "办理中", "escalated": "已提级联办", "resolved": "已办结",
    "rated": "已评价", "reopened": "整改中", "archived": "已归档",
}
SERVICE_NOTICE = "已收到。小区党组织将分解流转：一户之事直接办理，公共事务提交议事。"

_ATTRIBUTE = re.compile(r"attribute\[([^\]]*)\](\[\])?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _depth(kind: str) -> int:
    parent = PARENT_KIND[kind]
    return 0 if parent is None else 1 + _depth(parent)


# A household's ancestors run county → … → neighbourhood → building; this is the neighbourhood's place.
_NEIGHBOURHOOD_DEPTH = _depth("neighbourhood")


@dataclass(frozen=True)
class Submission:
    """A POSTed service request, checked and in lianyi's terms."""
    service_code: str
    address_id: str
    description: str
    urgency: str = "normal"
    anonymous: bool = False
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    media_url: str = ""


def submission_from_form(form) -> Submission:
    """The form's fields (a werkzeug MultiDict), or Open311Error(400) naming every problem.
    email, device_id and account_id are accepted and deliberately not kept (data minimisation)."""
    def one(name: str) -> str:
        return (form.get(name) or "").strip()

    problems = []
    for name, why in (("service_code", "see services.json"), ("description", "say what the matter is"),
                      ("address_id", "the directory id of the neighbourhood, building or household concerned; "
                                     "lat/long or address_string alone cannot tell whose neighbourhood it is")):
        if not one(name):
            problems.append(f"{name} is required ({why})")
    latitude, longitude = _coordinates(one("lat"), one("long"), problems)
    choices = _attributes(form, problems)
    media_url = one("media_url")
    if media_url and not media_url.startswith("https://"):
        problems.append("media_url must be an https:// address")
    if problems:
        raise Open311Error(400, *problems)
    return Submission(
        service_code=one("service_code"), address_id=one("address_id"), description=one("description"),
        urgency=choices.get("urgency", "normal"), anonymous=choices.get("anonymous") == "true",
        address=one("address_string"), latitude=latitude, longitude=longitude,
        reporter_name=reporter_name(one("first_name"), one("last_name")), reporter_phone=one("phone"),
        media_url=media_url,
    )


def _coordinates(lat: str, long: str, problems: list[str]) -> tuple[float | None, float | None]:
    if not lat and not long:
        return None, None
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        problems.append("lat and long must both be given, as WGS84 decimal degrees")
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        problems.append("lat must be within ±90 and long within ±180")
    return latitude, longitude


def _attributes(form, problems: list[str]) -> dict[str, str]:
    chosen = {}
    for key in form.keys():
        match = _ATTRIBUTE.fullmatch(key)
        if not match:
            continue
        code, values = match.group(1), form.getlist(key)
        if code not in CHOICES:
            problems.append(f"{key} is not an attribute of this service (see its service definition)")
        elif match.group(2) or len(values) != 1 or code in chosen:
            problems.append(f"attribute[{code}] takes exactly one value")
        elif values[0] not in CHOICES[code]:
            problems.append(f"attribute[{code}] must be one of {', '.join(CHOICES[code])}")
        else:
            chosen[code] = values[0]
    return chosen


def reporter_name(first: str, last: str) -> str:
    """first_name and last_name as one name: 姓 then 名 without a space for Chinese names
    (last_name is the family name), "given family" otherwise."""
    if not (first and last):
        return first or last
    return last + first if _CJK.search(first + last) else f"{first} {last}"


@dataclass(frozen=True)
class Place:
    """Where an address_id puts a concern (intake finds a household's building itself)."""

    neighbourhood_id: str
    building_id: str = ""
    household_id: str = ""


def place_of(entity) -> Place:
    """The place an address_id's directory entity names: a neighbourhood, building or household."""
    if entity.kind == "neighbourhood":
        return Place(entity.entity_id)
    if entity.kind in ("building", "household") and len(entity.ancestor_ids) > _NEIGHBOURHOOD_DEPTH:
        neighbourhood_id = entity.ancestor_ids[_NEIGHBOURHOOD_DEPTH]
        if entity.kind == "building":
            return Place(neighbourhood_id, building_id=entity.entity_id)
        return Place(neighbourhood_id, household_id=entity.entity_id)
    raise Open311Error(400, f"address_id {entity.entity_id} is a {entity.kind}; "
                            "it must be a neighbourhood, a building or a household")


def concern_request_of(submission: Submission, place: Place):
    """The SubmitConcern request for a checked submission placed by its address_id."""
    message = intake_pb.SubmitConcernRequest(
        neighbourhood_id=place.neighbourhood_id, building_id=place.building_id, household_id=place.household_id,
        channel=concern_pb2.CHANNEL_ONLINE,
        category=submission.service_code, description=submission.description, urgency=submission.urgency,
        anonymous=submission.anonymous, photo_urls=[submission.media_url] if submission.media_url else [],
    )
    if submission.address or submission.latitude is not None:
        message.location.address = submission.address
        if submission.latitude is not None:
            message.location.latitude, message.location.longitude = submission.latitude, submission.longitude
    if submission.reporter_name or submission.reporter_phone:
        message.reporter.name, message.reporter.phone = submission.reporter_name, submission.reporter_phone
    return message


def request_of(concern, service_names: dict[str, str]) -> dict:
    """One <request> of GET requests, from intake's PublicConcern. For an anonymous concern the
    description, address, coordinates and photos stay hidden even if intake sent them: only the
    neighbourhood is shown."""
    hidden = concern.anonymous
    located = not hidden and concern.HasField("latitude") and concern.HasField("longitude")
    return {
        "service_request_id": concern.concern_id,
        "status": "closed" if concern.closed else "open",
        "status_notes": concern.status_note or _status_note(concern.status),
        "service_name": service_names.get(concern.category, concern.category),
        "service_code": concern.category,
        "description": None if hidden else concern.description or None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": w3c_datetime(concern.received_at.ToDatetime(tzinfo=timezone.utc)),
        "updated_datetime": w3c_datetime((concern.updated_at if concern.HasField("updated_at")
                                          else concern.received_at).ToDatetime(tzinfo=timezone.utc)),
        "expected_datetime": None,
        "address": (None if hidden else concern.address) or concern.neighbourhood_name or None,
        "address_id": concern.neighbourhood_id,
        "zipcode": None,
        "lat": concern.latitude if located else None,
        "long": concern.longitude if located else None,
        "media_url": None if hidden or not concern.photo_urls else concern.photo_urls[0],
    }


def _status_note(status: str) -> str | None:
    if not status:
        return None
    return f"{STATUS_NOTES[status]} ({status})" if status in STATUS_NOTES else status
