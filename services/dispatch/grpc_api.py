"""Dispatch's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from servicekit.grpc_server import Registration
from services.dispatch.domain import DecidedAction, Task
from services.dispatch.handlers import Dispatch


def task_to_proto(task: Task) -> pb.Task:
    message = pb.Task(
        concern_id=task.concern_id, neighbourhood_id=task.neighbourhood_id, household_id=task.household_id,
        category=task.category, route=task.route or "", merged_into=task.merged_into or "",
        building_id=task.building_id, urgency=task.urgency,
    )
    message.received_at.FromDatetime(task.received_at)
    if task.opened_at:
        message.opened_at.FromDatetime(task.opened_at)
    return message


def decided_action_to_proto(action: DecidedAction) -> pb.DecidedAction:
    message = pb.DecidedAction(
        action_id=action.action_id, decision_id=action.decision_id, topic_id=action.topic_id,
        neighbourhood_id=action.neighbourhood_id, description=action.description, tier=action.tier,
        owner_id=action.owner_id, owner_name=action.owner_name, deadline=action.deadline.isoformat(),
    )
    message.received_at.FromDatetime(action.received_at)
    return message


class DispatchServicer(pb_grpc.DispatchServiceServicer):
    def __init__(self, dispatch: Dispatch):
        self.dispatch = dispatch

    def GetTask(self, request: pb.GetTaskRequest, context: object) -> pb.Task:
        return task_to_proto(self.dispatch.get_task(request.concern_id))

    def ListDecidedActions(self, request: pb.ListDecidedActionsRequest, context: object
                           ) -> pb.ListDecidedActionsResponse:
        actions = self.dispatch.list_decided_actions(request.decision_id)
        return pb.ListDecidedActionsResponse(actions=[decided_action_to_proto(action) for action in actions])


def registration(dispatch: Dispatch) -> Registration:
    return Registration(
        service_name="lianyi.dispatch.v1.DispatchService",
        servicer=DispatchServicer(dispatch),
        add=pb_grpc.add_DispatchServiceServicer_to_server,
    )
