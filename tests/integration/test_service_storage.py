"""Each service's storage on a real database (SQLite, and PostgreSQL where present)."""
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lianyi.intake.v1.events_pb2 import ConcernReceived, DoorVisitRecorded
from servicekit import envelope, migrations
from servicekit.consumer import apply_once
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import ChangedMeanwhile, InvalidArgument, NotFound
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.relay import Lease
from services.deliberation import wiring as deliberation_wiring
from services.deliberation.handlers import Deliberation
from services.dispatch import wiring as dispatch_wiring
from services.dispatch.handlers import Dispatch
from services.evaluation import wiring as evaluation_wiring
from services.evaluation.handlers import Evaluation
from services.intake import domain
from services.intake import events as intake_events
from services.intake.domain import ReporterContact, SubmitConcern
from services.intake.handlers import Concerns
from tests.integration.conftest import intake_parts

TOPIC = "lianyi.intake.v1"


def _intake(db, places, clock) -> Concerns:
    """Intake's concern handlers on `db`, with a small directory (see `places`) as `.ids`."""
    concerns = intake_parts(db, clock).concerns
    concerns.ids = places(db, clock)
    return concerns


@pytest.fixture
def intake(migrated_db, places, clock):
    return _intake(migrated_db("intake", "sqlite://"), places, clock)


def _submit(intake: Concerns, neighbourhood="nb-1", **fields) -> object:
    if "household_id" in fields:
        fields["household_id"] = intake.ids[fields["household_id"]]
    return intake.submit_concern(SubmitConcern(**{
        "neighbourhood_id": intake.ids[neighbourhood], "channel": "door_visit", "category": "blocked_hallway",
        "description": "三楼楼道堆满鞋柜", **fields}))


def _event_for(concern, route: str = "deliberation") -> envelope.Envelope:
    """The concern's ConcernReceived as intake publishes it, as if a triage rule had sent it along
    `route` on arrival."""
    triaged = replace(concern, triage=domain.Triage(route, "", "rule-1", concern.received_at))
    return envelope.seal(intake_events.outgoing(domain.ConcernReceived(triaged)).payload, producer="intake",
                         place=envelope.Place(concern.neighbourhood_id, "community-1", "township-1", "county-1"),
                         occurred_at=concern.received_at)


@pytest.mark.parametrize("service", ["intake", "deliberation", "dispatch", "evaluation"])
def test_migrations_build_the_schema_and_rerun_as_a_no_op(service, database_url, migrated_db):
    db = migrated_db(service, database_url)
    migrations.upgrade(db, service)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"outbox", "inbox", "relay_lease", "alembic_version"} <= tables


def test_submitting_a_concern_writes_it_and_its_event_together(database_url, migrated_db, places, clock):
    db = migrated_db("intake", database_url)
    intake = _intake(db, places, clock)
    concern = _submit(intake, reporter=ReporterContact("王阿姨", "13812345678"))
    fetched = intake.get_concern(concern.concern_id)
    assert fetched == concern
    assert [step.status for step in fetched.timeline] == ["received"]
    with db.read() as conn:
        row = conn.execute(sa.select(outbox_table).where(outbox_table.c.topic == TOPIC)).one()
    event = envelope.decode(row.payload)
    received = envelope.open_payload(event, ConcernReceived)
    assert (row.message_key, event.event_type) == (intake.ids["nb-1"], "lianyi.intake.v1.ConcernReceived")
    assert (event.community_id, event.township_id, event.county_id) == (
        intake.ids["community"], intake.ids["township"], intake.ids["county"])
    assert received.concern.concern_id == concern.concern_id
    assert "13812345678" not in str(received) and "王阿姨" not in str(received), "events carry no contact details"
    assert not {"reporter", "timeline", "possible_duplicates"} & set(received.concern.DESCRIPTOR.fields_by_name), \
        "the event's own payload, not the API's read model"


@pytest.mark.parametrize("fields, problem", [
    ({"category": "weather"}, "category"),
    ({"neighbourhood": "b-1"}, "no neighbourhood"),
    ({"neighbourhood": "nb-2", "household_id": "h-0"}, "no household"),
])
def test_a_refused_concern_writes_nothing(database_url, migrated_db, places, clock, fields, problem):
    db = migrated_db("intake", database_url)
    intake = _intake(db, places, clock)
    with pytest.raises(InvalidArgument, match=problem):
        _submit(intake, **fields)
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM concerns")).scalar_one() == 0
        assert conn.execute(sa.text(f"SELECT count(*) FROM outbox WHERE topic = '{TOPIC}'")).scalar_one() == 0


def test_an_unknown_concern_is_not_found(database_url, migrated_db, clock):
    with pytest.raises(NotFound):
        intake_parts(migrated_db("intake", database_url), clock).concerns.get_concern("01a2-no-such-concern")


