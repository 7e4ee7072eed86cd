"""Reading intake's events the same way in every service that consumes them: the rules a payload
must meet whoever reads it, written once (each service then takes what it needs)."""
from __future__ import annotations

from lianyi.intake.v1 import events_pb2
from servicekit.errors import UndecodableEvent


def triage_route(payload: events_pb2.ConcernReceived | events_pb2.ConcernTriaged) -> int:
    """The payload's route (an events_pb2.Route): unspecified only on ConcernReceived (no rule
    triaged it on arrival); a value this build does not know is undecodable (to the DLQ)."""
    route = payload.triage.route
    if route not in events_pb2.Route.values() or (route == events_pb2.ROUTE_UNSPECIFIED and
                                                    isinstance(payload, events_pb2.ConcernTriaged)):
        raise UndecodableEvent(f"unknown triage route {route}")
    return route
