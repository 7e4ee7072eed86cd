"""A neighbourhood of its own for a deliberation test, built through the gateway as a county
would: imported into the demo county's 南门社区 with a building of households and a party
organisation of members of every kind, a party secretary's account, and households signed in with
access codes. Counts in it (households, votes, figures) are the test's alone."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from services.contract import COUNTY_TIME
from tests.kafka_helpers import wait_for

KINDS = ("serving", "retired_cadre", "floating", "resident", "serving", "retired_cadre", "floating")
PASSWORD = "a long enough password"


def county_day(days_from_today: int) -> str:
    """A day (YYYY-MM-DD) so many days from today in the county's time: meeting days and deadlines
    that stay ahead of whenever the test runs (a deadline before the meeting is refused)."""
    return (datetime.now(COUNTY_TIME).date() + timedelta(days=days_from_today)).isoformat()


@dataclass
class Neighbourhood:
    gateway: str
    admin: dict  # the county administrator's headers
    neighbourhood_id: str = ""
    households: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    secretary: dict = field(default_factory=dict)  # headers
    member: dict = field(default_factory=dict)  # headers of members[1]
    _residents: dict[int, dict] = field(default_factory=dict)
    _usernames: dict[str, str] = field(default_factory=dict)  # role: username

    def call(self, method: str, path: str, headers: dict, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.gateway}/api/v1{path}", headers=headers, timeout=30, **kwargs)

    def resident(self, i: int) -> dict:
        """Headers of household i, signed in with an access code the secretary issued."""
        if i not in self._residents:
            issued = self.call("POST", "/access-codes", self.secretary, json={"household_id": self.households[i]})
            assert issued.status_code == 201, issued.text
            signed = requests.post(f"{self.gateway}/api/v1/auth/token", timeout=30,
                                   json={"access_code": issued.json()["access_code"]})
            assert signed.status_code == 200, signed.text
            self._residents[i] = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        return self._residents[i]

    def account(self, role: str, entity_id: str) -> dict:
        username = f"{role[:10]}.{uuid.uuid4().hex[:10]}"
        created = self.call("POST", "/accounts", self.admin, json={
            "username": username, "password": PASSWORD, "role": role, "scope_id": self.neighbourhood_id,
            "entity_id": entity_id, "display_name": f"{role} of the test"})
        assert created.status_code == 201, created.text
        self._usernames[role] = username
        return self._signed_in(username)

    def _signed_in(self, username: str) -> dict:
        signed = requests.post(f"{self.gateway}/api/v1/auth/token", timeout=30,
                               json={"username": username, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        return {"Authorization": f"Bearer {signed.json()['access_token']}"}

    def sign_in_again(self, admin: dict) -> None:
        """Fresh tokens for everyone (after the clock moved past their expiry)."""
        self.admin = admin
        self.secretary = self._signed_in(self._usernames["party_secretary"])
        self.member = self._signed_in(self._usernames["member"])
        self._residents.clear()


def build(gateway: str, admin: dict, community_admin: dict, community_id: str, households: int = 10
          ) -> Neighbourhood:
    tag = uuid.uuid4().hex[:8]
    rows = [{"kind": "neighbourhood", "external_id": f"DN-{tag}", "parent_external_id": "CM1",
             "name": f"议事小区{tag}"},
            {"kind": "building", "external_id": f"DB-{tag}", "parent_external_id": f"DN-{tag}", "name": "1号楼"},
            {"kind": "party_org", "external_id": f"DPO-{tag}", "parent_external_id": f"DN-{tag}", "name": "党支部"}]
    rows += [{"kind": "household", "external_id": f"DH-{tag}-{i}", "parent_external_id": f"DB-{tag}",
              "name": f"1号楼{i + 1:02d}室"} for i in range(households)]
    rows += [{"kind": "member", "external_id": f"DM-{tag}-{i}", "parent_external_id": f"DPO-{tag}",
              "name": f"党员{i}", "attributes": {"member_kind": kind}} for i, kind in enumerate(KINDS)]
    imported = requests.post(f"{gateway}/api/v1/directory/import", headers=admin, json={"rows": rows}, timeout=60)
    assert imported.status_code == 200, imported.text
    assert {o["outcome"] for o in imported.json()["outcomes"]} == {"created"}, imported.text
    place = Neighbourhood(gateway, admin)
    place.neighbourhood_id = _entity_ids(place, "neighbourhood", f"DN-{tag}", community_id)[0]
    place.households = _entity_ids(place, "household", f"DH-{tag}-")
    place.members = _entity_ids(place, "member", f"DM-{tag}-")
    # Concerns raised here go to its pool on arrival (a rule its community's administrator sets).
    rule = place.call("PUT", "/triage-rules", community_admin, json={
        "scope_id": place.neighbourhood_id, "category": "*", "route": "deliberation"})
    assert rule.status_code == 200, rule.text
    place.secretary = place.account("party_secretary", place.members[0])
    place.member = place.account("member", place.members[1])
    # Its households and members reach deliberation's replica in their own time (the directory
    # topic is keyed by entity): tests wait for the counts they need where they need them.
    wait_for(lambda: place.call("GET", f"/neighbourhoods/{place.neighbourhood_id}/pool", place.secretary).status_code
             == 200, timeout_s=30, message="the new neighbourhood in deliberation's replica")
    return place


def _entity_ids(place: Neighbourhood, kind: str, external_prefix: str, within: str = "") -> list[str]:
    """Ids of the entities of `kind` whose external id starts so, in external id order."""
    listed = place.call("GET", "/directory/entities", place.admin,
                        params={"kind": kind, "page_size": 500, "within": within or place.neighbourhood_id})
    assert listed.status_code == 200, listed.text
    found = sorted((e["external_id"], e["entity_id"]) for e in listed.json()["entities"]
                   if (e["external_id"] or "").startswith(external_prefix))
    return [entity_id for _, entity_id in sorted(found, key=lambda pair: int(pair[0].rsplit("-", 1)[-1])
                                                 if pair[0].rsplit("-", 1)[-1].isdigit() else 0)]