def _consumer(build, db, clock):
    """A service's units of work and its subscription to ConcernReceived, as its wiring has them."""
    wiring = build(db, Outbox("downstream"), clock)
    return wiring.units, next(s for s in wiring.subscriptions if s.payload_class is ConcernReceived)


def test_the_pool_holds_each_concern_once_however_often_it_is_delivered(database_url, migrated_db, clock, intake):
    db = migrated_db("deliberation", database_url)
    units, subscription = _consumer(deliberation_wiring.build, db, clock)
    concern = _submit(intake)
    event = subscription.inbound(_event_for(concern))
    assert apply_once(units, subscription, event, TOPIC, clock) is True
    assert apply_once(units, subscription, event, TOPIC, clock) is False
    # Even a second event about the same concern cannot pool it twice.
    again = subscription.inbound(_event_for(concern))
    assert apply_once(units, subscription, again, TOPIC, clock) is True
    entries, next_token = Deliberation(db, clock, DirectoryReplica(db)).list_pool(intake.ids["nb-1"], 0, "")
    assert [e.concern_id for e in entries] == [concern.concern_id]
    assert next_token == ""


def test_the_pool_pages_in_arrival_order_and_stays_in_its_neighbourhood(database_url, migrated_db, clock, intake):
    db = migrated_db("deliberation", database_url)
    units, subscription = _consumer(deliberation_wiring.build, db, clock)
    ids = []
    for n in range(5):
        concern = _submit(intake, neighbourhood="nb-2" if n == 2 else "nb-1")
        apply_once(units, subscription, subscription.inbound(_event_for(concern)), TOPIC, clock)
        if n != 2:
            ids.append(concern.concern_id)
    deliberation = Deliberation(db, clock, DirectoryReplica(db))
    first, token = deliberation.list_pool(intake.ids["nb-1"], 3, "")
    second, last_token = deliberation.list_pool(intake.ids["nb-1"], 3, token)
    assert [e.concern_id for e in first + second] == ids
    assert token and last_token == ""


def _deliver_twice(build, db, concerns, clock) -> None:
    units, subscription = _consumer(build, db, clock)
    for concern in concerns:
        event = subscription.inbound(_event_for(concern))
        apply_once(units, subscription, event, TOPIC, clock)
        apply_once(units, subscription, event, TOPIC, clock)  # a redelivery


def test_dispatch_keeps_each_concern_once(database_url, migrated_db, clock, intake):
    db = migrated_db("dispatch", database_url)
    concerns = [_submit(intake, household_id=f"h-{n}") for n in range(3)]
    _deliver_twice(dispatch_wiring.build, db, concerns, clock)
    dispatch = Dispatch(db, DirectoryReplica(db), clock, tasks=None)  # type: ignore[arg-type]  # reads only
    concern = dispatch.concern(concerns[1].concern_id)
    assert (concern.household_id, concern.building_id) == (intake.ids["h-1"], intake.ids["b-1"])
    with pytest.raises(NotFound):
        dispatch.concern("no-such-concern")


def test_two_consumers_opening_one_task_at_once_report_it_in_handling_once(database_url, migrated_db, clock, intake):
    """During a rebalance two consumers may apply two events about one concern at once: the second
    must wait for the first and then see the task already open, not report it again."""
    db = migrated_db("dispatch", database_url)
    concern = _submit(intake)
    units, subscription = _consumer(dispatch_wiring.build, db, clock)
    apply_once(units, subscription, subscription.inbound(_event_for(concern)), TOPIC, clock)  # pooled: no opening
    first, second = (subscription.inbound(_event_for(concern, route="direct")) for _ in range(2))
    assert _opened_once_by_two_at_once(db, units, subscription, first, second, clock) == []


def test_two_consumers_creating_one_opened_task_at_once_report_it_once(database_url, migrated_db, clock, intake):
    """The same for a task neither has yet: the second's insert finds the first's row, and it is
    told to apply its event again (as the consumer does) rather than open the task from what it read."""
    db = migrated_db("dispatch", database_url)
    concern = _submit(intake)
    units, subscription = _consumer(dispatch_wiring.build, db, clock)
    first, second = (subscription.inbound(_event_for(concern, route="direct")) for _ in range(2))
    retried = _opened_once_by_two_at_once(db, units, subscription, first, second, clock)
    # PostgreSQL lets both read "no task"; SQLite's one writer makes the second wait before it reads.
    assert retried == ([ChangedMeanwhile] if database_url.startswith("postgresql") else [])


