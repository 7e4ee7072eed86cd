"""Open311 GeoReport v2 at /open311/v2 over real HTTP, in JSON and XML: the county's categories as
services, service requests posted with an api_key and found again by id, by filters and by token;
anonymity kept. Discovery, service definitions and bad input, which the gateway answers by itself,
are tested in-process in tests/gateway/test_open311_edges.py."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import requests

from services.intake.public_text import MASK

API = "/open311/v2"
FORMATS = ("json", "xml")
CONTENT_TYPE = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(response, fmt: str, root: str, item: str) -> list[dict]:
    """A list document as dicts; XML values are text (or None), as clients would read them."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == CONTENT_TYPE[fmt]
    if fmt == "json":
        return response.json()
    tree = ElementTree.fromstring(response.content)
    assert tree.tag == root
    return [{child.tag: child.text for child in element} for element in tree.findall(item)]


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


def _name_of(gateway, headers, entity_id) -> str:
    response = requests.get(f"{gateway}/api/v1/directory/entities/{entity_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["name"]


# --- services --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_countys_categories_without_an_api_key(gateway, fmt):
    services = _records(_get(gateway, f"services.{fmt}"), fmt, "services", "service")
    noise = next(s for s in services if s["service_code"] == "noise")
    assert noise["service_name"] and noise["description"]  # zh-CN name, English description
    assert str(noise["metadata"]).lower() == "true" and noise["type"] == "realtime"


# --- the round trip --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_posted_request_is_found_by_id_by_filters_and_by_token(gateway, neighbourhood, api_key, platform, fmt):
    before = datetime.now(UTC) - timedelta(minutes=1)
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
    # Placed by the directory, never by what was typed or the point submitted (privacy in public
    # views): the neighbourhood's name, and no coordinates, since the directory has none for it.
    assert (found["address"], found["address_id"]) == (_name_of(gateway, platform, neighbourhood), neighbourhood)
    assert (found["lat"], found["long"]) == (None, None)
    assert found["media_url"] == "https://img.example/a.jpg"
    assert found["requested_datetime"].endswith("Z") and found["updated_datetime"].endswith("Z")

    services = _records(_get(gateway, "services.json"), "json", "", "")
    other = next(s["service_code"] for s in services if s["service_code"] != "noise")
    window = {"start_date": _w3c(before), "end_date": _w3c(datetime.now(UTC) + timedelta(minutes=1))}

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
    assert concern["location"] == {"address": "2号楼1单元", "latitude": 24.5, "longitude": 118.1}
    assert concern["reporter"]["name"] == "张三" and concern["photo_urls"] == ["https://img.example/a.jpg"]
    assert "zhang@example.com" not in str(concern)  # accepted, not kept


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
    # Ids are random and may hold "502"; no other field may.
    assert shown["address"] != "3号楼2单元502" and "502" not in str({k: v for k, v in shown.items() if "id" not in k})
    assert shown["address_id"] == neighbourhood
    concern = requests.get(f"{gateway}/api/v1/concerns/{created['service_request_id']}", headers=platform,
                           timeout=10).json()
    assert concern["anonymous"] and concern["description"] == "隔壁半夜吵闹，我不想被认出来"  # staff still see it


# --- privacy in public views -----------------------------------------------------------------

WRITTEN = "101室隔壁家夜里一直装修, 电话13812345678"

@pytest.mark.parametrize("fmt", FORMATS)
def test_the_public_sees_a_named_concern_at_its_building_and_staff_see_the_flat(gateway, neighbourhood, sign_in,
                                                                               platform, api_key, fmt):
    """Issue 14: a household's concern about its neighbour, posted with its flat typed out and a
    precise point, and the flat and a phone number written in its description. Open311 shows the
    building (the directory's names) and the building's coordinates, else the neighbourhood's, and
    the description with the flat and the phone masked; the REST API keeps it all for those who
    handle it."""
    admin = sign_in("county.admin")

    def directory(method, path, **body):
        response = requests.request(method, f"{gateway}/api/v1/directory/entities{path}", headers=admin,
                                    json=body, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    # Before anything is posted there, so intake's directory cache has not met it yet.
    place = directory("PATCH", f"/{neighbourhood}", attributes={"latitude": 24.40, "longitude": 118.20})
    located = directory("POST", "", kind="building", name="2号楼", parent_id=neighbourhood,
                        attributes={"number": "2", "latitude": 24.41, "longitude": 118.21})["entity_id"]
    unlocated = directory("POST", "", kind="building", name="3号楼", parent_id=neighbourhood,
                          attributes={"number": "3"})["entity_id"]
    households = [directory("POST", "", kind="household", name=f"{number}号楼101室", parent_id=building,
                            attributes={"door_number": "101"})["entity_id"]
                  for number, building in ((2, located), (3, unlocated))]
    posted = []
    for number, household in zip((2, 3), households, strict=True):
        response = _post(gateway, fmt, api_key, address_id=household, description=WRITTEN,
                         address_string=f"{place['name']}{number}号楼101室", lat="24.412345", long="118.212345")
        (created,) = _records(response, fmt, "service_requests", "request")
        posted.append(created["service_request_id"])

    expected = {posted[0]: (f"{place['name']}2号楼", 24.41, 118.21),  # the building's point
                posted[1]: (f"{place['name']}3号楼", 24.40, 118.20)}  # the building has none: the neighbourhood's
    singles = [_records(_get(gateway, f"requests/{request_id}.{fmt}"), fmt, "service_requests", "request")[0]
               for request_id in posted]
    listed = _records(_get(gateway, f"requests.{fmt}", service_request_id=",".join(posted)), fmt,
                      "service_requests", "request")
    assert sorted(r["service_request_id"] for r in listed) == sorted(posted)
    for shown in (*singles, *listed):
        assert (shown["address"], float(shown["lat"]), float(shown["long"])) == expected[shown["service_request_id"]]
        assert shown["address_id"] == neighbourhood
        assert shown["description"] == f"{MASK}隔壁家夜里一直装修, 电话{MASK}", "the flat and the phone masked"
        assert "101" not in str(shown) and "212345" not in str(shown), "no flat, no submitted point"

    for request_id, household in zip(posted, households, strict=True):
        concern = requests.get(f"{gateway}/api/v1/concerns/{request_id}", headers=platform, timeout=10).json()
        assert concern["household_id"] == household, "staff who handle it see the household"
        assert concern["description"] == WRITTEN, "and the description as written"
        assert concern["location"]["address"].endswith("号楼101室")
        assert (concern["location"]["latitude"], concern["location"]["longitude"]) == (24.412345, 118.212345)
