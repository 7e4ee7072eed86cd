"""The directory's rules: where each kind sits and what it may carry."""
import pytest

from servicekit.errors import InvalidArgument
from services.intake.directory.domain import Entity, check_fields, check_parent, kind_chain, places_of


def _entity(kind, entity_id, ancestors=()):
    return Entity(entity_id=entity_id, kind=kind, external_id=None, parent_id=ancestors[-1] if ancestors else None,
                  ancestor_ids=tuple(ancestors), name=kind)


def test_a_member_sits_under_a_party_org_in_a_neighbourhood():
    assert kind_chain("member") == ["county", "township", "community", "neighbourhood", "party_org", "member"]


def test_a_child_inherits_its_parents_path():
    building = _entity("building", "b1", ("c", "t", "cm", "n"))
    assert check_parent("household", building) == ("c", "t", "cm", "n", "b1")


@pytest.mark.parametrize("kind, parent, message", [
    ("household", _entity("neighbourhood", "n"), "must be placed under a building"),
    ("township", None, "must be placed under a county"),
    ("county", _entity("county", "c0"), "has no parent"),
])
def test_an_entity_in_the_wrong_place_is_refused(kind, parent, message):
    with pytest.raises(InvalidArgument, match=message):
        check_parent(kind, parent)


def test_places_of_names_every_level_by_kind():
    member = _entity("member", "m1", ("c", "t", "cm", "n", "po"))
    assert places_of(member) == {"county": "c", "township": "t", "community": "cm", "neighbourhood": "n",
                                 "party_org": "po", "member": "m1"}


def test_member_attributes_need_a_known_member_kind():
    assert check_fields("member", "林建国", None, {"member_kind": "retired_cadre"}) == {"member_kind": "retired_cadre"}
    with pytest.raises(InvalidArgument, match="member_kind"):
        check_fields("member", "林建国", None, {"member_kind": "honorary"})


@pytest.mark.parametrize("kind, name, attributes, message", [
    ("spaceship", "x", {}, "kind must be one of"),
    ("building", " ", {}, "name must not be empty"),
    ("building", "3号楼", {"floors": 7}, "attributes.floors: Extra inputs"),
    ("resident", "王阿姨", {"phone": "call me"}, "attributes.phone"),
    ("member", "林", {}, "attributes.member_kind: Field required"),
])
def test_bad_fields_are_refused_with_the_reason(kind, name, attributes, message):
    with pytest.raises(InvalidArgument, match=message):
        check_fields(kind, name, None, attributes)


@pytest.mark.parametrize("external_id", ["", "x" * 101, "B1\x00", "B1\n2"])
def test_an_external_id_is_short_plain_text(external_id):
    with pytest.raises(InvalidArgument, match="external_id must be 1-100 characters of plain text"):
        check_fields("building", "1号楼", external_id, {})


def test_buildings_and_neighbourhoods_may_say_where_they_are():
    """What the public is shown of where a concern is (services/intake/public.py)."""
    assert check_fields("building", "2号楼", None, {"number": "2", "latitude": 24.5, "longitude": 118}) == {
        "number": "2", "latitude": 24.5, "longitude": 118.0}
    assert check_fields("neighbourhood", "幸福小区", None, {"latitude": 24.4, "longitude": 118.2}) == {
        "latitude": 24.4, "longitude": 118.2}


@pytest.mark.parametrize("kind, attributes, message", [
    ("building", {"latitude": 24.5}, "attributes: Value error, latitude and longitude go together"),
    ("neighbourhood", {"longitude": 118.1}, "latitude and longitude go together"),
    ("building", {"latitude": 91.0, "longitude": 118.1}, "attributes.latitude: Input should be less than"),
    ("building", {"latitude": 24.5, "longitude": "118.1"}, "attributes.longitude: Input should be a valid number"),
    ("household", {"latitude": 24.5, "longitude": 118.1}, "attributes.latitude: Extra inputs"),
    ("township", {"latitude": 24.5, "longitude": 118.1}, "attributes.latitude: Extra inputs"),
])
def test_coordinates_go_together_within_range_and_no_finer_than_a_building(kind, attributes, message):
    with pytest.raises(InvalidArgument, match=message):
        check_fields(kind, "x", None, attributes)


def test_a_csv_import_reads_coordinates_as_numbers_and_leaves_bad_ones_for_the_directory_to_name():
    from services.gateway.directory_csv import rows_from_csv
    rows = rows_from_csv("kind,external_id,parent_external_id,name,attributes.number,attributes.latitude,"
                         "attributes.longitude\nbuilding,B1,N1,2号楼,2,24.5,118.1\nbuilding,B2,N1,3号楼,3,north,\n", 10)
    assert [r["attributes"] for r in rows] == [{"number": "2", "latitude": 24.5, "longitude": 118.1},
                                               {"number": "3", "latitude": "north"}]
