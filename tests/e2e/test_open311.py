"""Open311 GeoReport v2 at /open311/v2 over real HTTP, in JSON and XML: discovery, services and
their definitions, service requests posted with an api_key and found again by id, by filters and
by token; bad input refused in the spec's error format, creating nothing; anonymity kept."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest
import requests

from tests.kafka_helpers import wait_for

API = "/open311/v2"
FORMATS = ("json", "xml")
CONTENT_TYPE = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _w3c(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(response, fmt: str, root: str, item: str) -> list[dict]:
    """A list document as dicts; XML values are text (or None), as clients would read them."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == CONTENT_TYPE[fmt]
    if fmt == "json":
        return response.json()
    tree = ElementTree.fromstring(response.content)
    assert tree.tag == root
    return [{child.tag: child.text for child in element} for element in tree.findall(item)]


def _errors(response, fmt: str) -> list[tuple[int, str]]:
    assert response.headers["Content-Type"] == CONTENT_TYPE[fmt], response.text
    if fmt == "json":
        return [(e["code"], e["description"]) for e in response.json()]
    tree = ElementTree.fromstring(response.content)
    assert tree.tag == "errors"
    return [(int(e.find("code").text), e.find("description").text) for e in tree.findall("error")]


@pytest.fixture(scope="session")
def api_key(credentials) -> str:
    return credentials["api_key"]["api_key"]


def _post(gateway, fmt, key, **fields):
    """POST a form that is complete unless `fields` changes it (None leaves a field out)."""
    body = {"api_key": key, "service_code": "noise", "description": f"楼道里堆满杂物 {uuid.uuid4().hex[:8]}"}
    body.update(fields)
    return requests.post(f"{gateway}{API}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None},
                         timeout=10)


def _get(gateway, path, **params):
    return requests.get(f"{gateway}{API}/{path}", params=params, timeout=10)


def _concerns_in(gateway, neighbourhood, since: datetime) -> list[dict]:
    found = _records(_get(gateway, "requests.json", start_date=_w3c(since)), "json", "", "")
    return [r for r in found if r["address_id"] == neighbourhood]