def test_a_task_whose_concern_id_is_not_id_shaped_still_opens_once(database_url, migrated_db, clock, intake):
    """Events are not user input: whatever id a task was kept under, it is found again to open."""
    db = migrated_db("dispatch", database_url)
    concern = replace(_submit(intake), concern_id="LEGACY-1")
    units, subscription = _consumer(dispatch_wiring.build, db, clock)
    for route in ("deliberation", "direct", "direct"):
        apply_once(units, subscription, subscription.inbound(_event_for(concern, route=route)), TOPIC, clock)
    with db.read() as conn:
        opened = conn.execute(sa.select(sa.func.count()).select_from(outbox_table)
                              .where(outbox_table.c.event_type.like("%ConcernProgressed"))).scalar_one()
    assert opened == 1


def _opened_once_by_two_at_once(db, units, subscription, first, second, clock) -> list[type]:
    """`first` applied in a transaction held open while `second` is applied beside it (again if
    told it changed meanwhile); asserts one in-handling report, returns what made the second retry."""
    holding, done, retried = threading.Event(), threading.Event(), []

    def late_consumer():
        holding.wait(10)
        for _ in range(3):
            try:
                apply_once(units, subscription, second, TOPIC, clock)
                break
            except ChangedMeanwhile as exc:
                retried.append(type(exc))
        done.set()

    other = threading.Thread(target=late_consumer)
    other.start()
    with units.start() as uow:
        subscription.handle(uow, [first])
        holding.set()
        assert not done.wait(0.5), "the second consumer waits for the first's transaction"
    other.join(30)
    assert done.is_set()
    with db.read() as conn:
        opened = conn.execute(sa.select(sa.func.count()).select_from(outbox_table)
                              .where(outbox_table.c.event_type.like("%ConcernProgressed"))).scalar_one()
    assert opened == 1
    return retried


def test_evaluation_counts_each_concern_once(database_url, migrated_db, clock, intake):
    db = migrated_db("evaluation", database_url)
    concerns = [_submit(intake) for _ in range(3)]
    _deliver_twice(evaluation_wiring.build, db, concerns, clock)
    evaluation = Evaluation(db, DirectoryReplica(db))
    figures = evaluation.intake_figures(intake.ids["nb-1"])
    assert figures.concerns_received == 3
    assert figures.first_received_at == clock.now()
    assert evaluation.intake_figures("nb-quiet").concerns_received == 0


def test_only_one_relay_holds_the_lease_until_it_expires(database_url, migrated_db, clock):
    db = migrated_db("intake", database_url)
    first, second = Lease(db, "relay-a", clock), Lease(db, "relay-b", clock)
    assert first.hold() and not second.hold()
    clock.advance(seconds=60)  # relay-a stopped renewing
    assert second.hold()
    second.release()
    assert first.hold()


def test_a_retry_with_the_same_idempotency_key_returns_the_first_concern(database_url, migrated_db, places, clock):
    db = migrated_db("intake", database_url)
    intake = _intake(db, places, clock)
    first = _submit(intake, idempotency_key="retry-1")
    assert _submit(intake, idempotency_key="retry-1") == first
    assert _submit(intake, idempotency_key="retry-2") != first
    with pytest.raises(InvalidArgument, match="different request"):
        _submit(intake, idempotency_key="retry-1", description="另一件事")
    with pytest.raises(InvalidArgument, match="printable"):
        _submit(intake, idempotency_key="has space")
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM concerns")).scalar_one() == 2
        assert conn.execute(sa.text(f"SELECT count(*) FROM outbox WHERE topic = '{TOPIC}'")).scalar_one() == 2


def test_online_messages_become_concerns_once_each(database_url, migrated_db, places, clock):
    from services.intake.handlers import OnlineMessage

    db = migrated_db("intake", database_url)
    intake = _intake(db, places, clock)
    batch = [
        OnlineMessage("m-1", intake.ids["nb-1"], "楼道灯不亮了"),
        OnlineMessage("m-2", intake.ids["nb-1"], "有人在绿地上种菜", category="occupied_green_space"),
        OnlineMessage("m-3", intake.ids["b-1"], "这不是小区"),
        OnlineMessage("m-4", intake.ids["nb-1"], "   "),
    ]
    first = intake.take_online_messages("wechat:幸福小区业主群", batch)
    assert [o.outcome for o in first] == ["created", "created", "rejected", "rejected"]
    assert "no neighbourhood" in first[2].reason and "description" in first[3].reason
    again = intake.take_online_messages("wechat:幸福小区业主群", batch[:2])
    assert [(o.outcome, o.concern_id) for o in again] == [("duplicate", first[0].concern_id),
                                                         ("duplicate", first[1].concern_id)]
    other_group = intake.take_online_messages("wechat:另一个群", batch[:1])
    assert other_group[0].outcome == "created"
    assert intake.get_concern(first[1].concern_id).category == "occupied_green_space"
    assert intake.get_concern(first[0].concern_id).channel == "online"
    with db.read() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM outbox WHERE topic = '{TOPIC}'")).scalar_one() == 3
    with pytest.raises(InvalidArgument, match="1-500 messages"):
        intake.take_online_messages("wechat:x", [])


