"""Dispatch's gRPC entrypoint."""
from __future__ import annotations

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from servicekit.auth import ADMINS, NEIGHBOURHOOD_STAFF, allow
from servicekit.grpc_server import Registration
from services.dispatch.handlers import Dispatch


class DispatchServicer(pb_grpc.DispatchServiceServicer):
    def __init__(self, dispatch: Dispatch):
        self.dispatch = dispatch

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS)
    def GetHandlingCandidate(self, request, context):  # noqa: N802 (gRPC naming)
        candidate = self.dispatch.get_candidate(request.concern_id)
        message = pb.HandlingCandidate(
            concern_id=candidate.concern_id,
            neighbourhood_id=candidate.neighbourhood_id,
            household_id=candidate.household_id,
            category=candidate.category,
            route=candidate.route or "",
            merged_into=candidate.merged_into or "",
        )
        message.received_at.FromDatetime(candidate.received_at)
        if candidate.opened_at:
            message.opened_at.FromDatetime(candidate.opened_at)
        return message


def registration(dispatch: Dispatch) -> Registration:
    return Registration(
        service_name="lianyi.dispatch.v1.DispatchService",
        servicer=DispatchServicer(dispatch),
        add=pb_grpc.add_DispatchServiceServicer_to_server,
    )
