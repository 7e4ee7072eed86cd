"""The annual rating (年度量化评定): a county administrator calculates a year (a new version each time)
and publishes a version; the party secretary and administrators read a place's ratings, as JSON or
CSV, and the versions of a year."""
from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from services.evaluation.contract import INDICATORS
from services.gateway.auth import serves
from services.gateway.bodies import path, query
from services.gateway.clients import upstreams
from services.gateway.csv_answers import csv_response, wants_csv
from services.gateway.review_schemas import (
    AnnualComponentOut,
    AnnualQuery,
    AnnualRatingOut,
    AnnualRatingsOut,
    AnnualVersionOut,
    AnnualVersionPath,
    AnnualVersionsOut,
    AnnualYearPath,
)

blueprint = Blueprint("annual_ratings", __name__, url_prefix="/api/v1")
# Each view reads its path's year and version by bodies.path, with the bounds the converters
# cannot state (they take 2179022149882752008192 for a year); Flask's keywords go unread.

_TIER_WORDS = {"advanced": "先进", "average": "一般", "lagging": "后进"}


def version_out(version) -> AnnualVersionOut:
    published = version.published_at.ToDatetime(tzinfo=UTC) if version.HasField("published_at") else None
    return AnnualVersionOut(county_id=version.county_id, year=version.year, version=version.version,
                            calculated_at=version.calculated_at.ToDatetime(tzinfo=UTC),
                            calculated_by=version.calculated_by, published_at=published,
                            published_by=version.published_by or None)


def rating_out(rating) -> AnnualRatingOut:
    return AnnualRatingOut(
        neighbourhood_id=rating.neighbourhood_id, neighbourhood_name=rating.neighbourhood_name, score=rating.score,
        components=[AnnualComponentOut(indicator=c.indicator, share=c.share if c.HasField("share") else None,
                                       part=c.part, whole=c.whole, weight=c.weight, points=c.points)
                    for c in rating.components],
        tier=rating.tier, rank_in_community=rating.rank_in_community, rank_in_township=rating.rank_in_township,
        rank_in_county=rating.rank_in_county)


_COMPONENT_PARTS = ("share", "part", "whole", "points")


def _csv(answer: AnnualRatingsOut, year: int) -> Response:
    """One row per neighbourhood; every component as its share, part, whole and points, in columns
    named by indicator (the county's fixed list), whatever order a rating lists them in."""
    columns = ["year", "version", "neighbourhood_id", "neighbourhood_name", "score", "tier", "tier_zh",
               "rank_in_community", "rank_in_township", "rank_in_county",
               *(f"{indicator}_{part}" for indicator in INDICATORS for part in _COMPONENT_PARTS)]

    def row(rating: AnnualRatingOut) -> list:
        by_indicator = {c.indicator: c for c in rating.components}
        return [answer.version.year, answer.version.version, rating.neighbourhood_id, rating.neighbourhood_name,
                rating.score, rating.tier, _TIER_WORDS[rating.tier], rating.rank_in_community,
                rating.rank_in_township, rating.rank_in_county,
                *(getattr(by_indicator[i], part) if i in by_indicator else None
                  for i in INDICATORS for part in _COMPONENT_PARTS)]
    rows = (row(rating) for rating in answer.ratings)
    return csv_response(columns, rows, f"annual-ratings-{year}.csv")


@blueprint.post("/annual-ratings/<int:year>/versions")
@serves("lianyi.evaluation.v1.EvaluationService.CalculateAnnualRatings")
def calculate(**_: int):
    """Calculate a year.
    ---
    post:
      summary: Score every neighbourhood of the county for the year (年度量化评定), as a new version
      responses:
        201:
          description: The new version (not yet published)
          content:
            application/json:
              schema: AnnualVersionOut
    """
    year = path(AnnualYearPath).year
    stubs = upstreams()
    found = stubs.evaluation.CalculateAnnualRatings(pb.CalculateAnnualRatingsRequest(year=year),
                                                    **stubs.call_options())
    return version_out(found).model_dump(mode="json"), 201


@blueprint.post("/annual-ratings/<int:year>/versions/<int:version>/publish")
@serves("lianyi.evaluation.v1.EvaluationService.PublishAnnualRatings")
def publish(**_: int):
    """Publish a version.
    ---
    post:
      summary: Publish a calculated version of the year; a published version never changes (409 if it is already)
      responses:
        200:
          description: The published version
          content:
            application/json:
              schema: AnnualVersionOut
        409: {$ref: "#/components/responses/Problem"}
    """
    where = path(AnnualVersionPath)
    stubs = upstreams()
    found = stubs.evaluation.PublishAnnualRatings(pb.PublishAnnualRatingsRequest(year=where.year, version=where.version),
                                                  **stubs.call_options())
    return version_out(found).model_dump(mode="json")


@blueprint.get("/annual-ratings/<int:year>/versions")
@serves("lianyi.evaluation.v1.EvaluationService.ListAnnualVersions")
def versions(**_: int):
    """A year's versions.
    ---
    get:
      summary: >-
        The county's year's versions, oldest first: every calculated one for the county administrator, the
        published ones for everyone else
      responses:
        200:
          description: The versions
          content:
            application/json:
              schema: AnnualVersionsOut
    """
    year = path(AnnualYearPath).year
    stubs = upstreams()
    found = stubs.evaluation.ListAnnualVersions(pb.ListAnnualVersionsRequest(year=year), **stubs.call_options())
    return AnnualVersionsOut(versions=[version_out(v) for v in found.versions]).model_dump(mode="json")


@blueprint.get("/annual-ratings/<int:year>")
@serves("lianyi.evaluation.v1.EvaluationService.GetAnnualRatings")
def ratings(**_: int):
    """A place's annual ratings.
    ---
    get:
      summary: >-
        A place's neighbourhood party organisations for the year, best first: score with every component, tier,
        and places in the community, township and county rankings (the latest published version unless named;
        a version not yet published is the county administrator's alone, 404 to others)
      responses:
        200:
          description: The ratings
          content:
            application/json:
              schema: AnnualRatingsOut
            text/csv:
              schema: {type: string}
    """
    year, params = path(AnnualYearPath).year, query(AnnualQuery)
    stubs = upstreams()
    found = stubs.evaluation.GetAnnualRatings(pb.GetAnnualRatingsRequest(
        place_id=params.place_id or "", year=year, version=params.version), **stubs.call_options())
    answer = AnnualRatingsOut(version=version_out(found.version), ratings=[rating_out(r) for r in found.ratings])
    if wants_csv(params.format):
        return _csv(answer, year)
    return answer.model_dump(mode="json")
