"""/api/v1/audit: the state changes each service recorded, for county administrators."""
from __future__ import annotations

from datetime import UTC

from flask import Blueprint

from lianyi.audit.v1 import audit_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.schemas import AuditEntryOut, AuditPage, AuditQuery

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1/audit")


@blueprint.get("")
@serves("lianyi.audit.v1.AuditService.ListAuditEntries")
def list_audit_entries():
    """The audit log.
    ---
    get:
      summary: Who changed what, when, in which role, under which correlation id (one service at a time)
      responses:
        200:
          description: One page, oldest first
          content:
            application/json:
              schema: AuditPage
    """
    params = query(AuditQuery)
    request = pb.ListAuditEntriesRequest(actor=params.actor, action=params.action, page_size=params.page_size,
                                         page_token=params.page_token)
    if params.since:
        request.since.FromDatetime(params.since)
    if params.until:
        request.until.FromDatetime(params.until)
    stubs = upstreams()
    page = stubs.audit[params.service].ListAuditEntries(request, **stubs.call_options())
    return AuditPage(
        service=params.service,
        entries=[AuditEntryOut(
            seq=e.seq, recorded_at=e.recorded_at.ToDatetime(tzinfo=UTC), actor=e.actor, role=e.role,
            action=e.action, target_kind=e.target_kind, target_id=e.target_id, correlation_id=e.correlation_id,
            summary=e.summary,
        ) for e in page.entries],
        next_page_token=page.next_page_token or None,
    ).model_dump(mode="json")
