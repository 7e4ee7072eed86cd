"""Members' commitment ledgers (践诺台账): every task a member took on (承诺), kept or not (践诺), and
its rating (评诺), for the member themself and for those who review them."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import ledger_out
from services.gateway.dispatch_schemas import LedgerQuery

blueprint = Blueprint("ledgers", __name__, url_prefix="/api/v1")

def _ledger(member_id: str, params: LedgerQuery) -> dict:
    stubs = upstreams()
    found = stubs.dispatch.GetLedger(pb.GetLedgerRequest(
        member_id=member_id, from_day=params.from_ or "", to_day=params.to or "", page_size=params.page_size,
        page_token=params.page_token), **stubs.call_options())
    return ledger_out(found).model_dump(mode="json")


@blueprint.get("/ledger")
@serves("lianyi.dispatch.v1.DispatchService.GetLedger")
def own_ledger():
    """The caller's own ledger.
    ---
    get:
      summary: The caller's own commitment ledger (践诺台账), newest first
      responses:
        200:
          description: One page of commitments, with counts over the whole period
          content:
            application/json:
              schema: LedgerOut
        404: {$ref: "#/components/responses/Problem"}
    """
    return _ledger("", query(LedgerQuery))


@blueprint.get("/members/<member_id>/ledger")
@serves("lianyi.dispatch.v1.DispatchService.GetLedger")
def member_ledger(member_id: str):
    """A member's ledger.
    ---
    get:
      summary: A member's commitment ledger (践诺台账), newest first, for those who review them
      parameters:
        - {name: member_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: One page of commitments, with counts over the whole period
          content:
            application/json:
              schema: LedgerOut
    """
    return _ledger(member_id, query(LedgerQuery))
