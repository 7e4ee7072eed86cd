"""The county `python -m bench.evaluation` loads, written straight into evaluation's tables as its
consumers would have kept them, in bulk: the directory replica (10 townships of 10 communities of
10 neighbourhoods; each neighbourhood with its party organisation of 10 members and 200
households), and a year of one set of tasks seen by every part of evaluation that learns from
them: the three rates' facts (`rate_tasks`, `rate_ratings`, `rate_departments`), each member's
commitments (`review_commitments`), the decided actions some of the tasks carry out
(`decided_actions`), and the members' door visits and panels (`member_activities`).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench import bulk
from servicekit import place_paths
from servicekit.database import Database
from servicekit.directory_replica import directory_replica
from services import periods
from services.contract import COUNTY_TIME
from services.evaluation.annual.storage import action_resolutions, decided_actions
from services.evaluation.rates.storage import rate_departments, rate_ratings, rate_tasks
from services.evaluation.reviews.storage import FULFILLED, PANEL, RELEASED, VISIT, member_activities, review_commitments

YEAR = 2026
PER_LEVEL, MEMBERS_PER_NEIGHBOURHOOD, DEPARTMENTS = 10, 10, 20
BUILDINGS_PER_NEIGHBOURHOOD, HOUSEHOLDS_PER_BUILDING = 4, 50
PANEL_SIZE = 5
TASKS_AT_ONCE = 50_000  # generated, then inserted: a million tasks' rows at once would take gigabytes


@dataclass
class County:
    """What was loaded: the database, the ids a timed query may name, and what some answers must be."""

    db: Database
    county_id: str
    township_ids: list[str]
    community_ids: list[str]
    neighbourhood_paths: list[tuple[str, ...]]
    member_ids: dict[str, list[str]] = field(default_factory=dict)  # by neighbourhood
    member_names: dict[str, str] = field(default_factory=dict)
    department_ids: list[str] = field(default_factory=list)
    # (member, quarter) -> commitments made / door visits: what that member's review must count.
    commitments: Counter[tuple[str, str]] = field(default_factory=Counter)
    visits: Counter[tuple[str, str]] = field(default_factory=Counter)


_KIND_NUMBER = {"county": 1, "township": 2, "community": 3, "neighbourhood": 4, "member": 5, "department": 6,
                "party_org": 7, "building": 8, "household": 9}
# The facts' own ids, one range per kind of fact (the eight digits are a running number).
_FACT_NUMBER = {"task": 0, "commitment": 1, "released": 2, "action": 3, "decision": 4, "visit": 5, "topic": 6}


def _id(kind: str, number: int) -> str:
    """An id shaped like those the directory issues (servicekit.ids), one range per kind."""
    return f"{_KIND_NUMBER[kind]:02d}{number:06d}-0000-7000-8000-000000000000"


def _fact_id(kind: str, number: int) -> str:
    return f"{number:08d}-0000-7000-800{_FACT_NUMBER[kind]}-000000000000"


def _insert(db: Database, *tables: tuple[sa.Table, list[dict[str, Any]]]) -> None:
    with db.write() as tx, bulk.roomy_cache(tx.conn):
        for table, rows in tables:
            bulk.insert(tx.conn, table, rows)


def load_directory(db: Database, neighbourhoods: int) -> County:
    """The places, party organisations, members, buildings, households and departments into the
    directory replica (what scope checks read, and the annual rating counts members and households in)."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def add(kind: str, entity_id: str, path: tuple[str, ...], name: str) -> None:
        rows.append({"entity_id": entity_id, "kind": kind, "external_id": None,
                     "parent_id": path[-2] if len(path) > 1 else None, "scope_path": place_paths.text(path),
                     "name": name, "attributes": "{}", "version": 1, "updated_at": now})

    county_id = _id("county", 0)
    add("county", county_id, (county_id,), "示范县")
    county = County(db, county_id, [], [], [])
    per_township = PER_LEVEL * PER_LEVEL
    for n in range(neighbourhoods):
        township, community = n // per_township, n // PER_LEVEL
        township_path = (county_id, _id("township", township))
        community_path = (*township_path, _id("community", community))
        if n % per_township == 0:
            add("township", township_path[1], township_path, f"乡镇{township}")
            county.township_ids.append(township_path[1])
        if n % PER_LEVEL == 0:
            add("community", community_path[2], community_path, f"社区{community}")
            county.community_ids.append(community_path[2])
        path = (*community_path, _id("neighbourhood", n))
        add("neighbourhood", path[3], path, f"小区{n}")
        county.neighbourhood_paths.append(path)
        org = (*path, _id("party_org", n))
        add("party_org", org[-1], org, f"小区{n}党支部")
        members = [_id("member", n * MEMBERS_PER_NEIGHBOURHOOD + m) for m in range(MEMBERS_PER_NEIGHBOURHOOD)]
        county.member_ids[path[3]] = members
        for m, member in enumerate(members):
            county.member_names[member] = f"党员{n}-{m}"
            add("member", member, (*org, member), county.member_names[member])
        for b in range(BUILDINGS_PER_NEIGHBOURHOOD):
            building = (*path, _id("building", n * BUILDINGS_PER_NEIGHBOURHOOD + b))
            add("building", building[-1], building, f"{b + 1}号楼")
            for h in range(HOUSEHOLDS_PER_BUILDING):
                household = _household(n, b * HOUSEHOLDS_PER_BUILDING + h)
                add("household", household, (*building, household), f"{b + 1}-{h + 1}室")
    for d in range(DEPARTMENTS):
        county.department_ids.append(_id("department", d))
        add("department", county.department_ids[-1], (county_id, county.department_ids[-1]), f"部门{d}")
    _insert(db, (directory_replica, rows))
    return county


