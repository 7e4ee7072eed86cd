"""Concerns and GeoReport service requests, field by field, both ways (no I/O here). What a concern
may show the public, and where an address_id places it, are intake's to decide."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC

from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.open311.catalogue import CHOICES
from services.gateway.open311.formats import Open311Error, w3c_datetime

SERVICE_NOTICE = "已收到。小区党组织将分解流转：一户之事直接办理，公共事务提交议事。"

_ATTRIBUTE = re.compile(r"attribute\[([^\]]*)\](\[\])?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


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
    for key in form:
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


def concern_request_of(submission: Submission) -> intake_pb.SubmitConcernRequest:
    """The SubmitConcern request for a checked submission; intake places it by its address_id."""
    message = intake_pb.SubmitConcernRequest(
        address_id=submission.address_id, channel=concern_pb2.CHANNEL_ONLINE,
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


def request_of(concern: concern_pb2.PublicConcern, service_names: dict[str, str]) -> dict[str, object]:
    """One <request> of GET requests, from intake's PublicConcern, which holds only what the public
    may see (services/intake/public.py): an address and coordinates no finer than the building's,
    from the directory; for an anonymous concern no description, coordinates or photo, and the
    neighbourhood's name for its address."""
    located = concern.HasField("latitude") and concern.HasField("longitude")
    return {
        "service_request_id": concern.concern_id,
        "status": "closed" if concern.closed else "open",
        "status_notes": concern.status_note or None,
        "service_name": service_names.get(concern.category, concern.category),
        "service_code": concern.category,
        "description": concern.description or None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": w3c_datetime(concern.received_at.ToDatetime(tzinfo=UTC)),
        "updated_datetime": w3c_datetime((concern.updated_at if concern.HasField("updated_at")
                                          else concern.received_at).ToDatetime(tzinfo=UTC)),
        "expected_datetime": None,
        "address": concern.address or None,
        "address_id": concern.neighbourhood_id,
        "zipcode": None,
        "lat": concern.latitude if located else None,
        "long": concern.longitude if located else None,
        "media_url": concern.photo_urls[0] if concern.photo_urls else None,
    }
