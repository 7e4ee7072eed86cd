"""The directory on a real database: create, update, list, import, events, and the replicas."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lianyi.directory.v1.events_pb2 import EntityChanged
from servicekit import envelope, topics
from servicekit.consumer import apply_once
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.unit_of_work import UnitsOfWork
from services.intake.directory.handlers import Directory, ImportRow
from tests.integration.conftest import intake_parts


@pytest.fixture
def directory(database_url, migrated_db, clock) -> Directory:
    return intake_parts(migrated_db("intake", database_url), clock).directory


def _tree(directory: Directory):
    county = directory.create(kind="county", name="示范县")
    township = directory.create(kind="township", name="城关镇", parent_id=county.entity_id)
    community = directory.create(kind="community", name="南门社区", parent_id=township.entity_id)
    neighbourhood = directory.create(kind="neighbourhood", name="幸福小区", parent_id=community.entity_id)
    return county, township, community, neighbourhood


def _directory_events(directory: Directory) -> list:
    with directory.db.read() as conn:
        rows = conn.execute(sa.select(outbox_table).where(outbox_table.c.topic == topics.DIRECTORY)
                            .order_by(outbox_table.c.id)).all()
    return [(row.message_key, envelope.open_payload(envelope.decode(row.payload), EntityChanged)) for row in rows]


def test_each_change_is_published_keyed_by_entity_with_its_places(directory):
    county, township, community, neighbourhood = _tree(directory)
    building = directory.create(kind="building", name="3号楼", parent_id=neighbourhood.entity_id,
                                attributes={"number": "3"})
    key, event = _directory_events(directory)[-1]
    assert key == building.entity_id
    assert list(event.entity.ancestor_ids) == [county.entity_id, township.entity_id, community.entity_id,
                                               neighbourhood.entity_id]
    assert dict(event.entity.attributes) == {"number": "3"}


def test_events_never_carry_contact_details(directory):
    *_, neighbourhood = _tree(directory)
    directory.create(kind="owners_committee", name="业委会", parent_id=neighbourhood.entity_id,
                     attributes={"contact_phone": "13812345678"})
    _, event = _directory_events(directory)[-1]
    assert dict(event.entity.attributes) == {}


def test_an_update_bumps_the_version_and_an_identical_one_changes_nothing(directory):
    county, *_ = _tree(directory)
    renamed = directory.update(county.entity_id, name="示范县人民政府")
    assert renamed.version == 2
    before = len(_directory_events(directory))
    assert directory.update(county.entity_id, name="示范县人民政府").version == 2
    assert len(_directory_events(directory)) == before


def test_a_stale_update_is_refused(directory):
    county, *_ = _tree(directory)
    directory.update(county.entity_id, name="新名字")
    with pytest.raises(FailedPrecondition, match="version 2, not 1"):
        directory.update(county.entity_id, name="另一个名字", expected_version=1)


def test_references_must_point_at_the_right_kind(directory):
    *_, neighbourhood = _tree(directory)
    party_org = directory.create(kind="party_org", name="幸福小区党支部", parent_id=neighbourhood.entity_id)
    with pytest.raises(InvalidArgument, match=r"leads_building_ids: .* is not a building"):
        directory.create(kind="member", name="林建国", parent_id=party_org.entity_id,
                         attributes={"member_kind": "serving", "leads_building_ids": [neighbourhood.entity_id]})


def test_listing_a_subtree_pages_and_stays_inside_it(directory):
    _, township, community, _ = _tree(directory)
    other = directory.create(kind="community", name="北门社区", parent_id=township.entity_id)
    for n in range(3):
        directory.create(kind="neighbourhood", name=f"北门{n}", parent_id=other.entity_id)
    first, token = directory.list(kind="neighbourhood", within_id=other.entity_id, page_size=2)
    second, end = directory.list(kind="neighbourhood", within_id=other.entity_id, page_size=2, page_token=token)
    assert [e.name for e in first + second] == ["北门0", "北门1", "北门2"] and end == ""
    assert {e.kind for e in directory.list(within_id=community.entity_id)[0]} == {"neighbourhood"}
    with pytest.raises(NotFound):
        directory.list(within_id="no-such-entity")


IMPORT = [
    ImportRow("county", "C1", "", "示范县", {}),
    ImportRow("township", "T1", "C1", "城关镇", {}),
    ImportRow("community", "CM1", "T1", "南门社区", {}),
    ImportRow("neighbourhood", "N1", "CM1", "幸福小区", {}),
    ImportRow("building", "B1", "N1", "1号楼", {"number": "1"}),
    ImportRow("party_org", "PO1", "N1", "幸福小区党支部", {}),
    ImportRow("member", "M1", "PO1", "林建国", {"member_kind": "retired_cadre", "leads_building_ids": ["B1"]}),
    ImportRow("household", "H1", "NOPE", "101室", {}),
    ImportRow("resident", "", "H1", "王阿姨", {}),
]


def test_import_reports_each_row_and_a_reimport_changes_nothing(directory):
    outcomes = directory.import_rows(IMPORT)
    assert [o.outcome for o in outcomes] == ["created"] * 7 + ["rejected"] * 2
    assert "no building with external id NOPE" in outcomes[7].reason
    assert "needs an external_id" in outcomes[8].reason
    member = directory.get(outcomes[6].entity_id)
    assert member.attributes["leads_building_ids"] == [outcomes[4].entity_id]  # external ids resolved
    events = len(_directory_events(directory))

    again = directory.import_rows(IMPORT)
    assert [o.outcome for o in again] == ["unchanged"] * 7 + ["rejected"] * 2
    assert [o.entity_id for o in again[:7]] == [o.entity_id for o in outcomes[:7]]
    assert len(_directory_events(directory)) == events

    changed = directory.import_rows([ImportRow("building", "B1", "N1", "1号楼(东)", {"number": "1"})])
    assert changed[0].outcome == "updated"


def test_a_duplicate_external_id_is_a_conflict(directory):
    directory.create(kind="county", name="示范县", external_id="C1")
    with pytest.raises(Conflict):
        directory.create(kind="county", name="另一个县", external_id="C1")


def test_the_replica_keeps_the_newest_version_whatever_the_arrival_order(database_url, migrated_db, clock):
    directory = intake_parts(migrated_db("intake", "sqlite://"), clock).directory
    county, *_ = _tree(directory)
    directory.update(county.entity_id, name="v2")
    directory.update(county.entity_id, name="v3")
    changes = [e for k, e in _directory_events(directory) if k == county.entity_id]
    db = migrated_db("deliberation", database_url)
    replica, units = DirectoryReplica(db), UnitsOfWork(db, Outbox("t"), "deliberation", lambda event: None)
    subscription = replica.subscription()
    for change in (changes[2], changes[0], changes[1]):  # newest first, then stale ones
        sealed = envelope.seal(change, producer="intake", place=envelope.Place(), occurred_at=clock.now())
        apply_once(units, subscription, subscription.inbound(sealed), topics.DIRECTORY, clock)
    kept = replica.get(county.entity_id)
    assert (kept.name, kept.version) == ("v3", 3)
