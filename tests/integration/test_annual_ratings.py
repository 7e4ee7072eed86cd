"""The annual rating (年度量化评定) through evaluation's consumers on real databases (SQLite, and
PostgreSQL where present): a county's year calculated from decided actions, ratings, ledgers,
visits and panels; published; recalculated as version 2 with version 1 unchanged; and who may do it."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sqlalchemy as sa

from lianyi.deliberation.v1.events_pb2 import DecidedAction, DecisionMade
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from servicekit import topics
from servicekit.errors import Conflict, NotFound, PermissionDenied
from servicekit.ids import new_id
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
