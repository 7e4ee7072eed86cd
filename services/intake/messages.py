"""Translation between intake's domain objects and its protobuf read models (the API)."""
from __future__ import annotations

from lianyi.intake.v1 import concern_pb2
from services.intake.contract import channel_value
from services.intake.domain import Concern, Location, ReporterContact, masked_phone
from services.intake.public import PublicConcern
from services.intake.timeline.domain import is_closed


def reporter_from_proto(message: concern_pb2.ReporterContact, present: bool) -> ReporterContact | None:
    return ReporterContact(message.name, message.phone) if present else None


def location_from_proto(message: concern_pb2.Location, present: bool) -> Location | None:
    if not present:
        return None
    return Location(message.address, message.latitude if message.HasField("latitude") else None,
                    message.longitude if message.HasField("longitude") else None)


def concern_to_proto(concern: Concern, *, with_contact: bool, masked: bool = False) -> concern_pb2.Concern:
    """The concern as a message; contact details only where the reader needs them, and masked
    for readers who may know someone raised it but not how to reach them."""
    message = concern_pb2.Concern(
        concern_id=concern.concern_id,
        neighbourhood_id=concern.neighbourhood_id,
        household_id=concern.household_id,
        channel=channel_value(concern.channel),
        category=concern.category,
        description=concern.description,
        status=concern.status,
        urgency=concern.urgency,
        photo_urls=list(concern.photo_urls),
        anonymous=concern.anonymous,
    )
    message.received_at.FromDatetime(concern.received_at)
    message.updated_at.FromDatetime(concern.updated_at or concern.received_at)
    if concern.triage:
        message.triage.route = concern.triage.route
        message.triage.note = concern.triage.note
        message.triage.rule_id = concern.triage.rule_id
        message.triage.triaged_at.FromDatetime(concern.triage.triaged_at)
    message.merged_into = concern.merged_into
    message.building_id = concern.building_id
    for step in concern.timeline:
        entry = message.timeline.add(status=step.status, note=step.note, source=step.source)
        entry.at.FromDatetime(step.at)
    for similar in concern.possible_duplicates:
        found = message.possible_duplicates.add(concern_id=similar.concern_id, similarity=similar.similarity,
                                                status=similar.status)
        found.received_at.FromDatetime(similar.received_at)
    if concern.location:
        message.location.address = concern.location.address
        if concern.location.latitude is not None:
            message.location.latitude = concern.location.latitude
            message.location.longitude = concern.location.longitude
    if with_contact and concern.reporter:
        message.reporter.name = concern.reporter.name
        message.reporter.phone = masked_phone(concern.reporter.phone) if masked else concern.reporter.phone
    return message


def public_to_proto(shown: PublicConcern) -> concern_pb2.PublicConcern:
    """A concern as the public sees it (already redacted by services.intake.public)."""
    concern = shown.concern
    message = concern_pb2.PublicConcern(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id,
        neighbourhood_name=shown.neighbourhood_name, category=concern.category, status=concern.status,
        closed=is_closed(concern.status), description=concern.description, address=shown.address,
        photo_urls=list(concern.photo_urls), status_note=shown.status_note, anonymous=concern.anonymous,
    )
    if shown.point is not None:  # the directory's, never the submitted point
        message.latitude, message.longitude = shown.point
    message.received_at.FromDatetime(concern.received_at)
    message.updated_at.FromDatetime(concern.updated_at or concern.received_at)
    return message