def test_a_door_visit_records_its_concerns_and_counts_towards_coverage(database_url, migrated_db, places, clock):
    from services.intake.visits.domain import RaisedConcern

    db = migrated_db("intake", database_url)
    parts = intake_parts(db, clock)
    intake, directory, visits = parts.concerns, parts.directory, parts.visits
    ids = places(db, clock)
    party_org = directory.create(kind="party_org", name="党支部", parent_id=ids["nb-1"])
    member = directory.create(kind="member", name="林", parent_id=party_org.entity_id,
                              attributes={"member_kind": "retired_cadre"})
    today = clock.now().date().isoformat()
    visit = visits.record(household_id=ids["h-0"], member_id=member.entity_id, visited_on=today, notes="聊了很久",
                          concerns=[RaisedConcern("noise", "楼上夜里跳绳"), RaisedConcern("safety", "楼道灯坏了", "urgent")])
    visits.record(household_id=ids["h-0"], member_id=member.entity_id, visited_on=today, notes="", concerns=[])
    assert len(visit.concern_ids) == 2
    raised = intake.get_concern(visit.concern_ids[1])
    assert (raised.channel, raised.household_id, raised.urgency) == ("door_visit", ids["h-0"], "urgent")

    coverage = visits.coverage(ids["nb-1"], today, today)
    assert (coverage.households, coverage.households_visited, coverage.visits,
            coverage.concerns_collected) == (3, 1, 2, 2)
    (building,) = coverage.buildings
    assert (building.id, building.households, building.households_visited) == (ids["b-1"], 3, 1)
    (by_member,) = coverage.members
    assert (by_member.id, by_member.visits, by_member.concerns_collected) == (member.entity_id, 2, 2)
    assert coverage.coverage == round(1 / 3, 4), "households visited of all households"
    assert visits.coverage(ids["nb-2"], today, today).households == 0

    # Each visit is published with it (the outbox, same transaction): ids and the day, no notes.
    with db.read() as conn:
        sealed = [envelope.decode(p) for p in conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.topic == TOPIC).order_by(outbox_table.c.id))
            .scalars()]
    published = [(e, envelope.open_payload(e, DoorVisitRecorded)) for e in sealed
                 if e.event_type == "lianyi.intake.v1.DoorVisitRecorded"]
    assert [(p.visit_id, p.member_id, p.household_id, p.visited_on, p.concerns_raised) for _, p in published] == [
        (visit.visit_id, member.entity_id, ids["h-0"], today, 2), (published[1][1].visit_id, member.entity_id,
                                                                   ids["h-0"], today, 0)]
    assert all(e.neighbourhood_id == ids["nb-1"] and e.community_id == ids["community"] for e, _ in published)
    assert "聊了很久" not in str(published[0][1])

    tomorrow_plus = (clock.now().date() + timedelta(days=3)).isoformat()
    for fields, problem in [({"visited_on": tomorrow_plus}, "future"), ({"visited_on": "yesterday"}, "YYYY-MM-DD"),
                            ({"member_id": ids["h-1"]}, "member_id"), ({"household_id": ids["b-1"]}, "household")]:
        with pytest.raises(InvalidArgument, match=problem):
            visits.record(**{"household_id": ids["h-0"], "member_id": member.entity_id, "visited_on": today,
                             "notes": "", "concerns": [], **fields})
    with pytest.raises(InvalidArgument, match="after"):
        visits.coverage(ids["nb-1"], today, "2000-01-01")


def test_a_household_has_at_most_one_live_access_code(database_url, migrated_db, places, clock):
    from sqlalchemy.exc import IntegrityError

    from services.intake.accounts import domain as accounts_domain
    from services.intake.accounts.handlers import Accounts
    from services.intake.accounts.storage import access_codes

    db = migrated_db("intake", database_url)
    ids = places(db, clock)
    accounts = Accounts(db, clock)
    first, _ = accounts.issue_access_code(ids["h-0"])
    second, _ = accounts.issue_access_code(ids["h-0"])
    with pytest.raises(Exception, match="not valid"):
        accounts.authenticate_access_code(first)
    assert accounts.authenticate_access_code(second).entity_id == ids["h-0"]
    # What two simultaneous issuers would do without the replace: the database refuses it.
    with pytest.raises(IntegrityError), db.write() as tx:
        tx.conn.execute(access_codes.insert(), {
            "code_hash": accounts_domain.access_code_hash("ABCDE23456"), "household_id": ids["h-0"],
            "issued_by": "x", "issued_at": clock.now(), "expires_at": clock.now()})
