"""Residents' phone numbers never reach a log line, whatever happens to the request."""
from __future__ import annotations

import grpc
import requests

from lianyi.directory.v1 import directory_service_pb2 as pb
from lianyi.directory.v1.directory_service_pb2_grpc import DirectoryReplicaStub
from tests.e2e.conftest import submission
from tests.e2e.principals import county_admin
from tests.kafka_helpers import wait_for

PHONE = "13988776655"


def _replicated(replica, entity_id, system):
    try:
        return replica.GetReplicatedEntity(pb.GetEntityRequest(entity_id=entity_id), metadata=county_admin(system))
    except grpc.RpcError:
        return None


def test_no_log_line_of_any_process_carries_a_phone_number(system, gateway, neighbourhood, platform, sign_in,
                                                          grpc_channel):
    accepted = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                             json=submission(neighbourhood, reporter={"name": "王阿姨", "phone": PHONE}))
    assert accepted.status_code == 201
    refused = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                            json=submission(neighbourhood, category="weather", reporter={"phone": PHONE}))
    assert refused.status_code == 422
    malformed = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                              json=submission(neighbourhood, reporter={"phone": int(PHONE)}))
    assert malformed.status_code == 422 and PHONE not in malformed.text
    with_nul = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10,
                             json=submission(neighbourhood, description="噪音\x00", reporter={"phone": PHONE}))
    assert with_nul.status_code == 422  # PostgreSQL would refuse NUL with an error carrying the row
    volunteer = requests.post(f"{gateway}/api/v1/directory/entities", headers=sign_in("county.admin"), timeout=10,
                              json={"kind": "volunteer", "name": "小林", "parent_id": neighbourhood,
                                    "attributes": {"phone": PHONE}})
    assert volunteer.status_code == 201
    replica = DirectoryReplicaStub(grpc_channel("dispatch"))
    replicated = wait_for(lambda: _replicated(replica, volunteer.json()["entity_id"], system),
                          message="the volunteer in dispatch's replica")
    assert "phone" not in dict(replicated.attributes), "events and replicas carry no contact details"

    logs = {path.name: path.read_text(errors="replace") for path in system.log_dir.glob("*.log")}
    assert {"intake.log", "deliberation.log", "dispatch.log", "evaluation.log", "gateway.log"} <= set(logs)
    assert sum(len(text) for text in logs.values()) > 0
    leaked = [name for name, text in logs.items() if PHONE in text or "8877 6655" in text]
    assert leaked == []
