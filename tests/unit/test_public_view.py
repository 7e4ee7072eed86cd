"""What the public may see of a concern (services/intake/public.py): decided once, in intake."""
from datetime import UTC, datetime

import pytest

from servicekit.errors import InvalidArgument
from services.intake.domain import Concern, Location, ReporterContact
from services.intake.public import redacted, shown, statuses_of

T0 = datetime(2026, 2, 1, 8, tzinfo=UTC)


def _concern(**fields) -> Concern:
    base = dict(concern_id="c1", neighbourhood_id="n1", household_id="h1", channel="online", category="noise",
                description="楼上装修太吵", reporter=ReporterContact("王阿姨", "13812345678"), status="in_handling",
                received_at=T0, location=Location("3号楼东侧", 24.5, 118.1), photo_urls=("https://img.example/1.jpg",))
    return Concern(**{**base, **fields})


def test_the_public_never_sees_a_household_or_a_reporter():
    public = redacted(_concern())
    assert (public.household_id, public.reporter) == ("", None)
    assert public.description and public.location and public.photo_urls, "not anonymous: the matter itself shows"


def test_an_anonymous_concern_shows_only_its_neighbourhood():
    seen = shown(_concern(anonymous=True), "幸福小区")
    assert (seen.concern.description, seen.concern.location, seen.concern.photo_urls) == ("", None, ())
    assert (seen.concern.household_id, seen.concern.reporter) == ("", None)
    assert (seen.concern.category, seen.concern.status, seen.concern.neighbourhood_id) == ("noise", "in_handling", "n1")
    assert seen.address == "幸福小区", "the neighbourhood's name stands for the address"


def test_the_address_is_the_locations_or_else_the_neighbourhoods_name():
    assert shown(_concern(), "幸福小区").address == "3号楼东侧"
    assert shown(_concern(location=None), "幸福小区").address == "幸福小区"


def test_the_status_reads_in_words_with_its_code_and_a_merged_one_says_where_it_went():
    assert shown(_concern(), "幸福小区").status_note == "办理中 (in_handling)"
    merged = shown(_concern(merged_into="c9", status="merged"), "幸福小区", status="resolved")
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