def _household(neighbourhood: int, number: int) -> str:
    return _id("household", neighbourhood * BUILDINGS_PER_NEIGHBOURHOOD * HOUSEHOLDS_PER_BUILDING + number)


def load_tasks(county: County, ratings: int, seed: int = 7) -> tuple[int, int]:
    """Tasks over the year until `ratings` ratings, each assigned to a member of its neighbourhood:
    1 in 10 reworked (rated twice), 1 in 30 closed unrated, 1 in 50 whistled to a department. Each
    task's facts as the rates keep them, its handler's commitment as the reviews keep it (1 in 20
    handed over from another member, whose commitment was released), and 1 in 10 a decided action
    of a joint meeting, resolved with its task. Returns (tasks, ratings)."""
    rng, ledger_rng = random.Random(seed), random.Random(seed + 1)  # the rate facts as before the ledger
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    tables = (rate_tasks, rate_ratings, rate_departments, review_commitments, decided_actions, action_resolutions)
    rows: dict[sa.Table, list[dict[str, Any]]] = {table: [] for table in tables}
    tasks, rated, departments, commitments, actions, fates = rows.values()
    number = ratings_made = 0
    with county.db.write() as tx, bulk.roomy_cache(tx.conn):
        while ratings_made < ratings:
            number += 1
            task_id = _fact_id("task", number)
            path = county.neighbourhood_paths[rng.randrange(len(county.neighbourhood_paths))]
            opened = start + timedelta(minutes=rng.randrange(365 * 24 * 60 - 60 * 24 * 30))
            deadline = opened + timedelta(hours=24)
            acted = opened + timedelta(minutes=rng.randrange(60 * 30))
            resolved = acted + timedelta(minutes=rng.randrange(60 * 24 * 10))
            reworked = rng.randrange(10) == 0
            handler = rng.choice(county.member_ids[path[3]])
            tasks.append({"task_id": task_id, "county_id": path[0], "township_id": path[1], "community_id": path[2],
                          "neighbourhood_id": path[3], "opened_at": opened, "deadline": deadline, "acted_at": acted,
                          "handler_id": handler, "handler_at": acted, "resolved_round": 1 if reworked else 0,
                          "resolved_at": resolved + timedelta(days=2 * reworked),
                          "reopened_round": 1 if reworked else 0})
            if reworked:
                rated.append({"task_id": task_id, "round": 1, "outcome": "unsatisfied"})
            outcome = "unrated" if rng.randrange(30) == 0 else rng.choice(
                ("satisfied", "satisfied", "basically_satisfied", "unsatisfied"))
            rated.append({"task_id": task_id, "round": 2 if reworked else 1, "outcome": outcome})
            ratings_made += 1 + reworked
            if rng.randrange(50) == 0:
                departments.append({"task_id": task_id, "department_id": rng.choice(county.department_ids),
                                    "report_in_due": opened + timedelta(hours=24),
                                    "reported_at": opened + timedelta(minutes=rng.randrange(60 * 30))})
            commitments += _commitments(county, ledger_rng, number, tasks[-1], outcome, first_resolved=resolved)
            if ledger_rng.randrange(10) == 0:
                actions.append({"action_id": _fact_id("action", number), "decision_id": _fact_id("decision", number),
                                "neighbourhood_id": path[3], "year": opened.astimezone(COUNTY_TIME).year})
                fates.append({"action_id": _fact_id("action", number), "resolved_round": 0, "reopened_round": 0})
            if len(tasks) == TASKS_AT_ONCE or ratings_made >= ratings:
                for table in tables:
                    bulk.insert(tx.conn, table, rows[table])
                    rows[table].clear()
        bulk.insert(tx.conn, decided_actions, _undone_actions(county, ledger_rng, number))
    return number, ratings_made


