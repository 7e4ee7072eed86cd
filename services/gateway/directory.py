"""/api/v1/directory: places, people and bodies, and bulk import from the county platform."""
from __future__ import annotations

from collections import Counter
from datetime import UTC

from flask import Blueprint, request, url_for
from google.protobuf import json_format

from lianyi.directory.v1 import directory_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.directory_csv import rows_from_csv
from services.gateway.problems import ProblemError
from services.gateway.schemas import (
    IMPORT_MAX_ROWS,
    EntityCreate,
    EntityOut,
    EntityPage,
    EntityQuery,
    EntityUpdate,
    ImportReport,
    ImportRequest,
)

blueprint = Blueprint("directory", __name__, url_prefix="/api/v1/directory")

IMPORT_MAX_BYTES = 4 * 1024 * 1024


def _entity_out(message) -> dict:
    attributes = json_format.MessageToDict(message.attributes)  # contact fields as intake allowed
    return EntityOut(
        entity_id=message.entity_id, kind=message.kind, external_id=message.external_id or None,
        parent_id=message.parent_id or None, ancestor_ids=list(message.ancestor_ids), name=message.name,
        attributes=attributes, version=message.version,
        updated_at=message.updated_at.ToDatetime(tzinfo=UTC),
    ).model_dump(mode="json")


def _set_attributes(struct, attributes: dict, where: str = "attributes") -> None:
    """Copy JSON attributes into a protobuf Struct, refusing what it cannot hold."""
    try:
        struct.update(attributes)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ProblemError(422, f"{where}: {type(exc).__name__}: values must be text, true/false, "
                                "lists or small numbers") from None



@blueprint.post("/entities")
@serves("lianyi.directory.v1.DirectoryService.CreateEntity")
def create_entity():
    """Create a directory entity.
    ---
    post:
      summary: Create a place, person or body under its parent
      requestBody:
        required: true
        content:
          application/json:
            schema: EntityCreate
      responses:
        201:
          description: Created; the change is published to every service's replica
          content:
            application/json:
              schema: EntityOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(EntityCreate)
    message = pb.CreateEntityRequest(kind=body.kind, name=body.name, parent_id=body.parent_id or "",
                                     external_id=body.external_id or "")
    _set_attributes(message.attributes, body.attributes)
    entity = upstreams().directory.CreateEntity(message, **upstreams().call_options())
    location = url_for("directory.get_entity", entity_id=entity.entity_id)
    return _entity_out(entity), 201, {"Location": location}


@blueprint.get("/entities")
@serves("lianyi.directory.v1.DirectoryService.ListEntities")
def list_entities():
    """List directory entities.
    ---
    get:
      summary: Entities of a kind, optionally within a subtree, in creation order
      responses:
        200:
          description: One page
          content:
            application/json:
              schema: EntityPage
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(EntityQuery)
    page = upstreams().directory.ListEntities(
        pb.ListEntitiesRequest(kind=params.kind or "", within_id=params.within or "",
                               page_size=params.page_size, page_token=params.page_token),
        **upstreams().call_options(),
    )
    return EntityPage(entities=[_entity_out(e) for e in page.entities],
                      next_page_token=page.next_page_token or None).model_dump(mode="json")


@blueprint.get("/entities/<entity_id>")
@serves("lianyi.directory.v1.DirectoryService.GetEntity")
def get_entity(entity_id: str):
    """Get a directory entity.
    ---
    get:
      parameters:
        - {name: entity_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The entity
          content:
            application/json:
              schema: EntityOut
    """
    return _entity_out(upstreams().directory.GetEntity(pb.GetEntityRequest(entity_id=entity_id),
                                                        **upstreams().call_options()))


@blueprint.patch("/entities/<entity_id>")
@serves("lianyi.directory.v1.DirectoryService.UpdateEntity")
def update_entity(entity_id: str):
    """Update a directory entity.
    ---
    patch:
      summary: Rename it or replace its attributes; expected_version guards against lost updates
      parameters:
        - {name: entity_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: EntityUpdate
      responses:
        200:
          description: The entity as it now is
          content:
            application/json:
              schema: EntityOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(EntityUpdate)
    message = pb.UpdateEntityRequest(entity_id=entity_id, expected_version=body.expected_version or 0)
    if body.name is not None:
        message.name = body.name
    if body.attributes is not None:
        _set_attributes(message.attributes, body.attributes)
    return _entity_out(upstreams().directory.UpdateEntity(message, **upstreams().call_options()))


@blueprint.post("/import")
@serves("lianyi.directory.v1.DirectoryService.ImportEntities")
def import_entities():
    """Import directory entities.
    ---
    post:
      summary: Bulk, idempotent upsert keyed by the county platform's external ids (JSON or CSV)
      description: >-
        Each row is reported created, updated, unchanged or rejected (with why) by the directory's
        rules. A row no service can carry at all (attributes holding NaN, Infinity, an integer past
        2^53, more than 10 levels or 1000 values) refuses the whole request with 422 naming it, and
        nothing is imported.
      requestBody:
        required: true
        content:
          application/json:
            schema: ImportRequest
          text/csv:
            schema:
              type: string
              description: "columns kind, external_id, parent_external_id, name, attributes.<field>"
      responses:
        200:
          description: What happened to each row; a re-import of the same rows reports every row unchanged
          content:
            application/json:
              schema: ImportReport
        413: {$ref: "#/components/responses/Problem"}
    """
    request.max_content_length = IMPORT_MAX_BYTES
    if request.mimetype == "text/csv":
        try:
            text = request.get_data(cache=False).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProblemError(422, "the CSV must be UTF-8") from None
        body = ImportRequest.model_validate({"rows": rows_from_csv(text, IMPORT_MAX_ROWS)})
    else:
        body = json_body(ImportRequest)
    message = pb.ImportEntitiesRequest()
    for row in body.rows:
        imported = message.rows.add(kind=row.kind, external_id=row.external_id,
                                    parent_external_id=row.parent_external_id, name=row.name)
        _set_attributes(imported.attributes, row.attributes, f"rows[{len(message.rows)}].attributes")
    stubs = upstreams()
    result = stubs.directory.ImportEntities(message, timeout=60, metadata=stubs.call_options()["metadata"])
    outcomes = [{"row": o.row, "outcome": o.outcome, "entity_id": o.entity_id or None, "reason": o.reason or None}
                for o in result.outcomes]
    summary = Counter({"created": 0, "updated": 0, "unchanged": 0, "rejected": 0})
    summary.update(o["outcome"] for o in outcomes)
    return ImportReport(summary=dict(summary), outcomes=outcomes).model_dump(mode="json")
