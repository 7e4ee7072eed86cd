"""/api/v1/neighbourhoods/{id}/...: views of one neighbourhood."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as deliberation_pb
from services.deliberation.grpc_api import DeliberationServicer
from services.gateway.clients import upstreams
from services.gateway.auth import serves_like
from services.gateway.bodies import query
from services.gateway.schemas import PoolEntryOut, PoolPage, PoolQuery

blueprint = Blueprint("neighbourhoods", __name__, url_prefix="/api/v1/neighbourhoods")


@blueprint.get("/<neighbourhood_id>/pool")
@serves_like(DeliberationServicer.ListPool)
def pool(neighbourhood_id: str):
    """The deliberation pool.
    ---
    get:
      summary: Concerns in the neighbourhood's deliberation pool, oldest first
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
        - {name: page_size, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 100}}
        - {name: page_token, in: query, schema: {type: string}}
      responses:
        200:
          description: One page of the pool
          content:
            application/json:
              schema: PoolPage
        422: {$ref: "#/components/responses/Problem"}
    """
    params = query(PoolQuery)
    stubs = upstreams()
    page = stubs.deliberation.ListPool(
        deliberation_pb.ListPoolRequest(
            neighbourhood_id=neighbourhood_id, page_size=params.page_size, page_token=params.page_token
        ),
        **stubs.call_options(),
    )
    return PoolPage(
        neighbourhood_id=neighbourhood_id,
        entries=[
            PoolEntryOut(
                concern_id=e.concern_id,
                neighbourhood_id=e.neighbourhood_id,
                category=e.category,
                description=e.description,
                received_at=e.received_at.ToDatetime(tzinfo=timezone.utc),
                pooled_at=e.pooled_at.ToDatetime(tzinfo=timezone.utc),
            )
            for e in page.entries
        ],
        next_page_token=page.next_page_token or None,
    ).model_dump(mode="json")
