"""Residents' phone numbers never reach a log line, whatever happens to the request."""
from __future__ import annotations

import requests

from tests.e2e.conftest import submission
from tests.kafka_helpers import wait_for

PHONE = "13988776655"


def test_no_log_line_of_any_process_carries_a_phone_number(system, gateway, neighbourhood, platform, sign_in):
    accepted = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                             json=submission(neighbourhood, reporter={"name": "王阿姨", "phone": PHONE}))
    assert accepted.status_code == 201
    refused = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                            json=submission(neighbourhood, category="weather", reporter={"phone": PHONE}))
    assert refused.status_code == 422
    malformed = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                              json=submission(neighbourhood, reporter={"phone": int(PHONE)}))
    assert malformed.status_code == 422 and PHONE not in malformed.text
    requests.post(f"{gateway}/api/v1/directory/entities", headers=sign_in("county.admin"), timeout=10,
                  json={"kind": "volunteer", "name": "小林", "parent_id": neighbourhood, "attributes": {"phone": PHONE}})
    wait_for(lambda: requests.get(f"{gateway}/api/v1/concerns/{accepted.json()['concern_id']}", headers=platform,
                                  timeout=10).status_code == 200, message="the concern readable")

    logs = {path.name: path.read_text(errors="replace") for path in system.log_dir.glob("*.log")}
    assert {"intake.log", "deliberation.log", "dispatch.log", "evaluation.log", "gateway.log"} <= set(logs)
    assert sum(len(text) for text in logs.values()) > 0
    leaked = [name for name, text in logs.items() if PHONE in text or "8877 6655" in text]
    assert leaked == []
