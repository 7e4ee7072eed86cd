"""Open311 GeoReport v2 rules without I/O: rendering JSON and XML, reading dates, filters and
forms, and mapping concerns to service requests and back."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree

import grpc
import pytest
from werkzeug.datastructures import MultiDict

from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1.intake_service_pb2 import Category
from services.gateway.open311.catalogue import definition_of, service_of
from services.gateway.open311.errors import status_of_grpc
from services.gateway.open311.formats import (
    Open311Error,
    errors_body,
    format_of,
    parse_w3c_datetime,
    render,
    w3c_datetime,
)
from services.gateway.open311.mapping import concern_request_of, reporter_name, request_of, submission_from_form
from services.gateway.open311.queries import MAX_REQUESTS, WINDOW, comma_list, request_query

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOISE = Category(code="noise", name_zh="噪音扰民", name_en="Noise")


def _xml(root, body) -> ElementTree.Element:
    content, content_type = render("xml", root, body)
    assert content_type == "text/xml; charset=utf-8"
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(content)


# --- rendering -------------------------------------------------------------------------------

def test_a_list_is_a_json_array_and_an_xml_wrapper_of_items():
    services = [service_of(NOISE)]
    content, content_type = render("json", "services", services)
    assert content_type == "application/json; charset=utf-8"
    assert json.loads(content) == services
    root = _xml("services", services)
    assert root.tag == "services" and [e.tag for e in root] == ["service"]
    assert root.find("service/service_name").text == "噪音扰民"
    assert root.find("service/metadata").text == "true"
    assert root.find("service/type").text == "realtime"


def test_service_definition_nests_attributes_and_values_by_the_spec_names():
    root = _xml("service_definition", definition_of("noise"))
    assert root.find("service_code").text == "noise"
    attributes = root.findall("attributes/attribute")
    assert [a.find("code").text for a in attributes] == ["urgency", "anonymous"]
    assert [a.find("order").text for a in attributes] == ["1", "2"]
    assert all(a.find("required").text == "false" and a.find("datatype").text == "singlevaluelist"
               for a in attributes)
    assert [v.find("key").text for v in attributes[0].findall("values/value")] == ["normal", "urgent"]
    assert [v.find("key").text for v in attributes[1].findall("values/value")] == ["false", "true"]


def test_discovery_lists_endpoints_and_their_formats():
    body = {"changeset": "x", "contact": "c", "key_service": "k", "endpoints": [
        {"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://h/open311/v2", "changeset": "x",
         "type": "production", "formats": ["text/xml", "application/json"]}]}
    root = _xml("discovery", body)
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert json.loads(render("json", "discovery", body)[0])["endpoints"][0]["formats"] == ["text/xml",
                                                                                         "application/json"]


def test_none_is_null_in_json_and_an_empty_element_in_xml():
    body = [{"service_request_id": "c1", "description": None}]
    assert json.loads(render("json", "service_requests", body)[0]) == body
    element = _xml("service_requests", body).find("request/description")
    assert element is not None and element.text is None


def test_characters_xml_cannot_carry_do_not_break_the_document():
    root = _xml("service_requests", [{"description": "楼道\x01堆物 <b>&</b>"}])
    assert root.find("request/description").text == "楼道\ufffd堆物 <b>&</b>"


def test_errors_are_a_list_of_code_and_description():
    body = errors_body(400, ["a", "b"])
    assert body == [{"code": 400, "description": "a"}, {"code": 400, "description": "b"}]
    root = _xml("errors", body)
    assert [(e.find("code").text, e.find("description").text) for e in root.findall("error")] == [("400", "a"),
                                                                                                  ("400", "b")]


@pytest.mark.parametrize("path, fmt", [
    ("/open311/v2/services.xml", "xml"), ("/open311/v2/services/a.b.xml", "xml"),
    ("/open311/v2/services.json", "json"), ("/open311/v2/services.html", "json"), ("/open311/v2/", "json"),
    ("/open311/v2/x.xml/services", "json"),
])
def test_the_format_is_the_paths_extension_and_json_when_it_names_none(path, fmt):
    assert format_of(path) == fmt


@pytest.mark.parametrize("code, status", [
    (grpc.StatusCode.INVALID_ARGUMENT, 400), (grpc.StatusCode.FAILED_PRECONDITION, 400),
    (grpc.StatusCode.NOT_FOUND, 404), (grpc.StatusCode.PERMISSION_DENIED, 403),
    (grpc.StatusCode.UNAUTHENTICATED, 403), (grpc.StatusCode.UNAVAILABLE, 503),
    (grpc.StatusCode.UNIMPLEMENTED, 501), (grpc.StatusCode.INTERNAL, 502),
])
def test_grpc_statuses_map_to_the_specs_http_statuses(code, status):
    assert status_of_grpc(code) == status


# --- dates and filters -----------------------------------------------------------------------

def test_datetimes_are_written_in_utc_to_the_second():
    moment = datetime(2010, 1, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert w3c_datetime(moment) == "2010-01-01T00:00:00Z"


@pytest.mark.parametrize("text, expected", [
    ("2010-01-01T00:00:00Z", datetime(2010, 1, 1, tzinfo=UTC)),
    ("2010-01-01T08:00:00+08:00", datetime(2010, 1, 1, tzinfo=UTC)),
    ("2010-01-01T08:00+08:00", datetime(2010, 1, 1, tzinfo=UTC)),
    ("2010-01-01T08:00:00 08:00", datetime(2010, 1, 1, tzinfo=UTC)),  # "+" unencoded in a query
    ("2010-01-01T00:00:00.5Z", datetime(2010, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
])
def test_w3c_datetimes_with_a_time_zone_are_read(text, expected):
    assert parse_w3c_datetime(text, "start_date") == expected


@pytest.mark.parametrize("text", ["2010-01-01T00:00:00", "2010-01-01", "yesterday", "2010-13-01T00:00:00Z",
                                  "2010-01-01T00:00:00+0800", ""])
def test_other_datetimes_are_refused_naming_the_field(text):
    with pytest.raises(ValueError, match="start_date"):
        parse_w3c_datetime(text, "start_date")


def test_without_dates_the_window_is_the_last_90_days():
    query = request_query({}, NOW)
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)
    assert timedelta(days=90) == WINDOW and MAX_REQUESTS == 1000


def test_one_date_given_spans_90_days_from_it():
    start = request_query({"start_date": "2026-01-01T00:00:00Z"}, NOW)
    assert start.end - start.start == WINDOW
    end = request_query({"end_date": "2026-01-01T00:00:00Z"}, NOW)
    assert end.end == datetime(2026, 1, 1, tzinfo=UTC) and end.end - end.start == WINDOW


def test_service_request_ids_override_every_other_filter():
    query = request_query({"service_request_id": "a, b,a,", "status": "bogus", "start_date": "bad"}, NOW)
    assert query.ids == ("a", "b") and query.start is None and query.states == ()


@pytest.mark.parametrize("args, problem", [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, "more than 90 days"),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before start_date"),
    ({"status": "open,pending"}, "status must be"),
    ({"end_date": "2026-01-01"}, "end_date must be"),
    ({"service_request_id": ",".join(str(i) for i in range(1001))}, "at most 1000"),
    # Once a datetime overflow when filling in the 90-day window or converting to UTC: a 500.
    ({"end_date": "0001-01-01T00:00:00Z"}, "end_date must fall between 1970-01-01 and 9998-10-03"),
    ({"start_date": "9999-12-31T00:00:00Z"}, "start_date must fall between 1970-01-01 and 9998-10-03"),
    # The latest start leaves room for the 90 days filled in after it, within the services' years.
    ({"start_date": "9998-12-15T00:00:00Z"}, "start_date must fall between"),
    ({"start_date": "0001-01-01T00:00:00+01:00"}, "start_date must fall between"),
    ({"start_date": "9999-12-31T23:00:00-05:00", "end_date": "9999-12-31T23:30:00-05:00"}, "end_date must fall"),
])
def test_bad_filters_are_400_naming_the_problem(args, problem):
    with pytest.raises(Open311Error) as refused:
        request_query(args, NOW)
    assert refused.value.status == 400 and any(problem in d for d in refused.value.descriptions)


def test_comma_lists_are_trimmed_without_blanks_or_repeats():
    assert comma_list(" open, closed,,open ") == ("open", "closed")
    assert comma_list(None) == ()


# --- POST: form to concern -------------------------------------------------------------------

def _form(**fields) -> MultiDict:
    base = {"api_key": "k", "service_code": "noise", "description": "楼上装修太吵", "address_id": "n1"}
    return MultiDict({**base, **fields})


def test_a_full_form_becomes_a_concern_of_the_online_channel():
    submission = submission_from_form(_form(**{
        "lat": "24.5", "long": "118.1", "address_string": "3号楼东侧", "first_name": "三", "last_name": "张",
        "phone": "13812345678", "media_url": "https://img.example/1.jpg", "email": "a@b.c", "device_id": "d",
        "account_id": "acc", "attribute[urgency]": "urgent", "attribute[anonymous]": "true"}))
    message = concern_request_of(submission)
    assert message.channel == concern_pb2.CHANNEL_ONLINE
    assert (message.address_id, message.category) == ("n1", "noise"), "intake places it by address_id"
    assert not (message.neighbourhood_id or message.household_id or message.building_id)
    assert (message.urgency, message.anonymous, list(message.photo_urls)) == ("urgent", True,
                                                                              ["https://img.example/1.jpg"])
    assert (message.location.address, message.location.latitude, message.location.longitude) == ("3号楼东侧", 24.5,
                                                                                                  118.1)
    assert (message.reporter.name, message.reporter.phone) == ("张三", "13812345678")
    assert "a@b.c" not in str(message) and "acc" not in str(message)  # accepted, not kept


def test_a_minimal_form_has_no_location_reporter_or_photos():
    message = concern_request_of(submission_from_form(_form()))
    assert message.urgency == "normal" and not message.anonymous
    assert not message.HasField("location") and not message.HasField("reporter") and not message.photo_urls


def test_every_missing_or_bad_field_is_named_at_once():
    form = MultiDict({"lat": "24.5", "media_url": "http://img.example/1.jpg", "attribute[urgency]": "soon",
                      "attribute[colour]": "red"})
    with pytest.raises(Open311Error) as refused:
        submission_from_form(form)
    problems = " | ".join(refused.value.descriptions)
    assert refused.value.status == 400
    for expected in ("service_code is required", "description is required", "address_id is required",
                     "lat and long", "https://", "attribute[urgency] must be one of normal, urgent",
                     "attribute[colour] is not an attribute"):
        assert expected in problems


@pytest.mark.parametrize("fields, problem", [
    ({"attribute[anonymous][]": "true"}, "takes exactly one value"),
    ({"lat": "91", "long": "0"}, "within ±90"),
    ({"attribute[anonymous]": "yes"}, "must be one of false, true"),
])
def test_attribute_and_coordinate_rules(fields, problem):
    with pytest.raises(Open311Error) as refused:
        submission_from_form(_form(**fields))
    assert any(problem in d for d in refused.value.descriptions)


def test_an_attribute_given_twice_is_refused():
    form = _form()
    form.setlist("attribute[urgency]", ["normal", "urgent"])
    with pytest.raises(Open311Error, match="exactly one value"):
        submission_from_form(form)


@pytest.mark.parametrize("first, last, name", [
    ("三", "张", "张三"), ("John", "Smith", "John Smith"), ("", "张", "张"), ("John", "", "John"), ("", "", ""),
])
def test_reporter_names_follow_the_names_own_order(first, last, name):
    assert reporter_name(first, last) == name


# --- GET: concern to request -----------------------------------------------------------------

def _public(**fields) -> concern_pb2.PublicConcern:
    concern = concern_pb2.PublicConcern(
        concern_id="c1", neighbourhood_id="n1", neighbourhood_name="幸福小区", category="noise", status="in_handling",
        description="楼上装修太吵", address="3号楼东侧", latitude=24.5, longitude=118.1,
        photo_urls=["https://img.example/1.jpg", "https://img.example/2.jpg"], status_note="办理中 (in_handling)")
    concern.received_at.FromDatetime(datetime(2026, 2, 1, 8, tzinfo=UTC))
    concern.updated_at.FromDatetime(datetime(2026, 2, 2, 8, tzinfo=UTC))
    concern.MergeFrom(concern_pb2.PublicConcern(**fields))
    return concern


def test_a_public_concern_becomes_a_request_with_the_specs_fields():
    request = request_of(_public(), {"noise": "噪音扰民"})
    assert request == {
        "service_request_id": "c1", "status": "open", "status_notes": "办理中 (in_handling)",
        "service_name": "噪音扰民", "service_code": "noise", "description": "楼上装修太吵",
        "agency_responsible": None, "service_notice": None,
        "requested_datetime": "2026-02-01T08:00:00Z", "updated_datetime": "2026-02-02T08:00:00Z",
        "expected_datetime": None, "address": "3号楼东侧", "address_id": "n1", "zipcode": None,
        "lat": 24.5, "long": 118.1, "media_url": "https://img.example/1.jpg",
    }


def test_a_closed_concern_is_closed_with_intakes_note():
    request = request_of(_public(closed=True, status="archived", status_note="已修复并归档"), {})
    assert (request["status"], request["status_notes"], request["service_name"]) == ("closed", "已修复并归档", "noise")


def test_what_intake_withholds_is_absent_from_the_request():
    """Intake decides what the public may see (services/intake/public.py); the mapping shows what
    it was given, and leaves out what it was not."""
    concern = _public(anonymous=True, address="幸福小区")
    for field in ("description", "latitude", "longitude", "photo_urls"):
        concern.ClearField(field)
    request = request_of(concern, {"noise": "噪音扰民"})
    assert request["description"] is None and request["media_url"] is None
    assert request["lat"] is None and request["long"] is None
    assert request["address"] == "幸福小区" and request["address_id"] == "n1"
