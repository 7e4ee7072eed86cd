"""What the public may see of a concern (services/intake/public.py): decided once, in intake."""
from datetime import UTC, datetime

import pytest

from servicekit.errors import InvalidArgument
from services.intake.directory.domain import Entity
from services.intake.domain import Concern, Location, ReporterContact
from services.intake.public import Place, address_of, place_of, redacted, shown, statuses_of

T0 = datetime(2026, 2, 1, 8, tzinfo=UTC)
NEIGHBOURHOOD = Place("幸福小区", (24.40, 118.20))
BUILDING = Place("2号楼", (24.41, 118.21))
FLAT = Location("幸福小区2号楼101室", 24.412345, 118.212345)


def _concern(**fields) -> Concern:
    base = dict(concern_id="c1", neighbourhood_id="n1", household_id="h1", building_id="b2", channel="online",
                category="noise", description="楼上装修太吵", reporter=ReporterContact("王阿姨", "13812345678"),
                status="in_handling", received_at=T0, location=FLAT, photo_urls=("https://img.example/1.jpg",))
    return Concern(**{**base, **fields})


def test_the_public_never_sees_a_household_a_reporter_or_the_submitted_location():
    public = redacted(_concern())
    assert (public.household_id, public.reporter, public.location) == ("", None, None)
    assert public.description and public.photo_urls, "not anonymous: the matter itself shows"


def test_an_anonymous_concern_shows_only_its_neighbourhood():
    seen = shown(_concern(anonymous=True), NEIGHBOURHOOD, BUILDING)
    assert (seen.concern.description, seen.concern.location, seen.concern.photo_urls) == ("", None, ())
    assert (seen.concern.household_id, seen.concern.building_id, seen.concern.reporter) == ("", "", None)
    assert (seen.concern.category, seen.concern.status, seen.concern.neighbourhood_id) == ("noise", "in_handling", "n1")
    assert seen.address == "幸福小区", "the neighbourhood's name stands for the address"
    assert seen.point is None


def test_a_named_concern_is_placed_by_its_building_never_by_the_flat_typed_or_the_point_submitted():
    seen = shown(_concern(), NEIGHBOURHOOD, BUILDING)
    assert seen.address == "幸福小区2号楼"
    assert seen.point == (24.41, 118.21), "the building's coordinates, from the directory"
    assert "101" not in str(seen) and "24.412345" not in str(seen)


@pytest.mark.parametrize("building, point", [
    (Place("2号楼"), (24.40, 118.20)),  # the building has no coordinates: the neighbourhood's
    (None, (24.40, 118.20)),
])
def test_without_the_buildings_coordinates_the_neighbourhoods_are_shown(building, point):
    assert shown(_concern(), NEIGHBOURHOOD, building).point == point


def test_without_any_in_the_directory_no_coordinates_are_shown():
    seen = shown(_concern(), Place("幸福小区"), Place("2号楼"))
    assert (seen.address, seen.point) == ("幸福小区2号楼", None)


def test_a_concern_without_a_building_is_placed_by_its_neighbourhood_whatever_was_typed():
    seen = shown(_concern(household_id="", building_id="", location=Location("3号楼东侧", 24.5, 118.1)),
                 NEIGHBOURHOOD, None)
    assert (seen.address, seen.point) == ("幸福小区", (24.40, 118.20))
    assert shown(_concern(location=None, building_id=""), NEIGHBOURHOOD).address == "幸福小区"


def test_a_building_named_with_its_neighbourhood_is_not_named_twice():
    assert address_of(NEIGHBOURHOOD, Place("幸福小区2号楼")) == "幸福小区2号楼"
    assert address_of(NEIGHBOURHOOD, None) == "幸福小区"


def test_a_directory_place_brings_its_name_and_coordinates_when_it_has_both():
    def entity(attributes):
        return Entity("b2", "building", None, "n1", ("n1",), "2号楼", attributes)
    assert place_of(entity({"number": "2", "latitude": 24.41, "longitude": 118.21})) == BUILDING
    assert place_of(entity({"number": "2"})) == Place("2号楼")
    assert place_of(None) is None


def test_the_status_reads_in_words_with_its_code_and_a_merged_one_says_where_it_went():
    assert shown(_concern(), NEIGHBOURHOOD).status_note == "办理中 (in_handling)"
    merged = shown(_concern(merged_into="c9", status="merged"), NEIGHBOURHOOD, status="resolved")
    assert (merged.concern.status, merged.status_note) == ("resolved", "merged into c9")


@pytest.mark.parametrize("states, statuses", [
    ([], None), (["open", "closed"], None), (["closed"], ["archived", "closed", "rated", "resolved"]),
])
def test_open_and_closed_stand_for_the_statuses_behind_them(states, statuses):
    assert statuses_of(states) == statuses


def test_open_leaves_out_closed_and_merged_concerns_and_other_states_are_refused():
    assert set(statuses_of(["open"])) == {"received", "triaged", "in_deliberation", "decided", "in_handling",
                                          "escalated", "reopened"}
    with pytest.raises(InvalidArgument):
        statuses_of(["pending"])
