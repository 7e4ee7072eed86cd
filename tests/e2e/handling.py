"""A neighbourhood of its own for a handling (办事) test, imported through the gateway into the
demo county's 南门社区 as a county would: building 1 with a building leader (楼栋长, a member whose
`leads_building_ids` names it), building 2 with none, households in each, a party organisation
of members, and accounts for the party secretary, the leader, two more members, the owners'
committee and the property company. No routing rule of its own: concerns wait for a person's
triage (the county's table routes none of the categories used here on arrival)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import requests

from tests.e2e.deliberating import PASSWORD, Neighbourhood
from tests.kafka_helpers import wait_for


@dataclass
class Estate(Neighbourhood):
    led_building: str = ""
    unled_building: str = ""
    led_households: list[str] = field(default_factory=list)
    unled_households: list[str] = field(default_factory=list)
    leader_id: str = ""  # the member who leads building 1
    volunteer_id: str = ""
    leader: dict = field(default_factory=dict)  # the leader's headers (role building_leader)
    claimants: list[dict] = field(default_factory=list)  # headers of members[2] and members[3]
    owners: dict = field(default_factory=dict)
    property: dict = field(default_factory=dict)

    def account_in(self, role: str, scope_id: str, entity_id: str = "") -> dict:
        """Headers of a new account of `role` scoped to `scope_id` (a community, township or the county)."""
        username = f"{role[:10]}.{uuid.uuid4().hex[:10]}"
        created = self.call("POST", "/accounts", self.admin, json={
            "username": username, "password": PASSWORD, "role": role, "scope_id": scope_id, "entity_id": entity_id,
            "display_name": f"{role} of the test"})
        assert created.status_code == 201, created.text
        return self._signed_in(username)


def build(gateway: str, admin: dict, community_id: str) -> Estate:
    tag = uuid.uuid4().hex[:8]
    rows = [{"kind": "neighbourhood", "external_id": f"HN-{tag}", "parent_external_id": "CM1",
             "name": f"办事小区{tag}"},
            {"kind": "building", "external_id": f"HB-{tag}-1", "parent_external_id": f"HN-{tag}", "name": "1号楼"},
            {"kind": "building", "external_id": f"HB-{tag}-2", "parent_external_id": f"HN-{tag}", "name": "2号楼"},
            {"kind": "party_org", "external_id": f"HPO-{tag}", "parent_external_id": f"HN-{tag}", "name": "党支部"},
            {"kind": "volunteer", "external_id": f"HV-{tag}", "parent_external_id": f"HN-{tag}", "name": "志愿者小林"}]
    rows += [{"kind": "household", "external_id": f"HH-{tag}-{b}-{i}", "parent_external_id": f"HB-{tag}-{b}",
              "name": f"{b}号楼{i + 1:02d}室"} for b in (1, 2) for i in range(2)]
    # Member 1 leads building 1 (the import resolves external ids in references).
    rows += [{"kind": "member", "external_id": f"HM-{tag}-{i}", "parent_external_id": f"HPO-{tag}",
              "name": f"党员{i}", "attributes": {"member_kind": "serving",
                                               **({"leads_building_ids": [f"HB-{tag}-1"]} if i == 1 else {})}}
             for i in range(5)]
    imported = requests.post(f"{gateway}/api/v1/directory/import", headers=admin, json={"rows": rows}, timeout=60)
    assert imported.status_code == 200, imported.text
    assert {o["outcome"] for o in imported.json()["outcomes"]} == {"created"}, imported.text
    estate = Estate(gateway, admin)
    ids = _ids_by_external_id(estate, f"HN-{tag}", community_id)
    estate.neighbourhood_id = ids[f"HN-{tag}"]
    estate.led_building, estate.unled_building = ids[f"HB-{tag}-1"], ids[f"HB-{tag}-2"]
    estate.led_households = [ids[f"HH-{tag}-1-{i}"] for i in range(2)]
    estate.unled_households = [ids[f"HH-{tag}-2-{i}"] for i in range(2)]
    estate.households = estate.led_households + estate.unled_households
    estate.members = [ids[f"HM-{tag}-{i}"] for i in range(5)]
    estate.volunteer_id = ids[f"HV-{tag}"]
    estate.leader_id = estate.members[1]
    estate.secretary = estate.account("party_secretary", estate.members[0])
    estate.leader = estate.account("building_leader", estate.leader_id)
    estate.member = estate.account("member", estate.members[4])
    estate.claimants = [estate.account("member", estate.members[i]) for i in (2, 3)]
    estate.owners = estate.account("owners_committee", "")
    estate.property = estate.account("property_company", "")
    # Dispatch knows the neighbourhood, and its leader (who leads what), before a concern arrives.
    wait_for(lambda: estate.call("GET", "/tasks", estate.secretary,
                                 params={"list": "all", "place_id": estate.neighbourhood_id}).status_code == 200,
             timeout_s=30, message="the new neighbourhood in dispatch's replica")
    return estate


def _ids_by_external_id(estate: Estate, neighbourhood_external_id: str, community_id: str) -> dict[str, str]:
    """Entity ids by external id: the neighbourhood, then everything within it."""
    def listed(**params) -> list[dict]:
        response = estate.call("GET", "/directory/entities", estate.admin, params={"page_size": 500, **params})
        assert response.status_code == 200, response.text
        return response.json()["entities"]

    (neighbourhood,) = [e for e in listed(kind="neighbourhood", within=community_id)
                        if e["external_id"] == neighbourhood_external_id] or [None]
    assert neighbourhood is not None, f"no neighbourhood {neighbourhood_external_id}"
    ids = {neighbourhood["external_id"]: neighbourhood["entity_id"]}
    ids.update({e["external_id"]: e["entity_id"] for e in listed(within=neighbourhood["entity_id"])
                if e["external_id"]})
    return ids
