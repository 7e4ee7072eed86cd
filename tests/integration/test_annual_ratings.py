"""The annual rating (年度量化评定) through evaluation's consumers on real databases (SQLite, and
PostgreSQL where present): a county's year calculated from decided actions, ratings, ledgers,
visits and panels; published; recalculated as version 2 with version 1 unchanged; and who may do it."""
from __future__ import annotations

import threading
import time
from fractions import Fraction

import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1.events_pb2 import DecidedAction, DecisionMade
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from servicekit import topics
from servicekit.errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from servicekit.ids import new_id
from services.evaluation.annual import storage as annual_storage
from services.evaluation.grpc_api import rating_to_proto
from tests.integration.test_member_reviews import ReviewLoop, _quarter_of_work, build_county


@pytest.fixture
def loop(database_url, other_database_url, migrated_db, clock) -> ReviewLoop:
    intake_db = migrated_db("intake", "sqlite://")
    county = build_county(intake_db, migrated_db("dispatch", database_url), clock)
    return ReviewLoop(county, migrated_db("evaluation", other_database_url), intake_db)


def _a_year(loop: ReviewLoop) -> None:
    """nb-1's year: two decided actions (one resolved), three ratings (two satisfied or basically),
    two commitments kept and fulfilled (one released), one household visited of three, two members
    of four on a panel."""
    _quarter_of_work(loop)
    first, second = new_id(), new_id()
    decision = DecisionMade(decision_id=new_id(), topic_id=new_id(), neighbourhood_id=loop.county.ids["nb-1"],
                            actions=[DecidedAction(action_id=first), DecidedAction(action_id=second)])
    decision.decided_at.FromDatetime(loop.county.clock.now())
    loop._deliver(DecisionMade, topics.DELIBERATION, [loop.seal(decision, "deliberation")])
    resolved = dispatch_pb.TaskResolved(task_id=first, neighbourhood_id=loop.county.ids["nb-1"],
                                        decision_id=decision.decision_id, action_id=first, on_time=True)
    resolved.resolved_at.FromDatetime(loop.county.clock.now())
    loop._deliver(dispatch_pb.TaskResolved, topics.DISPATCH, [loop.seal(resolved, "dispatch")])


def _admin(loop):
    return loop.county.acting_as("county_admin", "county", "admin", name="县管理员")


def test_a_year_is_scored_with_every_component_tiered_and_ranked(loop):
    _a_year(loop)
    annual = loop.wiring.registrations[0].servicer.annual
    with _admin(loop):
        version = annual.calculate(2026)
        annual.publish(2026, version.version)
        shown, rows = annual.ratings("", 2026, 0)
    assert (shown.version, shown.published_by) == (1, "县管理员")
    ours, theirs = (rating_to_proto(r) for r in rows)
    # 100 × (0.3 × 1/2 + 0.3 × 2/3 + 0.2 × 2/2 + 0.1 × 1/3 + 0.1 × 2/4) = 63.33
    assert (ours.neighbourhood_id, ours.score, ours.tier) == (loop.county.ids["nb-1"], float(round(Fraction(190, 3), 2)),
                                                              "average")
    assert [(c.indicator, c.part, c.whole, c.share, c.points) for c in ours.components] == [
        ("decisions_implemented", 1, 2, 0.5, 15.0), ("satisfaction", 2, 3, 0.6667, 20.0),
        ("fulfilment", 2, 2, 1.0, 20.0), ("visit_coverage", 1, 3, 0.3333, 3.33), ("panel_service", 2, 4, 0.5, 5.0)]
    assert (ours.rank_in_community, ours.rank_in_township, ours.rank_in_county) == (1, 1, 1)
    assert (theirs.score, theirs.tier, theirs.rank_in_county) == (0.0, "lagging", 2), "nb-2 did nothing measured"
    assert not theirs.components[0].HasField("share")


