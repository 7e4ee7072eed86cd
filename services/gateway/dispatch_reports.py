"""What administrators read of dispatch as a whole: its deliveries to the county platform, and its
figures for a place and a period."""
from __future__ import annotations

from flask import Blueprint

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.dispatch_out import delivery_out, figures_out
from services.gateway.dispatch_schemas import DeliveryPage, DeliveryQuery, DispatchFiguresQuery

blueprint = Blueprint("dispatch_reports", __name__, url_prefix="/api/v1")


@blueprint.get("/platform/deliveries")
@serves("lianyi.dispatch.v1.DispatchService.ListDeliveries")
def list_deliveries():
    """Deliveries to the county platform.
    ---
    get:
      summary: Every event for the county platform and each attempt to deliver it, newest first
      responses:
        200:
          description: One page of deliveries
          content:
            application/json:
              schema: DeliveryPage
    """
    params = query(DeliveryQuery)
    stubs = upstreams()
    page = stubs.dispatch.ListDeliveries(pb.ListDeliveriesRequest(
        task_id=params.task_id or "", state=params.state or "", page_size=params.page_size,
        page_token=params.page_token), **stubs.call_options())
    return DeliveryPage(deliveries=[delivery_out(d) for d in page.deliveries],
                        next_page_token=page.next_page_token or None).model_dump(mode="json")


@blueprint.get("/dispatch-figures")
@serves("lianyi.dispatch.v1.DispatchService.GetDispatchFigures")
def figures():
    """Dispatch's figures.
    ---
    get:
      summary: >-
        For a neighbourhood, community, township or the county, over the tasks opened in a period of days:
        tasks by tier, resolved on time, overdue, gone up a tier, reworked; departments' report-in times
      responses:
        200:
          description: The figures
          content:
            application/json:
              schema: DispatchFiguresOut
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(DispatchFiguresQuery)
    stubs = upstreams()
    found = stubs.dispatch.GetDispatchFigures(pb.GetDispatchFiguresRequest(
        place_id=params.place_id, from_day=params.from_, to_day=params.to), **stubs.call_options())
    return figures_out(found).model_dump(mode="json", by_alias=True)
