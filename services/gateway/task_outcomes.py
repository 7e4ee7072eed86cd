"""How a task ends or moves on: a body's part in joint or escalated handling (集体合办), the result
it is resolved with (办结), or escalation one tier up (提级联办). Each answers with the task."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import task_json
from services.gateway.dispatch_schemas import EscalationIn, PartIn, ResolutionIn

blueprint = Blueprint("task_outcomes", __name__, url_prefix="/api/v1/tasks")


@blueprint.post("/<task_id>/parts")
@serves("lianyi.dispatch.v1.DispatchService.RecordPart")
def record_part(task_id: str):
    """Record a body's part.
    ---
    post:
      summary: >-
        In joint or escalated handling, the caller's body (party organisation, owners' committee, property
        company, community party committee) records its part and result
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: PartIn
      responses:
        200:
          description: Recorded
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(PartIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.RecordPart(pb.RecordPartRequest(task_id=task_id, part=body.part,
                                                                    result=body.result), **stubs.call_options()))


@blueprint.post("/<task_id>/resolution")
@serves("lianyi.dispatch.v1.DispatchService.ResolveTask")
def resolve_task(task_id: str):
    """Resolve a task.
    ---
    post:
      summary: Resolve a task (办结) with its result; the residents are asked to rate it
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: ResolutionIn
      responses:
        200:
          description: Resolved
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(ResolutionIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.ResolveTask(pb.ResolveTaskRequest(task_id=task_id, result=body.result),
                                                **stubs.call_options()))


@blueprint.post("/<task_id>/escalation")
@serves("lianyi.dispatch.v1.DispatchService.EscalateTask")
def escalate_task(task_id: str):
    """Escalate a task.
    ---
    post:
      summary: A handler who cannot solve a task takes it up one tier, saying why
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: EscalationIn
      responses:
        200:
          description: Escalated
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(EscalationIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.EscalateTask(pb.EscalateTaskRequest(task_id=task_id, reason=body.reason),
                                                 **stubs.call_options()))
