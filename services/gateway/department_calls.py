"""Escalated handling's calls on county departments: the township blows the whistle (乡镇吹哨) and
the departments report in (部门报到), from their own accounts or through the county platform."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway import dispatch_words as words
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import task_json
from services.gateway.dispatch_schemas import DepartmentReportIn, WhistleIn

blueprint = Blueprint("department_calls", __name__, url_prefix="/api/v1/tasks")


@blueprint.post("/<task_id>/whistle")
@serves("lianyi.dispatch.v1.DispatchService.WhistleDepartments")
def whistle(task_id: str):
    """Blow the whistle.
    ---
    post:
      summary: The township blows the whistle (吹哨) on an escalated task to named county departments
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: WhistleIn
      responses:
        200:
          description: Whistled; each department is due to report in
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(WhistleIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.WhistleDepartments(pb.WhistleDepartmentsRequest(
        task_id=task_id, department_ids=body.department_ids, note=body.note), **stubs.call_options()))


@blueprint.post("/<task_id>/department-reports")
@serves("lianyi.dispatch.v1.DispatchService.ReportForDepartment")
def report_for_department(task_id: str):
    """Report for a department.
    ---
    post:
      summary: >-
        A department's report-in (报到), progress or result on a task it was whistled to: from its own
        account, or from the county platform on its behalf; the same callback_id again changes nothing
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: DepartmentReportIn
      responses:
        200:
          description: Reported (or reported before under the same callback_id)
          content:
            application/json:
              schema: TaskOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(DepartmentReportIn)
    stubs = upstreams()
    return task_json(stubs.dispatch.ReportForDepartment(pb.ReportForDepartmentRequest(
        task_id=task_id, department_id=body.department_id or "", kind=words.REPORT_KINDS.value(body.kind),
        note=body.note, callback_id=body.callback_id), **stubs.call_options()))
