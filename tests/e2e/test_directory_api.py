"""The directory over the wire: REST to intake, changes reaching every service's replica."""
from __future__ import annotations

import uuid

import grpc
import pytest
import requests

from lianyi.directory.v1 import directory_service_pb2 as pb
from lianyi.directory.v1.directory_service_pb2_grpc import DirectoryReplicaStub
from tests.e2e.principals import county_admin
from tests.kafka_helpers import wait_for

PROBLEM = "application/problem+json"


@pytest.fixture
def api(gateway, sign_in):
    """Directory calls as the demo county's administrator."""
    session = requests.Session()
    session.headers.update(sign_in("county.admin"))

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, f"{gateway}/api/v1/directory{path}", timeout=30, **kwargs)

    return call


@pytest.fixture
def county(credentials) -> dict:
    return {"entity_id": next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "county.admin")}


def _create(api, kind, name, parent=None, **fields):
    response = api("POST", "/entities", json={"kind": kind, "name": name,
                                              **({"parent_id": parent["entity_id"]} if parent else {}), **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _tree(api, county):
    township = _create(api, "township", f"镇{uuid.uuid4().hex[:4]}", county)
    community = _create(api, "community", "南门社区", township)
    neighbourhood = _create(api, "neighbourhood", "幸福小区", community)
    return county, township, community, neighbourhood


def test_a_change_reaches_every_services_replica(api, county, grpc_channel, system):
    *_, neighbourhood = _tree(api, county)
    building = _create(api, "building", "3号楼", neighbourhood, attributes={"number": "3"})
    renamed = api("PATCH", f"/entities/{building['entity_id']}", json={"name": "3号楼(东)", "expected_version": 1})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2

    for service in ("deliberation", "dispatch", "evaluation"):
        replica = DirectoryReplicaStub(grpc_channel(service))

        def replicated(replica=replica):
            try:
                entity = replica.GetReplicatedEntity(pb.GetEntityRequest(entity_id=building["entity_id"]),
                                                     metadata=county_admin(system))
            except grpc.RpcError:
                return None
            return entity if entity.version == 2 else None

        entity = wait_for(replicated, timeout_s=30, message=f"the rename in {service}'s replica")
        assert entity.name == "3号楼(东)"
        assert list(entity.ancestor_ids)[-1] == neighbourhood["entity_id"]


def test_entities_are_read_listed_and_guarded_against_lost_updates(api, county):
    county, township, community, neighbourhood = _tree(api, county)
    fetched = api("GET", f"/entities/{neighbourhood['entity_id']}").json()
    assert fetched["ancestor_ids"] == [county["entity_id"], township["entity_id"], community["entity_id"]]
    listed = api("GET", "/entities", params={"within": township["entity_id"]}).json()
    assert [e["kind"] for e in listed["entities"]] == ["community", "neighbourhood"]

    assert api("PATCH", f"/entities/{township['entity_id']}", json={"name": "新镇名"}).status_code == 200
    stale = api("PATCH", f"/entities/{township['entity_id']}", json={"name": "旧的", "expected_version": 1})
    assert stale.status_code == 409 and stale.headers["Content-Type"] == PROBLEM


@pytest.mark.parametrize("reader, phone", [
    ("n1.secretary", "13812345678"), ("n1.leader", "13812345678"), ("county.admin", "13812345678"),
    ("n1.property", "138****5678"), ("n1.owners", "138****5678"), ("dept.housing", "138****5678"),
])
def test_contact_phones_are_shown_only_to_roles_that_need_them(gateway, api, credentials, sign_in, reader, phone):
    n1 = {"entity_id": credentials["neighbourhoods"]["N1"]}
    volunteer = _create(api, "volunteer", "志愿者小陈", n1, attributes={"phone": "13812345678"})
    read = requests.get(f"{gateway}/api/v1/directory/entities/{volunteer['entity_id']}", headers=sign_in(reader),
                        timeout=10)
    assert read.status_code == 200
    assert read.json()["attributes"]["phone"] == phone


def test_import_json_then_csv_and_a_reimport_changes_nothing(api):
    tag = uuid.uuid4().hex[:8]
    rows = [
        {"kind": "county", "external_id": f"C-{tag}", "name": "另一个县"},
        {"kind": "township", "external_id": f"T-{tag}", "parent_external_id": "C1", "name": "城关镇"},
        {"kind": "community", "external_id": f"CM-{tag}", "parent_external_id": f"T-{tag}", "name": "南门社区"},
        {"kind": "neighbourhood", "external_id": f"N-{tag}", "parent_external_id": f"CM-{tag}", "name": "幸福小区"},
        {"kind": "building", "external_id": f"B-{tag}", "parent_external_id": f"N-{tag}", "name": "1号楼"},
        {"kind": "party_org", "external_id": f"PO-{tag}", "parent_external_id": f"N-{tag}", "name": "党支部"},
        {"kind": "building", "external_id": f"X-{tag}", "parent_external_id": "nowhere", "name": "2号楼"},
    ]
    first = api("POST", "/import", json={"rows": rows}).json()
    assert first["summary"] == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 2}
    assert "created at set-up" in first["outcomes"][0]["reason"]
    assert "no neighbourhood with external id nowhere" in first["outcomes"][6]["reason"]
    assert api("POST", "/import", json={"rows": rows}).json()["summary"]["unchanged"] == 5

    csv = ("kind,external_id,parent_external_id,name,attributes.member_kind,attributes.leads_building_ids\n"
           f"member,M-{tag},PO-{tag},林建国,retired_cadre,B-{tag}\n"
           f"member,M2-{tag},PO-{tag},陈芳,astronaut,\n")
    report = api("POST", "/import", data=csv.encode(), headers={"Content-Type": "text/csv"}).json()
    assert [o["outcome"] for o in report["outcomes"]] == ["created", "rejected"]
    assert "member_kind" in report["outcomes"][1]["reason"]
    member = api("GET", f"/entities/{report['outcomes'][0]['entity_id']}").json()
    assert member["attributes"]["leads_building_ids"] == [first["outcomes"][4]["entity_id"]]
    again = api("POST", "/import", data=csv.encode(), headers={"Content-Type": "text/csv"}).json()
    assert again["summary"]["unchanged"] == 1


@pytest.mark.parametrize("body, status, detail", [
    ({"kind": "township", "name": "x", "parent_id": "no-such-parent"}, 422, "does not exist"),
    ({"kind": "county", "name": "第二个县"}, 403, "created at set-up"),
])
def test_bad_entities_are_clear_problems(api, body, status, detail):
    response = api("POST", "/entities", json=body)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
    assert detail in response.text


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("GET", "/entities/no-such-entity", {}, 404),
    ("PATCH", "/entities/no-such-entity", {"json": {"name": "x"}}, 404),
])
def test_bad_directory_requests_are_clear_problems(api, method, path, kwargs, status):
    response = api(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
