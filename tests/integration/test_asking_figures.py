"""Asking's figures (IntakeService.GetAskingFigures) on a real database (SQLite, and PostgreSQL where
present): a hand-made county, counted by hand, at every level and at the edges of the county's days."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from servicekit import auth
from servicekit.errors import InvalidArgument, NotFound
from services.intake.domain import SubmitConcern
from services.intake.figures import storage
from services.intake.talks.domain import LogEntry
from services.intake.visits.domain import RaisedConcern
from tests.integration.conftest import intake_parts

FIRST, LAST = "2026-11-01", "2026-11-02"


def _at(clock, moment: str) -> None:
    clock.advance(seconds=(datetime.fromisoformat(moment) - clock.now()).total_seconds())


@pytest.fixture
def county(database_url, migrated_db, places, clock):
    """nb-1 and nb-2 in 南门社区 (城关镇), nb-3 in another township; visits, a talk session and
    concerns in and just outside 2026-11-01..02, county time (UTC+8)."""
    db = migrated_db("intake", database_url)
    ids = places(db, clock)
    parts = intake_parts(db, clock)
    d = parts.directory

    def make(kind: str, name: str, parent: str, **attributes) -> str:
        return d.create(kind=kind, name=name, parent_id=ids[parent], attributes=attributes or None).entity_id

    ids["t2"] = make("township", "海滨镇", "county")
    ids["c2"] = make("community", "渔港社区", "t2")
    ids["nb-3"] = make("neighbourhood", "海景湾", "c2")
    ids["b-3"] = make("building", "1号楼", "nb-3")
    ids["h-3"] = make("household", "101室", "b-3")
    ids["b-2"] = make("building", "1号楼", "nb-2")
    ids["h-4"] = make("household", "101室", "b-2")
    for n in ("1", "3"):
        ids[f"org-{n}"] = make("party_org", "党支部", f"nb-{n}")
        ids[f"m-{n}"] = make("member", "林", f"org-{n}", member_kind="serving")
    ids["venue"] = make("venue", "老年协会", "nb-1")
    ids["host"] = make("volunteer", "林阿姨", "nb-1")

    def online(neighbourhood: str, category: str) -> str:
        return parts.concerns.submit_concern(SubmitConcern(
            neighbourhood_id=ids[neighbourhood], channel="online", category=category, description="业主群消息",
        )).concern_id

    _at(clock, "2026-10-31T15:55:00+00:00")  # 23:55 on 10-31 in the county: before the days
    online("nb-1", "other")
    _at(clock, "2026-10-31T16:05:00+00:00")  # 00:05 on 11-01: the first day
    online("nb-1", "noise")
    _at(clock, "2026-11-02T09:00:00+00:00")
    visits = parts.visits
    noisy = visits.record(household_id=ids["h-0"], member_id=ids["m-1"], visited_on="2026-11-01", notes="",
                          concerns=[RaisedConcern("noise", "楼上装修"), RaisedConcern("noise", "夜里装修")])
    visits.record(household_id=ids["h-0"], member_id=ids["m-1"], visited_on="2026-11-02", notes="", concerns=[])
    visits.record(household_id=ids["h-1"], member_id=ids["m-1"], visited_on="2026-11-02", notes="",
                  concerns=[RaisedConcern("blocked_hallway", "楼道堆物")])
    visits.record(household_id=ids["h-2"], member_id=ids["m-1"], visited_on="2026-10-31", notes="", concerns=[])
    visits.record(household_id=ids["h-3"], member_id=ids["m-3"], visited_on="2026-11-02", notes="",
                  concerns=[RaisedConcern("noise", "广场舞")])
    parts.talks.record(venue_id=ids["venue"], held_on="2026-11-02", host_ids=[ids["host"]], attendance=12, entries=[
        LogEntry("路灯坏了", category="other", becomes_concern=True), LogEntry("感谢物业")])
    parts.talks.record(venue_id=ids["venue"], held_on="2026-10-30", host_ids=[ids["host"]], attendance=7,
                       entries=[LogEntry("停车难")])
    online("nb-2", "noise")
    _at(clock, "2026-11-02T15:50:00+00:00")  # 23:50 on 11-02: the last day
    online("nb-1", "other")
    _at(clock, "2026-11-02T16:10:00+00:00")  # 00:10 on 11-03: after the days
    online("nb-1", "noise")
    parts.triage.merge(noisy.concern_ids[0], [noisy.concern_ids[1]], "同一件事")
    return parts, ids


def _counts(figures) -> dict:
    return {"households": figures.households, "visited": figures.households_visited, "visits": figures.door_visits,
            "raised": figures.concerns_raised_on_visits, "talks": figures.talk_sessions,
            "attendance": figures.talk_attendance, "entries": figures.opinion_log_entries,
            "received": figures.concerns_received, "merged": figures.concerns_merged,
            "channels": figures.by_channel, "categories": figures.by_category}


def test_asking_figures_count_a_places_subtree_over_the_countys_days(county):
    parts, ids = county
    report = parts.asking
    assert _counts(report.figures(ids["county"], FIRST, LAST)) == {
        "households": 5, "visited": 3, "visits": 4, "raised": 4, "talks": 1, "attendance": 12, "entries": 2,
        "received": 8, "merged": 1, "channels": {"door_visit": 4, "sit_down_talk": 1, "online": 3},
        "categories": {"blocked_hallway": 1, "noise": 5, "other": 2}}
    assert _counts(report.figures(ids["community"], FIRST, LAST)) == {
        "households": 4, "visited": 2, "visits": 3, "raised": 3, "talks": 1, "attendance": 12, "entries": 2,
        "received": 7, "merged": 1, "channels": {"door_visit": 3, "sit_down_talk": 1, "online": 3},
        "categories": {"blocked_hallway": 1, "noise": 4, "other": 2}}
    assert _counts(report.figures(ids["nb-2"], FIRST, LAST)) == {
        "households": 1, "visited": 0, "visits": 0, "raised": 0, "talks": 0, "attendance": 0, "entries": 0,
        "received": 1, "merged": 0, "channels": {"door_visit": 0, "sit_down_talk": 0, "online": 1},
        "categories": {"noise": 1}}
    assert _counts(report.figures(ids["t2"], FIRST, LAST)) == {
        "households": 1, "visited": 1, "visits": 1, "raised": 1, "talks": 0, "attendance": 0, "entries": 0,
        "received": 1, "merged": 0, "channels": {"door_visit": 1, "sit_down_talk": 0, "online": 0},
        "categories": {"noise": 1}}
    one_day = report.figures(ids["nb-1"], LAST, LAST)
    assert (one_day.households_visited, one_day.door_visits, one_day.visit_coverage) == (2, 2, 0.6667)


def test_asking_figures_answer_only_places_the_caller_may_see(county):
    parts, ids = county
    report = parts.asking
    secretary = auth.Principal(subject="nb-2.secretary", role="party_secretary",
                               scope=(ids["county"], ids["township"], ids["community"], ids["nb-2"]))
    token = auth.current.set(secretary)
    try:
        assert report.figures(ids["nb-2"], FIRST, LAST).concerns_received == 1
        for above_or_beside in ("nb-1", "community", "county", "nb-3"):
            with pytest.raises(NotFound):
                report.figures(ids[above_or_beside], FIRST, LAST)
    finally:
        auth.current.reset(token)
    with pytest.raises(NotFound, match="no neighbourhood, community, township or county"):
        report.figures(ids["b-1"], FIRST, LAST)


@pytest.mark.parametrize(("first", "last", "field"), [
    ("2026-11-31", LAST, "from_day"), (FIRST, "2026-13-01", "to_day"), ("", LAST, "from_day"),
    (LAST, FIRST, "to_day must not be before from_day")])
def test_asking_figures_refuse_days_that_are_not_a_period(county, first, last, field):
    parts, ids = county
    with pytest.raises(InvalidArgument, match=field):
        parts.asking.figures(ids["county"], first, last)


def test_asking_figures_read_through_indexes_not_whole_tables(county):
    """Every table the figures read is searched by an index, never scanned whole: on SQLite as its
    planner chooses, on PostgreSQL as it can (sequential scans off: its planner rightly scans a
    table this small, but the paths' range must be one its C-collated index serves)."""
    parts, ids = county
    path = (ids["county"], ids["township"])
    first, last = datetime(2026, 11, 1).date(), datetime(2026, 11, 2).date()
    start, end = datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 2, 16, tzinfo=UTC)
    captured: list[tuple[str, object]] = []

    @sa.event.listens_for(parts.db.engine, "before_cursor_execute")
    def _keep(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    try:
        with parts.db.read() as conn:
            storage.households(conn, path)
            storage.visits_in(conn, path, first, last)
            storage.talks_in(conn, path, first, last)
            storage.concerns_in(conn, path, start, end)
    finally:
        sa.event.remove(parts.db.engine, "before_cursor_execute", _keep)
    captured = [(statement, parameters) for statement, parameters in captured if statement.lstrip().startswith("SELECT")]
    assert len(captured) == 5
    sqlite = parts.db.engine.dialect.name == "sqlite"
    with parts.db.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        if not sqlite:
            cursor.execute("SET enable_seqscan = off")
        plans = []
        for statement, parameters in captured:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}" if sqlite else f"EXPLAIN {statement}", parameters)
            plans += [row[3] if sqlite else row[0] for row in cursor.fetchall()]
    if sqlite:
        whole = [step for step in plans if step.startswith("SCAN") and "CONSTANT" not in step]
    else:
        whole = [step for step in plans if "Seq Scan" in step]
    assert whole == [], "\n".join(plans)
    assert any(("SEARCH" if sqlite else "Index") in step for step in plans)
