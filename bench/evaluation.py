"""`make bench` (part four): evaluation at a county's scale. A county of `--neighbourhoods`
neighbourhoods (10 to a community, 10 communities to a township, 10 members each) and the facts of
tasks carrying `--ratings` ratings are bulk-inserted into evaluation's own database; then, timed,
the rebuild of every rate cell from those facts (`python -m services.evaluation
rebuild-aggregates` does the same), and the three rates for the county for a year through the
domain query GetRates calls (RateQueries.rates: scope check against the replica, then the cells).

    python -m bench.evaluation [--neighbourhoods 1000] [--ratings 1000000] [--repeat 50]
                               [--database-url sqlite:///...]

Exit 1 if the rebuild takes 60 s or more, or a query's p50 is 200 ms or more. More timed
queries over the same county (a township's rankings, one member's review) join by `timed`:
each is a function of the loaded County returning a callable to time.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servicekit import migrations, place_paths
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica, directory_replica
from services.evaluation.rates import handlers
from services.evaluation.rates.queries import RateQueries
from services.evaluation.rates.storage import rate_departments, rate_ratings, rate_tasks

REBUILD_LIMIT_S, QUERY_LIMIT_S = 60.0, 0.200
YEAR = 2026
PER_LEVEL, MEMBERS_PER_NEIGHBOURHOOD, DEPARTMENTS = 10, 10, 20
CHUNK = 50_000


@dataclass
class County:
    """What was loaded: the database and the ids a timed query may name."""

    db: Database
    county_id: str
    township_ids: list[str]
    community_ids: list[str]
    neighbourhood_paths: list[tuple[str, ...]]
    member_ids: dict[str, list[str]] = field(default_factory=dict)  # by neighbourhood
    department_ids: list[str] = field(default_factory=list)


# name -> (County -> the call to time). The other parts of evaluation add theirs here.
TIMED: dict[str, Callable[[County], Callable[[], Any]]] = {}


def timed(name: str) -> Callable[[Callable[[County], Callable[[], Any]]], Callable[[County], Callable[[], Any]]]:
    """Register a query to time over the loaded county (p50 over --repeat calls, under 200 ms)."""
    def register(make: Callable[[County], Callable[[], Any]]) -> Callable[[County], Callable[[], Any]]:
        TIMED[name] = make
        return make
    return register


@timed("the three rates of the county for a year")
def _county_year(county: County) -> Callable[[], Any]:
    queries = RateQueries(county.db, DirectoryReplica(county.db))
    return lambda: queries.rates(str(YEAR), place_id=county.county_id)


@timed("the three rates of one member for a year")
def _member_year(county: County) -> Callable[[], Any]:
    queries = RateQueries(county.db, DirectoryReplica(county.db))
    member = next(iter(county.member_ids.values()))[0]
    return lambda: queries.rates(str(YEAR), member_id=member)


# -- loading ---------------------------------------------------------------------------------------

_KIND_NUMBER = {"county": 1, "township": 2, "community": 3, "neighbourhood": 4, "member": 5, "department": 6}


def _id(kind: str, number: int) -> str:
    """An id shaped like those the directory issues (servicekit.ids), one range per kind."""
    return f"{_KIND_NUMBER[kind]:02d}{number:06d}-0000-7000-8000-000000000000"


def load_directory(db: Database, neighbourhoods: int) -> County:
    """The places, members and departments into the directory replica (what scope checks read)."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def add(kind: str, entity_id: str, path: tuple[str, ...]) -> None:
        rows.append({"entity_id": entity_id, "kind": kind, "external_id": None,
                     "parent_id": path[-2] if len(path) > 1 else None, "scope_path": place_paths.text(path),
                     "name": entity_id[:10], "attributes": "{}", "version": 1, "updated_at": now})

    county_id = _id("county", 0)
    add("county", county_id, (county_id,))
    county = County(db, county_id, [], [], [])
    per_township = PER_LEVEL * PER_LEVEL
    for n in range(neighbourhoods):
        township, community = n // per_township, n // PER_LEVEL
        township_path = (county_id, _id("township", township))
        community_path = (*township_path, _id("community", community))
        if n % per_township == 0:
            add("township", township_path[1], township_path)
            county.township_ids.append(township_path[1])
        if n % PER_LEVEL == 0:
            add("community", community_path[2], community_path)
            county.community_ids.append(community_path[2])
        path = (*community_path, _id("neighbourhood", n))
        add("neighbourhood", path[3], path)
        county.neighbourhood_paths.append(path)
        members = [_id("member", n * MEMBERS_PER_NEIGHBOURHOOD + m) for m in range(MEMBERS_PER_NEIGHBOURHOOD)]
        county.member_ids[path[3]] = members
        for member in members:
            add("member", member, (*path, member))
    for d in range(DEPARTMENTS):
        county.department_ids.append(_id("department", d))
        add("department", county.department_ids[-1], (county_id, county.department_ids[-1]))
    with db.write() as tx:
        for start in range(0, len(rows), CHUNK):
            tx.conn.execute(directory_replica.insert(), rows[start:start + CHUNK])
    return county


