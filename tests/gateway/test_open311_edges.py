"""Open311 GeoReport v2 as the gateway answers it by itself, in JSON and XML: discovery and service
definitions, and bad input refused in the spec's error format (never problem+json), creating
nothing. Round trips through intake stay end to end (tests/e2e/test_open311.py)."""
from __future__ import annotations

from xml.etree import ElementTree

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from servicekit import auth
from tests.gateway.answers import OPEN311_TYPES, open311_errors
from tests.gateway.callers import PLATFORM_KEY, bearer
from tests.gateway.canned import COMMUNITY, COUNTY, N1, N1_PATH, TOWNSHIP, categories, concern, entity
from tests.gateway.conftest import MAX_BODY_BYTES
from tests.gateway.fakes import FakeRpcError

API = "/open311/v2"
PLACES = {N1: entity("neighbourhood", N1, N1_PATH[:-1]), COMMUNITY: entity("community", COMMUNITY, (COUNTY, TOWNSHIP))}


@pytest.fixture
def intake(fake, platform):
    """Intake as Open311 needs it: the county's categories, its directory, no public concerns yet."""
    def place(request):
        if request.entity_id not in PLACES:
            raise FakeRpcError(grpc.StatusCode.NOT_FOUND, f"no directory entity {request.entity_id}")
        return PLACES[request.entity_id]

    fake.intake.ListCategories.returns(categories())
    fake.directory.GetEntity.returns(place)
    fake.intake.ListPublicConcerns.returns(intake_pb.ListPublicConcernsResponse())
    return fake