def _commitments(county: County, rng: random.Random, number: int, task: dict[str, Any], outcome: str, *,
                 first_resolved: datetime) -> list[dict[str, Any]]:
    """The task's commitments as the reviews keep them: its handler's, fulfilled (rework gives it a
    new deadline three days from the first resolution), and 1 in 20 times a released one before it,
    by another member of the neighbourhood who had the task first."""
    handler, resolved, reworked = task["handler_id"], task["resolved_at"], task["reopened_round"] > 0
    due = first_resolved + timedelta(days=3) if reworked else task["deadline"]
    rated = outcome != "unrated"
    made = [{"commitment_id": _fact_id("commitment", number), "task_id": task["task_id"], "member_id": handler,
             "member_name": county.member_names[handler], "neighbourhood_id": task["neighbourhood_id"],
             "quarter": periods.quarter_of_moment(task["handler_at"]), "committed_at": task["handler_at"], "deadline": due,
             "state": FULFILLED, "fulfilled_at": resolved, "on_time": resolved <= due,
             "rating": outcome if rated else "", "rated_at": resolved + timedelta(hours=6) if rated else None,
             "rework_rounds": int(reworked)}]
    if rng.randrange(20) == 0:
        before = rng.choice([m for m in county.member_ids[task["neighbourhood_id"]] if m != handler])
        made.append({**made[0], "commitment_id": _fact_id("released", number), "member_id": before,
                     "member_name": county.member_names[before], "quarter": periods.quarter_of_moment(task["opened_at"]),
                     "committed_at": task["opened_at"], "deadline": task["deadline"], "state": RELEASED,
                     "fulfilled_at": None, "on_time": False, "rating": "", "rated_at": None, "rework_rounds": 0})
    for commitment in made:
        county.commitments[commitment["member_id"], commitment["quarter"]] += 1
    return made


def _undone_actions(county: County, rng: random.Random, after: int) -> list[dict[str, Any]]:
    """Actions decided late in the year whose tasks are not opened yet (0 to 7 a neighbourhood)."""
    found = []
    for path in county.neighbourhood_paths:
        for _ in range(rng.randrange(8)):
            after += 1
            found.append({"action_id": _fact_id("action", after), "decision_id": _fact_id("decision", after),
                          "neighbourhood_id": path[3], "year": YEAR})
    return found


def load_activities(county: County, seed: int = 9) -> int:
    """Each neighbourhood's year of door visits (100 to 499, by its members to its households) and
    panels (0 to 12 topics, each served by 5 of its members). Returns how many rows."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    households = BUILDINGS_PER_NEIGHBOURHOOD * HOUSEHOLDS_PER_BUILDING
    visits = topics = 0
    for n, path in enumerate(county.neighbourhood_paths):
        members = county.member_ids[path[3]]
        for _ in range(rng.randrange(100, 500)):
            visits += 1
            day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            member, quarter = rng.choice(members), periods.quarter_of(day)
            rows.append({"kind": VISIT, "subject_id": _fact_id("visit", visits), "member_id": member,
                         "neighbourhood_id": path[3], "quarter": quarter, "occurred_on": day,
                         "household_id": _household(n, rng.randrange(households))})
            county.visits[member, quarter] += 1
        for _ in range(rng.randrange(13)):
            topics += 1
            day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            rows += [{"kind": PANEL, "subject_id": _fact_id("topic", topics), "member_id": member,
                      "neighbourhood_id": path[3], "quarter": periods.quarter_of(day), "occurred_on": day,
                      "household_id": ""} for member in rng.sample(members, PANEL_SIZE)]
    _insert(county.db, (member_activities, rows))
    return len(rows)
