"""Sit-down talks over the wire: the opinion log is kept, its concerns reach the pool, and the
report reaches the topic the party organisation follows."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from lianyi.intake.v1.events_pb2 import TalkSessionReported
from servicekit import envelope, topics
from servicekit.errors import UndecodableEvent
from tests.kafka_helpers import read_topic, wait_for


def _session(n1_people, **fields):
    body = {"venue_id": n1_people["venue"], "held_on": datetime.now(UTC).date().isoformat(),
            "host_ids": [n1_people["member"], n1_people["volunteer"]], "attendance": 14,
            "entries": [{"text": "广场舞音响太吵, 希望晚上九点后停", "category": "noise", "becomes_concern": True},
                        {"text": "大家称赞新装的路灯"}]}
    body.update(fields)
    return body


def test_a_talk_session_keeps_its_log_raises_concerns_and_is_reported(system, gateway, credentials, sign_in,
                                                                       platform, n1_people):
    n1 = credentials["neighbourhoods"]["N1"]
    recorded = requests.post(f"{gateway}/api/v1/talk-sessions", headers=sign_in("n1.secretary"),
                             json=_session(n1_people), timeout=10)
    assert recorded.status_code == 201, recorded.text
    session = recorded.json()
    concern_id = session["entries"][0]["concern_id"]
    assert concern_id and session["entries"][1]["concern_id"] is None
    raised = requests.get(f"{gateway}/api/v1/concerns/{concern_id}", headers=sign_in("n1.secretary"), timeout=10)
    assert (raised.json()["channel"], raised.json()["category"]) == ("sit_down_talk", "noise")

    def reported():
        for record in read_topic(system.addresses.broker, topics.INTAKE):
            try:
                sealed = envelope.decode(record.value)
            except UndecodableEvent:
                continue  # other tests put garbage on this topic on purpose
            if sealed.event_type == "lianyi.intake.v1.TalkSessionReported":
                event = envelope.open_payload(sealed, TalkSessionReported)
                if event.session_id == session["session_id"]:
                    return event

    event = wait_for(reported, message="the TalkSessionReported event")
    assert (event.attendance, event.entries, list(event.concern_ids)) == (14, 2, [concern_id])

    listed = requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/talk-sessions", headers=sign_in("n1.member"),
                          timeout=10).json()
    assert session["session_id"] in [s["session_id"] for s in listed["sessions"]]
    hidden = requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/talk-sessions", headers=sign_in("n5.secretary"),
                          timeout=10)
    assert hidden.status_code == 404


@pytest.mark.parametrize("change, detail", [
    (lambda p: {"host_ids": [p["resident"]]}, "not a member or volunteer"),
    (lambda p: {"venue_id": p["member"]}, "no venue"),
    (lambda p: {"entries": [{"text": "没有类别", "becomes_concern": True}]}, "category"),
    (lambda p: {"held_on": "2099-01-01"}, "future"),
    (lambda p: {"host_ids": [p["member"], p["member"]]}, "each host once"),
    (lambda p: {"entries": [{"text": "x", "household_id": p["member"]}]}, "no such household"),
    (lambda p: {"entries": [{"text": "x", "category": "weather"}]}, "not an open category"),
])
def test_a_bad_talk_session_is_refused_with_the_reason(gateway, sign_in, n1_people, change, detail):
    response = requests.post(f"{gateway}/api/v1/talk-sessions", headers=sign_in("n1.secretary"), timeout=10,
                             json=_session(n1_people, **change(n1_people)))
    assert response.status_code == 422
    assert detail in response.text
