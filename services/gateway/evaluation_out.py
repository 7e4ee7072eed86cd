"""Evaluation's answers as the API shows them: times as RFC 3339, the rating as its word, and
proto3's empty strings, unspecified enums and unset timestamps as null."""
from __future__ import annotations

from datetime import UTC, datetime

from services.gateway import evaluation_words as words
from services.gateway.evaluation_schemas import MatterOut


def _at(message, field: str) -> datetime | None:
    """A timestamp field, or None when it is unset."""
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def matter_out(matter) -> MatterOut:
    return MatterOut(
        task_id=matter.task_id, neighbourhood_id=matter.neighbourhood_id, decision_id=matter.decision_id or None,
        action_id=matter.action_id or None, concern_ids=list(matter.concern_ids),
        household_ids=list(matter.household_ids), round=matter.round, state=matter.state,
        result=matter.result or None, resolved_at=_at(matter, "resolved_at"), rating_due=_at(matter, "rating_due"),
        rating=words.RATINGS.word(matter.rating), comment=matter.comment or None, rated_at=_at(matter, "rated_at"),
        in_person=matter.in_person, recorded_by=matter.recorded_by or None,
        supervisor_id=matter.supervisor_id or None, supervisor_name=matter.supervisor_name or None,
        reminded_at=_at(matter, "reminded_at"))


def matter_json(matter) -> dict:
    """A matter as a JSON answer."""
    return matter_out(matter).model_dump(mode="json")
