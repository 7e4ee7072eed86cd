"""The annual rating as the gateway serves it: calculating answers 201 with the new version, a place's
ratings come back as JSON (a share with nothing to measure as null) or CSV, and a version or format
out of shape is a 422 naming it, with no service asked."""
from __future__ import annotations

import pytest

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from services.evaluation.contract import ANNUAL_FIRST_YEAR, ANNUAL_LAST_YEAR, ANNUAL_VERSION_MAX
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import N1

ADMIN = bearer("county_admin")


def _version(published: bool = False) -> pb.AnnualVersion:
    version = pb.AnnualVersion(county_id="county-0001", year=2026, version=2, calculated_by="县管理员")
    version.calculated_at.FromJsonString("2027-01-05T02:00:00Z")
    if published:
        version.published_at.FromJsonString("2027-01-06T02:00:00Z")
        version.published_by = "县管理员"
    return version


def _ratings() -> pb.AnnualRatings:
    return pb.AnnualRatings(version=_version(True), ratings=[pb.AnnualRating(
        neighbourhood_id=N1, neighbourhood_name="幸福小区", score=63.33, tier="average", rank_in_community=1,
        rank_in_township=2, rank_in_county=5, components=[
            pb.AnnualComponent(indicator="decisions_implemented", weight=0.3, points=0),
            pb.AnnualComponent(indicator="satisfaction", share=0.6667, part=2, whole=3, weight=0.3, points=20)])])


def test_calculating_a_year_answers_201_with_its_new_unpublished_version(client, fake):
    fake.evaluation.CalculateAnnualRatings.returns(_version())
    response = client.post("/api/v1/annual-ratings/2026/versions", headers=ADMIN)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json() == {"county_id": "county-0001", "year": 2026, "version": 2,
                                   "calculated_at": "2027-01-05T02:00:00Z", "calculated_by": "县管理员",
                                   "published_at": None, "published_by": None}
    (call,) = fake.calls
    assert call.request == pb.CalculateAnnualRatingsRequest(year=2026)


def test_a_places_ratings_show_every_component_and_its_ranks(client, fake):
    fake.evaluation.GetAnnualRatings.returns(_ratings())
    answer = client.get(f"/api/v1/annual-ratings/2026?place_id={N1}&version=2", headers=bearer("party_secretary"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (rating,) = answer.get_json()["ratings"]
    assert rating["components"] == [
        {"indicator": "decisions_implemented", "share": None, "part": 0, "whole": 0, "weight": 0.3, "points": 0.0},
        {"indicator": "satisfaction", "share": 0.6667, "part": 2, "whole": 3, "weight": 0.3, "points": 20.0}]
    assert (rating["tier"], rating["rank_in_township"], answer.get_json()["version"]["published_at"]) == (
        "average", 2, "2027-01-06T02:00:00Z")
    (call,) = fake.calls
    assert call.request == pb.GetAnnualRatingsRequest(place_id=N1, year=2026, version=2)


def test_a_places_ratings_as_csv_have_every_component_in_columns_named_by_indicator(client, fake):
    ratings = _ratings()
    ratings.ratings[0].components.reverse()  # columns follow the county's indicators, not a rating's order
    fake.evaluation.GetAnnualRatings.returns(ratings)
    answer = client.get("/api/v1/annual-ratings/2026?format=csv", headers=ADMIN)
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    header, row = answer.get_data(as_text=True).removeprefix("\ufeff").splitlines()
    columns = header.split(",")
    assert columns[:10] == ["year", "version", "neighbourhood_id", "neighbourhood_name", "score", "tier", "tier_zh",
                            "rank_in_community", "rank_in_township", "rank_in_county"]
    cells = dict(zip(columns, row.split(","), strict=True))
    assert [cells[c] for c in columns[:10]] == ["2026", "2", N1, "幸福小区", "63.33", "average", "一般", "1", "2", "5"]
    assert [cells[f"satisfaction_{part}"] for part in ("share", "part", "whole", "points")] == [
        "0.6667", "2", "3", "20.0"]
    assert cells["decisions_implemented_share"] == "", "nothing to measure: an empty cell"
    assert cells["panel_service_points"] == "", "a component the rating does not carry: an empty cell"


@pytest.mark.parametrize("path, names", [
    ("/api/v1/annual-ratings/2026?version=-1", "version"), ("/api/v1/annual-ratings/2026?version=x", "version"),
    ("/api/v1/annual-ratings/2026?format=xml", "format"), ("/api/v1/annual-ratings/2026?tier=advanced", "tier")])
def test_a_query_out_of_shape_is_a_422_naming_it_and_asks_no_service(client, fake, path, names):
    explained = reasons(problem_of(client.get(path, headers=ADMIN), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []


# Years and versions in the path: the route's <int:> takes any digits (2179022149882752008192
# overflowed the RPC's int32 as a 500); the years are those a rating is kept for.
@pytest.mark.parametrize("method, path, names", [
    ("post", "/api/v1/annual-ratings/2179022149882752008192/versions", "year"),
    ("post", "/api/v1/annual-ratings/1999/versions", "year"),
    ("get", "/api/v1/annual-ratings/9999/versions", "year"),
    ("get", "/api/v1/annual-ratings/0", "year"),
    ("post", "/api/v1/annual-ratings/2026/versions/18138233339654963703316480/publish", "version"),
    ("post", "/api/v1/annual-ratings/2026/versions/0/publish", "version"),
    ("post", "/api/v1/annual-ratings/100000000000000000/versions/1/publish", "year")])
def test_a_year_or_version_in_the_path_out_of_bounds_is_a_422_naming_it_and_asks_no_service(client, fake, method,
                                                                                             path, names):
    explained = reasons(problem_of(getattr(client, method)(path, headers=ADMIN), 422))
    assert any(reason.startswith(f"{names}:") for reason in explained), explained
    assert fake.calls == []


def test_the_document_states_the_years_and_versions_the_paths_take(client, fake):
    paths = client.get("/openapi.json").get_json()["paths"]
    (year, version) = paths["/api/v1/annual-ratings/{year}/versions/{version}/publish"]["post"]["parameters"]
    assert (year["name"], year["in"], year["required"]) == ("year", "path", True)
    assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (ANNUAL_FIRST_YEAR, ANNUAL_LAST_YEAR)
    assert (version["schema"]["minimum"], version["schema"]["maximum"]) == (1, ANNUAL_VERSION_MAX)
    for path in ("/api/v1/annual-ratings/{year}", "/api/v1/annual-ratings/{year}/versions"):
        for operation in paths[path].values():
            (parameter,) = (p for p in operation["parameters"] if p["in"] == "path")
            assert parameter["schema"] == year["schema"], path


@pytest.mark.parametrize("year", ["٢٠٢٦", "２０２６"])
def test_a_year_in_another_scripts_digits_is_no_year(client, fake, year):
    """Arabic-Indic or full-width digits are digits to Python's \\d, not to the API."""
    assert client.get(f"/api/v1/annual-ratings/{year}", headers=ADMIN).status_code == 404
    assert fake.calls == []