def test_a_published_year_stays_and_recalculating_makes_version_2(loop):
    _a_year(loop)
    annual = loop.wiring.registrations[0].servicer.annual
    with _admin(loop):
        annual.calculate(2026)
        annual.publish(2026, 1)
    with loop.db.read() as conn:
        published = conn.execute(sa.text("SELECT * FROM annual_ratings WHERE version = 1 ORDER BY neighbourhood_id")).all()
    decision = DecisionMade(decision_id=new_id(), topic_id=new_id(), neighbourhood_id=loop.county.ids["nb-1"],
                            actions=[DecidedAction(action_id=new_id())])
    decision.decided_at.FromDatetime(loop.county.clock.now())
    loop._deliver(DecisionMade, topics.DELIBERATION, [loop.seal(decision, "deliberation")])
    with _admin(loop):
        second = annual.calculate(2026)
        assert second.version == 2
        assert annual.ratings("", 2026, 0)[0].version == 1, "the latest published is still version 1"
        with pytest.raises(Conflict, match="published already"):
            annual.publish(2026, 1)
        annual.publish(2026, 2)
        assert [(v.version, v.published_at is not None) for v in annual.versions(2026)] == [(1, True), (2, True)]
        now_shown, rows = annual.ratings("", 2026, 0)
        assert now_shown.version == 2
        ours = rating_to_proto(rows[0])
        assert (ours.components[0].part, ours.components[0].whole) == (1, 3), "a third action decided since"
        _, old_rows = annual.ratings("", 2026, 1)
        assert rating_to_proto(old_rows[0]).components[0].whole == 2
    with loop.db.read() as conn:
        assert conn.execute(sa.text("SELECT * FROM annual_ratings WHERE version = 1 ORDER BY neighbourhood_id")
                            ).all() == published, "version 1 is as it was published"


def test_who_may_calculate_and_read(loop):
    _a_year(loop)
    annual = loop.wiring.registrations[0].servicer.annual
    with loop.county.secretary(), pytest.raises(PermissionDenied):
        annual.calculate(2026)
    with _admin(loop):
        annual.calculate(2026)
        annual.publish(2026, 1)
    with loop.county.secretary():
        _, rows = annual.ratings("", 2026, 0)
        assert [r.neighbourhood_id for r in rows] == [loop.county.ids["nb-1"]], "their own neighbourhood only"
        assert rating_to_proto(rows[0]).rank_in_county == 1, "with its place in the county"
    with loop.county.secretary("nb-2"), pytest.raises(NotFound):
        annual.ratings(loop.county.ids["nb-1"], 2026, 0)
    with loop.county.acting_as("township_admin", "township", "t"):
        assert len(annual.ratings(loop.county.ids["township"], 2026, 0)[1]) == 2
        with pytest.raises(NotFound, match="published"):
            annual.ratings("", 2025, 0)


# -- decisions implemented: resolutions and rework in any order --------------------------------------

def _decided(loop: ReviewLoop, *action_ids: str) -> None:
    decision = DecisionMade(decision_id=new_id(), topic_id=new_id(), neighbourhood_id=loop.county.ids["nb-1"],
                            actions=[DecidedAction(action_id=a) for a in action_ids])
    decision.decided_at.FromDatetime(loop.county.clock.now())
    loop._deliver(DecisionMade, topics.DELIBERATION, [loop.seal(decision, "deliberation")])


def _resolved(loop: ReviewLoop, action_id: str, round_: int = 0) -> None:
    resolved = dispatch_pb.TaskResolved(task_id=action_id, neighbourhood_id=loop.county.ids["nb-1"],
                                        action_id=action_id, on_time=True, round=round_)
    resolved.resolved_at.FromDatetime(loop.county.clock.now())
    loop._deliver(dispatch_pb.TaskResolved, topics.DISPATCH, [loop.seal(resolved, "dispatch")])


def _reopened(loop: ReviewLoop, action_id: str, round_: int) -> None:
    reopened = dispatch_pb.TaskReopened(task_id=action_id, neighbourhood_id=loop.county.ids["nb-1"],
                                        action_id=action_id, round=round_)
    loop._deliver(dispatch_pb.TaskReopened, topics.DISPATCH, [loop.seal(reopened, "dispatch")])


