"""Door visits over the wire: a member's visit raises concerns that wait for triage, and coverage
counts households visited of all households."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests


def test_a_visit_raises_concerns_that_wait_for_triage_and_counts_in_coverage(gateway, credentials, sign_in):
    today = datetime.now(UTC).date().isoformat()
    n1 = credentials["neighbourhoods"]["N1"]
    household = credentials["households_of_n1"]["H1-3-4"]
    before = requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/visit-coverage", headers=sign_in("n1.secretary"),
                          params={"from": today, "to": today}, timeout=10).json()
    visit = requests.post(f"{gateway}/api/v1/visits", headers=sign_in("n1.leader"), timeout=10, json={
        "household_id": household, "visited_on": today, "notes": "老人独居, 需要常走动",
        "concerns": [{"category": "safety", "description": "燃气管老化", "urgency": "urgent"}]})
    assert visit.status_code == 201, visit.text
    body = visit.json()
    assert body["member_id"] == next(a["entity_id"] for a in credentials["accounts"] if a["username"] == "n1.leader")
    (concern_id,) = body["concern_ids"]
    raised = requests.get(f"{gateway}/api/v1/concerns/{concern_id}", headers=sign_in("n1.secretary"), timeout=10)
    assert (raised.json()["channel"], raised.json()["household_id"], raised.json()["status"]) == (
        "door_visit", household, "received")
    queue = requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/concerns", headers=sign_in("n1.secretary"),
                         params={"status": "received"}, timeout=10).json()
    assert concern_id in [c["concern_id"] for c in queue["concerns"]]

    after = requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/visit-coverage", headers=sign_in("n1.secretary"),
                         params={"from": today, "to": today}, timeout=10).json()
    assert after["households"] == 12  # 幸福小区: three buildings of four households
    assert after["visits"] == before["visits"] + 1
    assert after["concerns_collected"] == before["concerns_collected"] + 1
    assert 0 < after["coverage"] <= 1
    building_3 = next(b for b in after["buildings"] if b["name"] == "3号楼")
    assert building_3["households"] == 4 and building_3["households_visited"] >= 1


@pytest.mark.parametrize("neighbourhood", ["no-such-place", "%00", "01a20000-0000-7000-8000-000000000000"])
def test_coverage_of_an_unknown_neighbourhood_is_not_found(gateway, sign_in, neighbourhood):
    response = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/visit-coverage",
                            headers=sign_in("county.admin"), params={"from": "2026-01-01", "to": "2026-01-31"},
                            timeout=10)
    assert response.status_code == 404
