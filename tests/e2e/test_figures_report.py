"""The county's figures through the real system: a door visit and an online concern in a
neighbourhood of the test's own show in its month's and quarter's report, from intake, beside
deliberation's and dispatch's sections; its community's administrator reads them, another
neighbourhood's secretary cannot."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import requests

from services.contract import COUNTY_TIME
from tests.e2e import deliberating


@pytest.fixture
def place(gateway, credentials, sign_in) -> deliberating.Neighbourhood:
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    return deliberating.build(gateway, sign_in("county.admin"), sign_in("nanmen.admin"), community)


def _figures(place: deliberating.Neighbourhood, headers: dict, period: str, **params) -> requests.Response:
    return place.call("GET", "/figures", headers, params={"place_id": place.neighbourhood_id, "period": period,
                                                          **params})


def test_a_door_visit_and_a_concern_count_in_the_neighbourhoods_month_and_quarter(place, sign_in):
    today = datetime.now(COUNTY_TIME).date()
    month, quarter = f"{today:%Y-%m}", f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    visit = place.call("POST", "/visits", place.secretary, json={
        "household_id": place.households[0], "member_id": place.members[1], "visited_on": today.isoformat(),
        "concerns": [{"category": "safety", "description": "燃气管老化"}]})
    assert visit.status_code == 201, visit.text
    online = place.call("POST", "/concerns", place.secretary, json={
        "neighbourhood_id": place.neighbourhood_id, "channel": "online", "category": "noise",
        "description": "夜里楼上有噪音"})
    assert online.status_code == 201, online.text

    for period in (month, quarter):
        response = _figures(place, place.secretary, period)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["place_id"], report["period"]) == (place.neighbourhood_id, period)
        asking = report["asking"]
        assert (asking["households"], asking["households_visited"], asking["visit_coverage"]) == (10, 1, 0.1)
        assert (asking["door_visits"], asking["concerns_raised_on_visits"], asking["concerns_received"]) == (1, 1, 2)
        assert asking["concerns_by_channel"] == {"door_visit": 1, "sit_down_talk": 0, "online": 1}
        assert asking["concerns_by_category"] == {"noise": 1, "safety": 1}
        # Both went to the pool (the neighbourhood's rule): nothing drafted or handled yet.
        assert report["deliberation"]["topics_drafted"] == 0 and report["handling"]["tasks_opened"] == 0

    # Its community's administrator reads it, as CSV too; another neighbourhood's secretary cannot.
    as_csv = _figures(place, sign_in("nanmen.admin"), month, format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv"), as_csv.text
    rows = {(row["section"], row["figure"]): row["value"] for row in csv.DictReader(io.StringIO(as_csv.text))}
    assert rows[("asking", "door_visits")] == "1" and rows[("asking", "concerns_by_channel.online")] == "1"
    assert _figures(place, sign_in("n1.secretary"), month).status_code == 404
    assert _figures(place, sign_in("n1.resident"), month).status_code == 403
    assert _figures(place, place.secretary, f"{today.year}-Q5").status_code == 422