def load_facts(county: County, ratings: int, seed: int = 7) -> tuple[int, int]:
    """Tasks over the year until `ratings` ratings: 1 in 10 reworked (rated twice), 1 in 30 closed
    unrated, 1 in 50 whistled to a department; bulk inserts. Returns (tasks, ratings)."""
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    tasks, rated, number = [], [], 0
    departments = []
    while len(rated) < ratings:
        number += 1
        task_id = f"{number:08d}-0000-7000-8000-000000000000"
        path = county.neighbourhood_paths[rng.randrange(len(county.neighbourhood_paths))]
        opened = start + timedelta(minutes=rng.randrange(365 * 24 * 60 - 60 * 24 * 30))
        deadline = opened + timedelta(hours=24)
        acted = opened + timedelta(minutes=rng.randrange(60 * 30))
        resolved = acted + timedelta(minutes=rng.randrange(60 * 24 * 10))
        reworked = rng.randrange(10) == 0
        tasks.append({"task_id": task_id, "county_id": path[0], "township_id": path[1], "community_id": path[2],
                      "neighbourhood_id": path[3], "opened_at": opened, "deadline": deadline, "acted_at": acted,
                      "handler_id": rng.choice(county.member_ids[path[3]]), "handler_at": acted,
                      "resolved_round": 1 if reworked else 0, "resolved_at": resolved + timedelta(days=2 * reworked),
                      "reopened_round": 1 if reworked else 0})
        if reworked:
            rated.append({"task_id": task_id, "round": 1, "outcome": "unsatisfied"})
        outcome = "unrated" if rng.randrange(30) == 0 else rng.choice(("satisfied", "satisfied", "basically_satisfied",
                                                                       "unsatisfied"))
        rated.append({"task_id": task_id, "round": 2 if reworked else 1, "outcome": outcome})
        if rng.randrange(50) == 0:
            departments.append({"task_id": task_id, "department_id": rng.choice(county.department_ids),
                                "report_in_due": opened + timedelta(hours=24),
                                "reported_at": opened + timedelta(minutes=rng.randrange(60 * 30))})
    with county.db.write() as tx:
        for table, rows in ((rate_tasks, tasks), (rate_ratings, rated), (rate_departments, departments)):
            for at in range(0, len(rows), CHUNK):
                tx.conn.execute(table.insert(), rows[at:at + CHUNK])
    return len(tasks), len(rated)


# -- measuring -------------------------------------------------------------------------------------

def p50_of(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    call()  # warm: the first call opens connections and compiles statements
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.9) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation")
    parser.add_argument("--neighbourhoods", type=int, default=1000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lianyi-bench-evaluation-") as scratch:
        db = Database(args.database_url or f"sqlite:///{Path(scratch) / 'evaluation.db'}")
        try:
            return _run(db, args)
        finally:
            db.dispose()


def _run(db: Database, args: argparse.Namespace) -> int:
    migrations.upgrade(db, "evaluation")
    started = time.perf_counter()
    county = load_directory(db, args.neighbourhoods)
    tasks, ratings = load_facts(county, args.ratings)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    read = handlers.rebuild(db)
    rebuild = time.perf_counter() - started
    assert read == tasks, (read, tasks)
    with db.read() as conn:
        cells = conn.execute(sa.select(sa.func.count()).select_from(sa.table("rate_cells"))).scalar_one()
    report: dict[str, Any] = {"backend": db.backend, "neighbourhoods": args.neighbourhoods, "tasks": tasks,
                              "ratings": ratings, "cells": cells, "load_s": round(loaded, 1),
                              "rebuild_s": round(rebuild, 1)}
    failed = rebuild >= REBUILD_LIMIT_S
    answer = TIMED["the three rates of the county for a year"](county)()
    assert answer.tally.tasks == tasks, "the county's year counts every task"
    for name, make in TIMED.items():
        p50, p90 = p50_of(make(county), args.repeat)
        report[name] = {"p50_ms": round(p50 * 1000, 2), "p90_ms": round(p90 * 1000, 2)}
        failed |= p50 >= QUERY_LIMIT_S
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"rebuild limit {REBUILD_LIMIT_S:.0f} s, query p50 limit {QUERY_LIMIT_S * 1000:.0f} ms: "
          f"{'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