def _form(**fields) -> dict:
    """A form that is complete unless `fields` changes it (None leaves a field out)."""
    body = {"api_key": PLATFORM_KEY, "service_code": "noise", "description": "楼道里堆满杂物", "address_id": N1,
            **fields}
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_points_at_this_endpoint_in_both_formats(client, fake, fmt):
    response = client.get(f"{API}/discovery.{fmt}")
    assert response.status_code == 200 and response.headers["Content-Type"] == OPEN311_TYPES[fmt]
    if fmt == "json":
        endpoint = response.get_json()["endpoints"][0]
        formats = endpoint["formats"]
        assert response.get_json()["changeset"] and response.get_json()["key_service"]
    else:
        tree = ElementTree.fromstring(response.data)
        assert tree.tag == "discovery" and tree.find("changeset").text and tree.find("contact").text
        endpoint = {e.tag: e.text for e in tree.find("endpoints/endpoint")}
        formats = [f.text for f in tree.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"http://localhost{API}" and endpoint["type"] == "production"
    assert set(formats) == {"text/xml", "application/json"}
    assert fake.calls == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_offers_urgency_and_anonymity(client, intake, fmt):
    response = client.get(f"{API}/services/noise.{fmt}", query_string={"jurisdiction_id": "lianyi"})
    assert response.status_code == 200 and response.headers["Content-Type"] == OPEN311_TYPES[fmt]
    if fmt == "json":
        definition = response.get_json()
        codes = {a["code"]: [v["key"] for v in a["values"]] for a in definition["attributes"]}
        assert definition["service_code"] == "noise"
    else:
        tree = ElementTree.fromstring(response.data)
        assert tree.tag == "service_definition" and tree.find("service_code").text == "noise"
        codes = {a.find("code").text: [v.find("key").text for v in a.findall("values/value")]
                 for a in tree.findall("attributes/attribute")}
    assert codes == {"urgency": ["normal", "urgent"], "anonymous": ["false", "true"]}


def test_the_api_key_may_also_come_in_the_x_api_key_header(client, intake):
    intake.intake.SubmitConcern.returns(concern("concern-0042"))
    response = client.post(f"{API}/requests.json", headers={"X-Api-Key": PLATFORM_KEY},
                           data=_form(api_key=None, description="电梯坏了"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()[0]["service_request_id"] == "concern-0042"
    assert [c.request.api_key for c in intake.accounts.AuthenticateApiKey.calls] == [PLATFORM_KEY]
    (submitted,) = intake.intake.SubmitConcern.calls
    assert (submitted.request.address_id, submitted.request.description) == (N1, "电梯坏了"), \
        "intake places the concern by its address_id"


BAD_POSTS = [
    ("no api_key", "json", {"api_key": None}, 403, "api_key is required"),
    ("invalid api_key", "xml", {"api_key": "lk_not-a-real-key"}, 403, "invalid api_key"),
    ("no service_code", "json", {"service_code": None}, 400, "service_code is required"),
    ("no description", "xml", {"description": None}, 400, "description is required"),
    ("only lat/long", "json", {"address_id": None, "lat": "24.5", "long": "118.1"}, 400, "address_id is required"),
    ("unknown service_code", "xml", {"service_code": "weather"}, 404, "service_code 'weather' was not found"),
    ("http media_url", "json", {"media_url": "http://img.example/a.jpg"}, 400, "https://"),
    ("unknown urgency", "xml", {"attribute[urgency]": "soon"}, 400, "attribute[urgency] must be one of"),
    ("unknown attribute", "json", {"attribute[colour]": "red"}, 400, "attribute[colour] is not an attribute"),
    ("wrong jurisdiction", "xml", {"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id 'sfgov.org' was not found"),
    ("half a coordinate", "json", {"lat": "24.5"}, 400, "lat and long"),
]


@pytest.mark.parametrize("case, fmt, fields, status, description", BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
def test_a_bad_post_is_a_clear_error_in_the_specs_format_and_creates_nothing(client, intake, case, fmt, fields,
                                                                             status, description):
    response = client.post(f"{API}/requests.{fmt}", data=_form(**fields))
    assert response.status_code == status, response.get_data(as_text=True)
    errors = open311_errors(response, fmt)
    assert all(code == status for code, _ in errors)
    assert any(description in text for _, text in errors), errors
    assert intake.writes() == []


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
def test_a_bad_read_is_a_clear_error_in_the_specs_format(client, intake, method, path, params, status, description):
    response = client.open(f"{API}/{path}", method=method, query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)
    errors = open311_errors(response, "xml" if path.endswith(".xml") else "json")
    assert all(code == status for code, _ in errors)
    assert any(description in text for _, text in errors), errors
    if status == 405:
        assert response.headers["Allow"] == ("GET, POST" if path == "requests.xml" else "GET")


def test_a_json_body_and_an_oversized_body_are_refused_in_the_specs_format(client, intake):
    as_json = client.post(f"{API}/requests.xml", json=_form())
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in open311_errors(as_json, "xml")[0][1]
    oversized = client.post(f"{API}/requests.json", data=_form(description="噪" * (MAX_BODY_BYTES // 3 + 1)))
    assert oversized.status_code == 413
    assert "larger than" in open311_errors(oversized, "json")[0][1]
    assert intake.writes() == []


def test_every_bad_field_is_reported_at_once(client, intake):
    response = client.post(f"{API}/requests.json", data={"api_key": PLATFORM_KEY,
                                                           "media_url": "http://x.example/a.jpg"})
    descriptions = " | ".join(text for _, text in open311_errors(response, "json"))
    assert response.status_code == 400
    for field in ("service_code", "description", "address_id", "media_url"):
        assert field in descriptions
    assert intake.writes() == []


@pytest.mark.parametrize("fmt, address_id, refusal", [
    ("json", "no-such-place", "address_id 'no-such-place' is not a neighbourhood, building or household in the "
                              "county's directory"),
    ("xml", COMMUNITY, f"address_id {COMMUNITY} is a community; it must be a neighbourhood, a building or a household"),
])
def test_an_address_intake_cannot_place_is_a_400_with_intakes_reason(client, intake, fmt, address_id, refusal):
    """Where an address_id puts a concern is intake's to decide (tested there); Open311 passes
    the address on and answers intake's refusal in the spec's format."""
    intake.intake.SubmitConcern.returns(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, refusal))
    response = client.post(f"{API}/requests.{fmt}", data=_form(address_id=address_id))
    assert response.status_code == 400
    assert open311_errors(response, fmt) == [(400, refusal)]
    (asked,) = intake.intake.SubmitConcern.calls
    assert asked.request.address_id == address_id and not asked.request.neighbourhood_id


# --- privacy in public views -----------------------------------------------------------------

def _public_concern():
    """A named concern as intake's public view gives it (services/intake/public.py, tested there
    and end to end): the household raised it from 幸福小区2号楼101室, but the public view says
    only the building, with the building's coordinates from the directory."""
    at = Timestamp(seconds=1_793_000_000)
    return concern_pb2.PublicConcern(concern_id="concern-0001", neighbourhood_id=N1, neighbourhood_name="幸福小区",
                                     category="noise", status="in_handling", description="楼上夜里装修",
                                     address="幸福小区2号楼", latitude=24.41, longitude=118.21,
                                     status_note="办理中 (in_handling)", received_at=at, updated_at=at)


def _read(response, fmt: str) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "json":
        return response.get_json()
    tree = ElementTree.fromstring(response.data)
    return [{child.tag: child.text for child in element} for element in tree.findall("request")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["requests", "requests/concern-0001"])
@pytest.mark.parametrize("caller", ["nobody", "party_secretary", "integration"])
def test_open311_reads_are_public_for_everyone_and_show_the_building_not_the_flat(client, intake, platform, fmt,
                                                                                  path, caller):
    """Every Open311 read is a public view, whoever asks: even a role that handles the concern
    (services/contract.py CONTACT_ROLES) is read intake's public view, without its credentials;
    the flat and the submitted point stay in the staff REST API (/api/v1/concerns)."""
    intake.intake.ListPublicConcerns.returns(intake_pb.ListPublicConcernsResponse(concerns=[_public_concern()]))
    headers = {"nobody": {}, "party_secretary": bearer("party_secretary"), "integration": platform}[caller]
    (shown,) = _read(client.get(f"{API}/{path}.{fmt}", headers=headers), fmt)
    assert (shown["address"], shown["address_id"]) == ("幸福小区2号楼", N1)
    assert (float(shown["lat"]), float(shown["long"])) == (24.41, 118.21)
    assert "101" not in str(shown)
    asked = [call for call in intake.calls if call.method == "ListPublicConcerns"]
    assert asked and all(auth.PRINCIPAL_HEADER not in call.metadata for call in asked), "asked as the public"
