"""/api/v1/neighbourhoods/{id}/...: views of one neighbourhood."""
from __future__ import annotations

from datetime import UTC

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as deliberation_pb
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.concerns import concern_out
from services.gateway.schemas import ConcernPage, ConcernQuery, PoolEntryOut, PoolPage, PoolQuery

blueprint = Blueprint("neighbourhoods", __name__, url_prefix="/api/v1/neighbourhoods")


@blueprint.get("/<neighbourhood_id>/pool")
@serves("lianyi.deliberation.v1.DeliberationService.ListPool")
def pool(neighbourhood_id: str):
    """The deliberation pool.
    ---
    get:
      summary: Concerns in the neighbourhood's deliberation pool, oldest first
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: One page of the pool
          content:
            application/json:
              schema: PoolPage
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
                received_at=e.received_at.ToDatetime(tzinfo=UTC),
                pooled_at=e.pooled_at.ToDatetime(tzinfo=UTC),
            )
            for e in page.entries
        ],
        next_page_token=page.next_page_token or None,
    ).model_dump(mode="json")


@blueprint.get("/<neighbourhood_id>/concerns")
@serves("lianyi.intake.v1.IntakeService.ListConcerns")
def concerns(neighbourhood_id: str):
    """The neighbourhood's concerns.
    ---
    get:
      summary: The neighbourhood's concerns, newest first; status=received is the triage queue
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: One page of concerns (ask for one concern to see its timeline)
          content:
            application/json:
              schema: ConcernPage
    """
    params = query(ConcernQuery)
    stubs = upstreams()
    page = stubs.intake.ListConcerns(intake_pb.ListConcernsRequest(
        neighbourhood_id=neighbourhood_id, statuses=[s for s in params.status.split(",") if s],
        category=params.category, building_id=params.building_id, page_size=params.page_size,
        page_token=params.page_token,
    ), **stubs.call_options())
    return ConcernPage(concerns=[concern_out(c) for c in page.concerns],
                       next_page_token=page.next_page_token or None).model_dump(mode="json")