def _implemented(loop: ReviewLoop) -> tuple[int, int]:
    """nb-1's decided actions implemented, of those decided, in a fresh calculation."""
    annual = loop.wiring.registrations[0].servicer.annual
    with _admin(loop):
        version = annual.calculate(2026)
        _, rows = annual.ratings(loop.county.ids["nb-1"], 2026, version.version)
    (decisions,) = [c for c in rating_to_proto(rows[0]).components if c.indicator == "decisions_implemented"]
    return decisions.part, decisions.whole


def test_a_resolution_counts_whether_it_arrives_before_or_after_its_decision(loop):
    early, late = new_id(), new_id()
    _resolved(loop, early)  # dispatch's topic ran ahead of deliberation's
    _decided(loop, early, late)
    _resolved(loop, late)
    assert _implemented(loop) == (2, 2)


def test_rework_undoes_an_action_until_its_rework_round_is_resolved_in_any_order(loop):
    reworked, behind = new_id(), new_id()
    _decided(loop, reworked, behind)
    _resolved(loop, reworked)
    _reopened(loop, reworked, 1)
    _reopened(loop, behind, 1)  # the reopening heard before the resolution it undoes
    _resolved(loop, behind)
    assert _implemented(loop) == (0, 2), "both back in rework"
    _resolved(loop, reworked, 1)
    _resolved(loop, reworked, 0)  # an old round heard again changes nothing
    assert _implemented(loop) == (1, 2), "the rework round resolved"


# -- who sees a version before it is published ------------------------------------------------------

def test_an_unpublished_version_is_the_county_administrators_alone(loop):
    _a_year(loop)
    annual = loop.wiring.registrations[0].servicer.annual
    with _admin(loop):
        annual.calculate(2026)
        annual.publish(2026, 1)
        annual.calculate(2026)  # version 2, not published
        assert [v.version for v in annual.versions(2026)] == [1, 2]
        assert annual.ratings("", 2026, 2)[0].version == 2
    for who in (loop.county.secretary(), loop.county.acting_as("township_admin", "township", "t"),
                loop.county.acting_as("community_admin", "community", "c")):
        with who:
            assert [v.version for v in annual.versions(2026)] == [1], "published versions only"
            assert annual.ratings("", 2026, 1)[0].version == 1
            assert annual.ratings("", 2026, 0)[0].version == 1
            with pytest.raises(NotFound, match="no version 2"):
                annual.ratings("", 2026, 2)


def test_publishing_version_0_or_below_is_bad_input(loop):
    annual = loop.wiring.registrations[0].servicer.annual
    with _admin(loop):
        for version in (0, -1):
            with pytest.raises(InvalidArgument, match=r"^version must be 1 or more"):
                annual.publish(2026, version)


# -- two calculations at once (PostgreSQL: SQLite has one writer at a time anyway) --------------------

def test_two_first_calculations_of_a_year_take_turns(postgres_url, migrated_db, clock, monkeypatch):
    """The first calculation is held inside its transaction; the second, started meanwhile, waits
    for the year's lock row (no version exists yet to lock), then writes version 2, no error."""
    intake_db = migrated_db("intake", "sqlite://")
    county = build_county(intake_db, migrated_db("dispatch", "sqlite://"), clock)
    loop = ReviewLoop(county, migrated_db("evaluation", postgres_url), intake_db)
    annual = loop.wiring.registrations[0].servicer.annual
    inside, go_on = threading.Event(), threading.Event()
    counted = annual_storage.year_counts

    def held_first(conn, year):
        if not inside.is_set():
            inside.set()
            go_on.wait(10)
        return counted(conn, year)

    monkeypatch.setattr(annual_storage, "year_counts", held_first)
    outcomes: list[object] = []

    def calculate() -> None:
        try:
            with _admin(loop):
                outcomes.append(annual.calculate(2026).version)
        except Exception as exc:  # what a caller would be told: it must be no error at all
            outcomes.append(exc)

    first = threading.Thread(target=calculate)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=calculate)
    second.start()
    _waiting_for_a_lock(loop.db)
    go_on.set()
    first.join(20)
    second.join(20)
    assert sorted(outcomes) == [1, 2]  # type: ignore[type-var]


def _waiting_for_a_lock(db, within_s: float = 5) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar():
                return
        time.sleep(0.02)
    raise AssertionError("nobody waited on a lock: the calculations did not take turns")
