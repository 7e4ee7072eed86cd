"""Taking a task on and working it (分流承办): claiming it from the pool (自行领办), the party
secretary's assignment (固定包办), helpers, and progress notes. Each answers with the task."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import task_json
from services.gateway.dispatch_schemas import AssignmentIn, HelperIn, NoteIn

blueprint = Blueprint("task_handling", __name__, url_prefix="/api/v1/tasks")


@blueprint.post("/<task_id>/claim")
@serves("lianyi.dispatch.v1.DispatchService.ClaimTask")
def claim_task(task_id: str):
    """Claim a task.
    ---
    post:
      summary: Claim a task from the neighbourhood's open pool (自行领办); of two claiming at once one wins, the other gets 409
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Claimed; the caller handles it
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    stubs = upstreams()
    return task_json(stubs.dispatch.ClaimTask(pb.ClaimTaskRequest(task_id=task_id), **stubs.call_options()))


@blueprint.post("/<task_id>/assignment")
@serves("lianyi.dispatch.v1.DispatchService.AssignTask")
def assign_task(task_id: str):
    """Assign a task.
    ---
    post:
      summary: The party secretary gives an individual task to a member of its neighbourhood (固定包办)
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: AssignmentIn
      responses:
        200:
          description: Assigned
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(AssignmentIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.AssignTask(pb.AssignTaskRequest(task_id=task_id, member_id=body.member_id),
                                               **stubs.call_options()))


@blueprint.post("/<task_id>/helpers")
@serves("lianyi.dispatch.v1.DispatchService.AddHelper")
def add_helper(task_id: str):
    """Add a helper.
    ---
    post:
      summary: The handler adds a member or volunteer of the neighbourhood to help
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: HelperIn
      responses:
        200:
          description: Added
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(HelperIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.AddHelper(pb.AddHelperRequest(task_id=task_id, helper_id=body.helper_id),
                                              **stubs.call_options()))


@blueprint.post("/<task_id>/notes")
@serves("lianyi.dispatch.v1.DispatchService.NoteProgress")
def note_progress(task_id: str):
    """Note progress.
    ---
    post:
      summary: A progress note, by whoever takes part in handling the task
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: NoteIn
      responses:
        200:
          description: Noted
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(NoteIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.NoteProgress(pb.NoteProgressRequest(task_id=task_id, note=body.note),
                                                 **stubs.call_options()))
