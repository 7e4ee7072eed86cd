"""What the county government platform hears of a task, by signed webhook
(services/dispatch/platform): every step of an escalated task (提级联办), from the escalation on:
its whistle to departments, their reports, progress, bodies' parts, overdue, resolution and
rework. Each is queued for delivery in the unit of work that records it, so a step and its
delivery commit together or not at all. The same payloads are on lianyi.dispatch.v1 for
platforms that read Kafka."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from google.protobuf import json_format

from servicekit.ids import new_id
from services.dispatch import events
from services.dispatch.contract import ESCALATED
from services.dispatch.platform import storage
from services.dispatch.tasks import domain

# Reminders are for the handler, not the county.
_NOT_FOR_THE_PLATFORM = (domain.TaskReminded,)


def deliver(conn: sa.Connection, event: object, at: datetime) -> None:
    """Queue the event for the platform if it is a step of an escalated task."""
    task = getattr(event, "task", None)
    if not isinstance(task, domain.Task) or task.tier != ESCALATED or isinstance(event, _NOT_FOR_THE_PLATFORM):
        return
    payload = events.payload_of(event)
    if payload is None:
        return
    delivery_id = new_id()
    event_type = payload.DESCRIPTOR.full_name
    body = {"delivery_id": delivery_id, "event_type": event_type, "occurred_at": at.isoformat(),
            "payload": json_format.MessageToDict(payload, preserving_proto_field_name=True)}
    storage.enqueue(conn, delivery_id=delivery_id, task_id=task.task_id,
                    neighbourhood_id=task.place.neighbourhood_id, event_type=event_type, body=body, at=at)
