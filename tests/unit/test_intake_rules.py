"""Intake's rules for accepting a concern, and how contact details are masked."""
from datetime import UTC, datetime

import pytest

from servicekit.errors import InvalidArgument
from services.intake.domain import DESCRIPTION_MAX_CHARS, ReporterContact, SubmitConcern, masked_phone, receive

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _receive(open_categories=("noise",), **fields):
    cmd = SubmitConcern(**{"neighbourhood_id": "nb-1", "channel": "online", "category": "noise",
                           "description": "楼上装修太吵", **fields})
    return receive(cmd, concern_id="c1", received_at=NOW, category_is_open=lambda c: c in open_categories)


def test_a_valid_concern_is_received_with_trimmed_description():
    concern = _receive(description="  楼道堆放杂物  ")
    assert concern.status == "received"
    assert concern.description == "楼道堆放杂物"
    assert concern.received_at == NOW


@pytest.mark.parametrize("fields, problem", [
    ({"neighbourhood_id": ""}, "neighbourhood_id"),
    ({"neighbourhood_id": "has space"}, "neighbourhood_id"),
    ({"household_id": "../etc"}, "household_id"),
    ({"channel": "phone"}, "channel"),
    ({"description": "   "}, "description must not be empty"),
    ({"description": "x" * (DESCRIPTION_MAX_CHARS + 1)}, "longer than"),
    ({"reporter": ReporterContact("王", "not-a-phone")}, "phone"),
    ({"category": "weather"}, "category 'weather'"),
])
def test_a_concern_breaking_a_rule_is_refused_with_the_reason(fields, problem):
    with pytest.raises(InvalidArgument, match=problem):
        _receive(**fields)


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidArgument) as refused:
        _receive(neighbourhood_id="", channel="fax", description="")
    assert refused.value.detail.count(";") == 2


def test_an_empty_reporter_is_no_reporter():
    assert _receive(reporter=ReporterContact("", "")).reporter is None


@pytest.mark.parametrize("phone, masked", [
    ("13812345678", "138****5678"),
    ("+86 138-1234-5678", "*********5678"),
    ("8765432", "***5432"),
    ("1234", "****"),
])
def test_phone_numbers_keep_only_the_last_four_digits(phone, masked):
    assert masked_phone(phone) == masked


def test_urgency_location_photos_and_anonymity_are_kept():
    from services.intake.domain import Location

    concern = _receive(urgency="urgent", location=Location("3号楼东侧", 26.08, 119.3), anonymous=True,
                       photo_urls=("https://img.example/1.jpg",))
    assert (concern.urgency, concern.location.latitude, concern.anonymous) == ("urgent", 26.08, True)
    assert _receive(location=Location()).location is None


@pytest.mark.parametrize("fields, problem", [
    ({"urgency": "whenever"}, "urgency"),
    ({"photo_urls": ("http://insecure.example/1.jpg",)}, "https://"),
    ({"photo_urls": tuple(f"https://img.example/{n}.jpg" for n in range(6))}, "at most 5"),
])
def test_concern_details_breaking_a_rule_are_refused(fields, problem):
    with pytest.raises(InvalidArgument, match=problem):
        _receive(**fields)


def test_a_location_needs_both_coordinates_within_range():
    from services.intake.domain import Location

    with pytest.raises(InvalidArgument, match="both latitude and longitude"):
        _receive(location=Location("x", 26.0, None))
    with pytest.raises(InvalidArgument, match="within"):
        _receive(location=Location("x", 95.0, 119.0))
