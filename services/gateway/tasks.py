"""Reading handling work (办事): task lists per role, one task with its history, a concern's task,
and a decision's actions as dispatch received them to hand out."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway import dispatch_words as words
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import decided_action_out, task_json, task_out
from services.gateway.dispatch_schemas import DecidedActionList, TaskPage, TaskQuery

blueprint = Blueprint("tasks", __name__, url_prefix="/api/v1")


@blueprint.get("/tasks")
@serves("lianyi.dispatch.v1.DispatchService.ListTasks")
def list_tasks():
    """A task list.
    ---
    get:
      summary: Tasks newest first, as one of the lists each role works from, filtered and a page at a time
      responses:
        200:
          description: One page of tasks (without their history)
          content:
            application/json:
              schema: TaskPage
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(TaskQuery)
    stubs = upstreams()
    page = stubs.dispatch.ListTasks(pb.ListTasksRequest(
        list=words.LISTS.value(params.list_), place_id=params.place_id or "", states=params.state,
        tier=params.tier or "", category=params.category, page_size=params.page_size, page_token=params.page_token,
    ), **stubs.call_options())
    return TaskPage(tasks=[task_out(t) for t in page.tasks],
                    next_page_token=page.next_page_token or None).model_dump(mode="json")


@blueprint.get("/tasks/<task_id>")
@serves("lianyi.dispatch.v1.DispatchService.GetTask")
def get_task(task_id: str):
    """Get a task.
    ---
    get:
      summary: A task, its parts, departments and every step it took
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The task
          content:
            application/json:
              schema: TaskOut
    """
    stubs = upstreams()
    return task_json(stubs.dispatch.GetTask(pb.GetTaskRequest(task_id=task_id), **stubs.call_options()))


@blueprint.get("/concerns/<concern_id>/task")
@serves("lianyi.dispatch.v1.DispatchService.GetTask")
def get_concern_task(concern_id: str):
    """Get a concern's task.
    ---
    get:
      summary: The task dispatch keeps for a concern (waiting, with no task id, unless it was routed direct)
      parameters:
        - {name: concern_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The concern's task
          content:
            application/json:
              schema: TaskOut
    """
    stubs = upstreams()
    return task_json(stubs.dispatch.GetTask(pb.GetTaskRequest(concern_id=concern_id), **stubs.call_options()))


@blueprint.get("/decisions/<decision_id>/actions")
@serves("lianyi.dispatch.v1.DispatchService.ListDecidedActions")
def list_decided_actions(decision_id: str):
    """A decision's actions.
    ---
    get:
      summary: A joint meeting's decision's actions as dispatch received them, in the plan's order
      parameters:
        - {name: decision_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The actions
          content:
            application/json:
              schema: DecidedActionList
    """
    stubs = upstreams()
    found = stubs.dispatch.ListDecidedActions(pb.ListDecidedActionsRequest(decision_id=decision_id),
                                              **stubs.call_options())
    return DecidedActionList(actions=[decided_action_out(a) for a in found.actions]).model_dump(mode="json")