# --- discovery and services ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_points_at_this_endpoint_in_both_formats(gateway, fmt):
    response = _get(gateway, f"discovery.{fmt}")
    assert response.status_code == 200 and response.headers["Content-Type"] == CONTENT_TYPE[fmt]
    if fmt == "json":
        endpoint = response.json()["endpoints"][0]
        formats = endpoint["formats"]
        assert response.json()["changeset"] and response.json()["key_service"]
    else:
        tree = ElementTree.fromstring(response.content)
        assert tree.tag == "discovery" and tree.find("changeset").text and tree.find("contact").text
        endpoint = {e.tag: e.text for e in tree.find("endpoints/endpoint")}
        formats = [f.text for f in tree.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{gateway}{API}" and endpoint["type"] == "production"
    assert set(formats) == {"text/xml", "application/json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_countys_categories_without_an_api_key(gateway, fmt):
    services = _records(_get(gateway, f"services.{fmt}"), fmt, "services", "service")
    noise = next(s for s in services if s["service_code"] == "noise")
    assert noise["service_name"] and noise["description"]  # zh-CN name, English description
    assert str(noise["metadata"]).lower() == "true" and noise["type"] == "realtime"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_offers_urgency_and_anonymity(gateway, fmt):
    response = _get(gateway, f"services/noise.{fmt}", jurisdiction_id="lianyi")
    assert response.status_code == 200 and response.headers["Content-Type"] == CONTENT_TYPE[fmt]
    if fmt == "json":
        definition = response.json()
        codes = {a["code"]: [v["key"] for v in a["values"]] for a in definition["attributes"]}
        assert definition["service_code"] == "noise"
    else:
        tree = ElementTree.fromstring(response.content)
        assert tree.tag == "service_definition" and tree.find("service_code").text == "noise"
        codes = {a.find("code").text: [v.find("key").text for v in a.findall("values/value")]
                 for a in tree.findall("attributes/attribute")}
    assert codes == {"urgency": ["normal", "urgent"], "anonymous": ["false", "true"]}


# --- the round trip --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_posted_request_is_found_by_id_by_filters_and_by_token(gateway, neighbourhood, api_key, platform, fmt):
    before = datetime.now(timezone.utc) - timedelta(minutes=1)
    marker = uuid.uuid4().hex
    response = _post(gateway, fmt, api_key, address_id=neighbourhood, description=f"楼道里堆满杂物 {marker}",
                     lat="24.5", long="118.1", address_string="2号楼1单元", media_url="https://img.example/a.jpg",
                     first_name="三", last_name="张", phone="13812345678", email="zhang@example.com",
                     jurisdiction_id="lianyi", **{"attribute[urgency]": "urgent"})
    (created,) = _records(response, fmt, "service_requests", "request")
    request_id = created["service_request_id"]
    assert created["service_notice"] and "token" not in created

    (found,) = _records(_get(gateway, f"requests/{request_id}.{fmt}"), fmt, "service_requests", "request")
    assert (found["service_request_id"], found["status"], found["service_code"]) == (request_id, "open", "noise")
    assert found["service_name"] and found["status_notes"]
    assert marker in found["description"]
    assert (found["address"], found["address_id"]) == ("2号楼1单元", neighbourhood)
    assert (float(found["lat"]), float(found["long"])) == (24.5, 118.1)
    assert found["media_url"] == "https://img.example/a.jpg"
    assert found["requested_datetime"].endswith("Z") and found["updated_datetime"].endswith("Z")

    services = _records(_get(gateway, "services.json"), "json", "", "")
    other = next(s["service_code"] for s in services if s["service_code"] != "noise")
    window = {"start_date": _w3c(before), "end_date": _w3c(datetime.now(timezone.utc) + timedelta(minutes=1))}

    def ids(**params) -> list[str]:
        return [r["service_request_id"]
                for r in _records(_get(gateway, f"requests.{fmt}", **params), fmt, "service_requests", "request")]

    assert request_id in ids(service_code="noise", status="open", **window)
    assert request_id in ids(service_code=f"{other},noise", status="open,closed", **window)
    assert request_id in ids(start_date=window["start_date"])  # 90 days from it
    assert request_id in ids()  # the last 90 days
    assert request_id not in ids(service_code=other, **window)
    assert request_id not in ids(status="closed", **window)
    assert request_id not in ids(start_date=_w3c(before - timedelta(days=2)), end_date=_w3c(before))
    # Explicit ids override every other filter, as the spec says.
    assert ids(service_request_id=f"{request_id}, 0000-no-such-id", service_code=other, status="closed") == [request_id]

    token = _records(_get(gateway, f"tokens/{request_id}.{fmt}"), fmt, "service_requests", "request")
    assert token == [{"service_request_id": request_id, "token": request_id}]

    concern = requests.get(f"{gateway}/api/v1/concerns/{request_id}", headers=platform, timeout=10).json()
    assert (concern["channel"], concern["urgency"], concern["neighbourhood_id"]) == ("online", "urgent", neighbourhood)
    assert concern["reporter"]["name"] == "张三" and concern["photo_urls"] == ["https://img.example/a.jpg"]
    assert "zhang@example.com" not in str(concern)  # accepted, not kept


def test_the_api_key_may_also_come_in_the_x_api_key_header(gateway, neighbourhood, api_key):
    response = requests.post(f"{gateway}{API}/requests.json", headers={"X-Api-Key": api_key}, timeout=10,
                             data={"service_code": "noise", "description": "电梯坏了", "address_id": neighbourhood})
    assert response.status_code == 200, response.text
    assert response.json()[0]["service_request_id"]


def test_a_household_or_building_address_id_places_the_concern_there(gateway, neighbourhood, sign_in, platform,
                                                                     api_key):
    admin = sign_in("county.admin")

    def create(kind, parent, name):
        response = requests.post(f"{gateway}/api/v1/directory/entities", headers=admin, timeout=10,
                                 json={"kind": kind, "name": name, "parent_id": parent})
        assert response.status_code == 201, response.text
        return response.json()["entity_id"]

    building = create("building", neighbourhood, "1号楼")
    household = create("household", building, "1号楼101室")
    (created,) = _post(gateway, "json", api_key, address_id=household).json()
    concern = requests.get(f"{gateway}/api/v1/concerns/{created['service_request_id']}", headers=platform,
                           timeout=10).json()
    assert (concern["neighbourhood_id"], concern["building_id"], concern["household_id"]) == (
        neighbourhood, building, household)
    (hallway,) = _post(gateway, "json", api_key, address_id=building).json()
    concern = requests.get(f"{gateway}/api/v1/concerns/{hallway['service_request_id']}", headers=platform,
                           timeout=10).json()
    assert (concern["building_id"], concern["household_id"]) == (building, None)
    (public,) = _get(gateway, f"requests/{created['service_request_id']}.json").json()
    assert public["address_id"] == neighbourhood  # the household is never shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_anonymous_request_shows_no_description_address_or_media(gateway, neighbourhood, api_key, platform, fmt):
    response = _post(gateway, fmt, api_key, address_id=neighbourhood, description="隔壁半夜吵闹，我不想被认出来",
                     address_string="3号楼2单元502", lat="24.5", long="118.1", media_url="https://img.example/b.jpg",
                     **{"attribute[anonymous]": "true"})
    (created,) = _records(response, fmt, "service_requests", "request")
    (shown,) = _records(_get(gateway, f"requests/{created['service_request_id']}.{fmt}"), fmt, "service_requests",
                        "request")
    assert not shown["description"] and not shown["media_url"] and not shown["lat"] and not shown["long"]
    assert shown["address"] != "3号楼2单元502" and "502" not in str(shown)
    assert shown["address_id"] == neighbourhood
    concern = requests.get(f"{gateway}/api/v1/concerns/{created['service_request_id']}", headers=platform,
                           timeout=10).json()
    assert concern["anonymous"] and concern["description"] == "隔壁半夜吵闹，我不想被认出来"  # staff still see it


# --- bad input -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quiet_neighbourhood(gateway, credentials, sign_in, platform) -> str:
    """A neighbourhood no request is ever accepted into, so anything found in it was wrongly created."""
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    response = requests.post(f"{gateway}/api/v1/directory/entities", headers=sign_in("county.admin"), timeout=30,
                             json={"kind": "neighbourhood", "name": f"静默小区{uuid.uuid4().hex[:6]}",
                                   "parent_id": community})
    assert response.status_code == 201, response.text
    neighbourhood_id = response.json()["entity_id"]
    wait_for(lambda: requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood_id}/pool", headers=platform,
                                  timeout=10).status_code == 200, timeout_s=30, message="the replica")
    return neighbourhood_id


