"""Where a concern is: its neighbourhood, and the building or household it names (SQLite, and
PostgreSQL where present)."""
import pytest
import sqlalchemy as sa

from servicekit import auth, migrations
from servicekit.database import Database
from servicekit.errors import InvalidArgument
from services.intake.domain import Location, SubmitConcern
from tests.integration.conftest import intake_parts


@pytest.fixture
def intake(database_url, migrated_db, places, clock):
    parts = intake_parts(migrated_db("intake", database_url), clock)
    service = parts.concerns
    service.ids, service.parts = places(service.db, clock), parts
    return service


def submit(intake, **fields):
    return intake.submit_concern(SubmitConcern(neighbourhood_id=intake.ids["nb-1"], channel="online",
                                               category="blocked_hallway", description="楼道堆满杂物", **fields))


def test_a_concern_names_its_building_or_takes_its_households(intake):
    assert submit(intake, building_id=intake.ids["b-1"]).building_id == intake.ids["b-1"]
    from_household = submit(intake, household_id=intake.ids["h-0"])
    assert intake.get_concern(from_household.concern_id).building_id == intake.ids["b-1"]
    assert submit(intake).building_id == ""


@pytest.mark.parametrize("fields, problem", [
    ({"building_id": "nb-2"}, "no building"),
    ({"building_id": "h-0"}, "no building"),
])
def test_a_building_must_be_one_of_the_neighbourhoods(intake, fields, problem):
    with pytest.raises(InvalidArgument, match=problem):
        submit(intake, **{k: intake.ids[v] for k, v in fields.items()})


def test_a_household_in_another_building_is_refused(intake, clock):
    other = intake.parts.directory.create(kind="building", name="2号楼", parent_id=intake.ids["nb-1"]).entity_id
    with pytest.raises(InvalidArgument, match="another building"):
        submit(intake, building_id=other, household_id=intake.ids["h-0"])


def test_the_migration_gives_household_concerns_their_building(database_url, places, clock):
    db = Database(database_url)
    migrations.upgrade(db, "intake", "0013")
    ids = places(db, clock)
    with db.write() as tx:
        tx.conn.execute(sa.text(
            "INSERT INTO concerns (concern_id, neighbourhood_id, household_id, channel, category, description, "
            "status, received_at) VALUES ('01a2b3c4-0000-7000-8000-000000000002', :nb, :h, 'online', 'noise', "
            "'楼上有噪音', 'received', :at)"), {"nb": ids["nb-1"], "h": ids["h-1"], "at": clock.now().replace(tzinfo=None)})
    migrations.upgrade(db, "intake")
    concern = intake_parts(db, clock).concerns.get_concern("01a2b3c4-0000-7000-8000-000000000002")
    assert concern.building_id == ids["b-1"]
    db.dispose()


def test_a_building_leader_lists_their_buildings_concerns(intake):
    mine = [submit(intake, building_id=intake.ids["b-1"]).concern_id,
            submit(intake, household_id=intake.ids["h-2"]).concern_id]
    submit(intake)
    listed, _ = intake.list_concerns(intake.ids["nb-1"], [], "", 0, "", building_id=intake.ids["b-1"])
    assert sorted(c.concern_id for c in listed) == sorted(mine)


def _placed(intake, address: str):
    return intake.submit_concern(SubmitConcern(neighbourhood_id="", channel="online", category="noise",
                                               description="楼上装修太吵"), address_id=intake.ids[address])


def test_an_address_places_a_concern_in_a_neighbourhood_building_or_household(intake):
    """Open311's address_id: intake decides where the directory entity puts the concern."""
    at_neighbourhood, at_building, at_household = (_placed(intake, a) for a in ("nb-1", "b-1", "h-0"))
    assert (at_neighbourhood.neighbourhood_id, at_neighbourhood.building_id) == (intake.ids["nb-1"], "")
    assert (at_building.neighbourhood_id, at_building.building_id, at_building.household_id) == (
        intake.ids["nb-1"], intake.ids["b-1"], "")
    assert (at_household.neighbourhood_id, at_household.building_id, at_household.household_id) == (
        intake.ids["nb-1"], intake.ids["b-1"], intake.ids["h-0"])


def test_an_address_that_is_no_such_place_is_refused_naming_it(intake):
    with pytest.raises(InvalidArgument, match="is a community; it must be a neighbourhood, a building or a household"):
        _placed(intake, "community")
    with pytest.raises(InvalidArgument, match="is not a neighbourhood, building or household"):
        intake.submit_concern(SubmitConcern(neighbourhood_id="", channel="online", category="noise",
                                            description="楼上装修太吵"), address_id="no-such-place")


@pytest.mark.parametrize("address", ["h-1", "b-1", "nb-1"])
def test_a_resident_placing_by_address_still_raises_concerns_for_their_own_household_only(intake, address):
    """A resident's scope is their neighbourhood; an address must not let them speak for a neighbour."""
    ids = intake.ids
    resident = auth.Principal(subject=f"household:{ids['h-0']}", role="resident", entity_id=ids["h-0"],
                              scope=(ids["county"], ids["township"], ids["community"], ids["nb-1"]))
    token = auth.current.set(resident)
    try:
        if address == "h-1":
            with pytest.raises(InvalidArgument, match="their own household"):
                _placed(intake, address)
            listed, _ = intake.list_concerns(ids["nb-1"], [], "", 0, "")
            assert listed == [], "nothing was recorded"
        else:
            assert _placed(intake, address).household_id == ids["h-0"]
    finally:
        auth.current.reset(token)


def test_the_public_sees_a_named_concern_at_its_building_from_the_directory_never_the_flat(intake, clock):
    """The household's typed address and point stay with staff; the public view is built from the
    directory's names and coordinates, the building's else the neighbourhood's."""
    directory = intake.parts.directory
    directory.update(intake.ids["nb-1"], attributes={"latitude": 24.4, "longitude": 118.2})
    flat = Location("nb-11号楼101室", 24.412345, 118.212345)
    from_household = submit(intake, household_id=intake.ids["h-1"], location=flat)
    from_neighbourhood = submit(intake, location=flat)

    def public(concern):
        (seen,) = intake.list_public(concern_ids=[concern.concern_id], categories=[], received_from=None,
                                     received_to=None, states=[], neighbourhood_id="", limit=1)
        return seen.address, seen.point

    clock.advance(minutes=1)  # past the directory cache's moment
    assert public(from_household) == ("nb-11号楼", (24.4, 118.2)), "the building has none: the neighbourhood's"
    assert public(from_neighbourhood) == ("nb-1", (24.4, 118.2))
    directory.update(intake.ids["b-1"], attributes={"latitude": 24.41, "longitude": 118.21})
    clock.advance(minutes=1)
    assert public(from_household) == ("nb-11号楼", (24.41, 118.21))
    assert intake.get_concern(from_household.concern_id).location == flat, "staff still see the flat"
