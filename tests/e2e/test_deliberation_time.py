"""The residents' vote closes by its timer when the window ends (the clock moved for the real
processes; see tests/e2e/test_time.py for how these tests share the moved clock)."""
from __future__ import annotations

import pytest
import requests

from tests.e2e import deliberating
from tests.e2e.test_deliberation import _concern, _ok, _published, _topic, _vote
from tests.kafka_helpers import wait_for

pytestmark = pytest.mark.moves_time


def _signed_in(gateway: str, credentials: dict, username: str) -> dict:
    response = requests.post(f"{gateway}/api/v1/auth/token", timeout=10,
                             json={"username": username, "password": credentials["password"]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_vote_closes_when_its_window_ends_and_not_a_moment_before(system, gateway, credentials, platform):
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    admin, community_admin = (_signed_in(gateway, credentials, name) for name in ("county.admin", "nanmen.admin"))
    place = deliberating.build(gateway, admin, community_admin, community)
    topic_id, concerns = _published(place, gateway, platform, 1)
    closes_at = _topic(place, topic_id, place.secretary)["tally"]["closes_at"]
    for i in range(5):  # half the households, all yes: accepted when the window ends
        _ok(_vote(place, i, topic_id, "yes"))

    system.move_clock(days=7, minutes=-2)  # the county's default window is 7 days
    place.sign_in_again(_signed_in(gateway, credentials, "county.admin"))
    assert _topic(place, topic_id, place.secretary)["state"] == "published"
    _ok(_vote(place, 5, topic_id, "no"))  # still open, a minute before the end

    system.move_clock(minutes=3)
    assert system.now().isoformat() > closes_at
    # Refused from the moment the window ends, whether or not the timer has fired yet.
    late = _vote(place, 6, topic_id, "yes")
    assert late.status_code == 409, late.text
    assert "vote closed at" in late.json()["detail"] or "is accepted" in late.json()["detail"], late.text
    closed = wait_for(lambda: (found := _topic(place, topic_id, place.secretary))["state"] != "published" and found,
                      timeout_s=60, message="the vote closed by its timer")
    assert (closed["state"], closed["tally"]["yes_votes"], closed["tally"]["no_votes"]) == ("accepted", 5, 1)
    assert closed["history"][-1]["step"] == "vote_closed" and closed["history"][-1]["actor"] is None
    wait_for(lambda: "accepted" in _concern(gateway, concerns[0], platform)["timeline"][-1]["note"], timeout_s=30,
             message="the concern's timeline hears the vote closed")
