"""Evaluation's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import evaluation_service_pb2_grpc as pb_grpc
from servicekit.grpc_server import Registration
from services.evaluation.handlers import Evaluation


class EvaluationServicer(pb_grpc.EvaluationServiceServicer):
    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation

    def GetIntakeFigures(self, request: pb.GetIntakeFiguresRequest, context: object) -> pb.IntakeFigures:
        figures = self.evaluation.intake_figures(request.neighbourhood_id)
        message = pb.IntakeFigures(
            neighbourhood_id=figures.neighbourhood_id, concerns_received=figures.concerns_received
        )
        if figures.first_received_at:
            message.first_received_at.FromDatetime(figures.first_received_at)
            message.last_received_at.FromDatetime(figures.last_received_at)
        return message


def registration(evaluation: Evaluation) -> Registration:
    return Registration(
        service_name="lianyi.evaluation.v1.EvaluationService",
        servicer=EvaluationServicer(evaluation),
        add=pb_grpc.add_EvaluationServiceServicer_to_server,
    )