def _community(credentials) -> str:
    return next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")


BAD_POSTS = [
    ("no api_key", "json", {"api_key": None}, 403, "api_key is required"),
    ("invalid api_key", "xml", {"api_key": "lk_not-a-real-key"}, 403, "invalid api_key"),
    ("no service_code", "json", {"service_code": None}, 400, "service_code is required"),
    ("no description", "xml", {"description": None}, 400, "description is required"),
    ("only lat/long", "json", {"address_id": None, "lat": "24.5", "long": "118.1"}, 400, "address_id is required"),
    ("unknown service_code", "xml", {"service_code": "weather"}, 404, "service_code 'weather' was not found"),
    ("address_id not in the directory", "json", {"address_id": "no-such-place"}, 400,
     "not a neighbourhood, building or household"),
    ("address_id of a community", "xml", {"address_id": "COMMUNITY"}, 400, "is a community"),
    ("http media_url", "json", {"media_url": "http://img.example/a.jpg"}, 400, "https://"),
    ("unknown urgency", "xml", {"attribute[urgency]": "soon"}, 400, "attribute[urgency] must be one of"),
    ("unknown attribute", "json", {"attribute[colour]": "red"}, 400, "attribute[colour] is not an attribute"),
    ("wrong jurisdiction", "xml", {"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id 'sfgov.org' was not found"),
    ("half a coordinate", "json", {"lat": "24.5"}, 400, "lat and long"),
]


@pytest.mark.parametrize("case, fmt, fields, status, description", BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
def test_a_bad_post_is_a_clear_error_in_the_specs_format_and_creates_nothing(
        gateway, quiet_neighbourhood, api_key, credentials, case, fmt, fields, status, description):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    fields = {"address_id": quiet_neighbourhood, **fields}
    if fields.get("address_id") == "COMMUNITY":
        fields["address_id"] = _community(credentials)
    response = _post(gateway, fmt, api_key, **fields)
    assert response.status_code == status, response.text
    errors = _errors(response, fmt)
    assert all(code == status for code, _ in errors)
    assert any(description in text for _, text in errors), errors
    assert _concerns_in(gateway, quiet_neighbourhood, before) == []


BAD_READS = [
    ("GET", "requests.json", {"start_date": "yesterday"}, 400, "start_date must be a W3C datetime"),
    ("GET", "requests.xml", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400,
     "more than 90 days"),
    ("GET", "requests.json", {"status": "pending"}, 400, "status must be"),
    ("GET", "requests.json", {"end_date": "0001-01-01T00:00:00Z"}, 400, "end_date must fall between"),
    ("GET", "requests.xml", {"start_date": "9999-12-31T00:00:00Z"}, 400, "start_date must fall between"),
    ("GET", "requests.xml", {"service_code": "weather"}, 404, "service_code 'weather' was not found"),
    ("GET", "services.html", {}, 404, "every resource ends in .json or .xml"),
    ("GET", "services.xml", {"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id 'sfgov.org' was not found"),
    ("GET", "services/weather.xml", {}, 404, "service_code 'weather' was not found"),
    ("GET", "requests/0000-no-such-id.json", {}, 404, "was not found"),
    ("GET", "tokens/0000-no-such-token.xml", {}, 404, "token '0000-no-such-token' was not found"),
    ("GET", "no/such/thing", {}, 404, "no such resource"),
    ("DELETE", "requests.xml", {}, 405, "DELETE is not allowed here"),
    ("PUT", "services/noise.json", {}, 405, "use GET"),
]


@pytest.mark.parametrize("method, path, params, status, description", BAD_READS,
                         ids=[f"{c[0]} {c[1]} {c[3]}" for c in BAD_READS])
def test_a_bad_read_is_a_clear_error_in_the_specs_format(gateway, method, path, params, status, description):
    response = requests.request(method, f"{gateway}{API}/{path}", params=params, timeout=10)
    assert response.status_code == status, response.text
    errors = _errors(response, "xml" if path.endswith(".xml") else "json")
    assert all(code == status for code, _ in errors)
    assert any(description in text for _, text in errors), errors


def test_a_json_body_and_an_oversized_body_are_refused_in_the_specs_format(gateway, quiet_neighbourhood, api_key):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    as_json = requests.post(f"{gateway}{API}/requests.xml", timeout=10, json={
        "api_key": api_key, "service_code": "noise", "description": "x", "address_id": quiet_neighbourhood})
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in _errors(as_json, "xml")[0][1]
    oversized = _post(gateway, "json", api_key, address_id=quiet_neighbourhood, description="噪" * 40_000)
    assert oversized.status_code == 413
    assert "larger than" in _errors(oversized, "json")[0][1]
    assert _concerns_in(gateway, quiet_neighbourhood, before) == []


def test_every_bad_field_is_reported_at_once(gateway, api_key):
    response = requests.post(f"{gateway}{API}/requests.json", timeout=10,
                             data={"api_key": api_key, "media_url": "http://x.example/a.jpg"})
    descriptions = " | ".join(text for _, text in _errors(response, "json"))
    assert response.status_code == 400
    for field in ("service_code", "description", "address_id", "media_url"):
        assert field in descriptions
