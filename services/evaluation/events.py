"""Evaluation's events in: other services' payloads in evaluation's words. It publishes nothing of
its own yet. The only place here that knows protobuf event types."""
from __future__ import annotations

from datetime import UTC

from lianyi.intake.v1 import events_pb2
from services.evaluation import domain


def concern_received(payload: events_pb2.ConcernReceived) -> domain.ConcernReceived:
    return domain.ConcernReceived(payload.concern.neighbourhood_id,
                                  payload.concern.received_at.ToDatetime(tzinfo=UTC))

