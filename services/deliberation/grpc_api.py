"""Deliberation's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import deliberation_service_pb2_grpc as pb_grpc
from servicekit.grpc_server import Registration
from services.deliberation.domain import PoolEntry
from services.deliberation.handlers import Deliberation


def _entry(entry: PoolEntry) -> pb.PoolEntry:
    message = pb.PoolEntry(
        concern_id=entry.concern_id,
        neighbourhood_id=entry.neighbourhood_id,
        category=entry.category,
        description=entry.description,
    )
    message.received_at.FromDatetime(entry.received_at)
    message.pooled_at.FromDatetime(entry.pooled_at)
    return message


class DeliberationServicer(pb_grpc.DeliberationServiceServicer):
    def __init__(self, deliberation: Deliberation):
        self.deliberation = deliberation

    def ListPool(self, request, context):
        entries, next_token = self.deliberation.list_pool(
            request.neighbourhood_id, request.page_size, request.page_token
        )
        return pb.ListPoolResponse(entries=[_entry(e) for e in entries], next_page_token=next_token)


def registration(deliberation: Deliberation) -> Registration:
    return Registration(
        service_name="lianyi.deliberation.v1.DeliberationService",
        servicer=DeliberationServicer(deliberation),
        add=pb_grpc.add_DeliberationServiceServicer_to_server,
    )
