"""`make bench` (evaluation's reviews): a county of 1,000 neighbourhoods in evaluation's own database,
and the two reads people wait for: a township's annual rankings, and one member's quarterly review.
Each must answer under 200 ms at the median on the 2-core machine.

    python -m bench.reviews [--neighbourhoods 1000] [--database-url sqlite:///...]

The county (10 townships × 10 communities × 10 neighbourhoods; 10 members, 30 households and 100
commitments per neighbourhood, visits and panels) is written straight into evaluation's tables,
as its consumers would have kept them; the year is then calculated once (timed too).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from servicekit import auth, migrations, place_paths, topics
from servicekit.clock import FixedClock
from servicekit.database import Database
from servicekit.directory_replica import directory_replica
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from services.evaluation import wiring
from services.evaluation.annual.storage import neighbourhood_ratings
from services.evaluation.reviews.storage import member_activities, review_commitments

TARGET_MS = 200.0
YEAR = 2026


def _entity(entity_id: str, kind: str, path: tuple[str, ...], name: str) -> dict[str, Any]:
    return {"entity_id": entity_id, "kind": kind, "external_id": None, "parent_id": path[-2] if len(path) > 1 else None,
            "scope_path": place_paths.text(path), "name": name, "attributes": "{}", "version": 1,
            "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}


def load_county(db: Database, neighbourhoods: int) -> tuple[str, str, str]:
    """The county's places, people and a year of facts; answers (county, a township, a member)."""
    rng = random.Random(7)
    county = new_id()
    places = [_entity(county, "county", (county,), "示范县")]
    commitments, activities, ratings = [], [], []
    per_township = max(1, neighbourhoods // 10)
    township = community = ""
    first_member = ""
    for n in range(neighbourhoods):
        if n % per_township == 0:
            township = new_id()
            places.append(_entity(township, "township", (county, township), f"乡镇{n // per_township}"))
        if n % max(1, per_township // 10) == 0:
            community = new_id()
            places.append(_entity(community, "community", (county, township, community), f"社区{n}"))
        nb = new_id()
        path = (county, township, community, nb)
        places.append(_entity(nb, "neighbourhood", path, f"小区{n}"))
        org = new_id()
        places.append(_entity(org, "party_org", (*path, org), f"党支部{n}"))
        members = [new_id() for _ in range(10)]
        first_member = first_member or members[0]
        places += [_entity(m, "member", (*path, org, m), f"党员{n}-{i}") for i, m in enumerate(members)]
        households = [new_id() for _ in range(30)]
        places += [_entity(h, "household", (*path, h), f"{n}-{i}室") for i, h in enumerate(households)]
        for _ in range(100):
            at = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
            state = rng.choices(("fulfilled", "open", "released"), (8, 1, 1))[0]
            commitments.append({
                "commitment_id": new_id(), "task_id": new_id(), "member_id": rng.choice(members),
                "member_name": "", "neighbourhood_id": nb, "quarter": f"{YEAR}-Q{(at.month - 1) // 3 + 1}",
                "committed_at": at, "deadline": at + timedelta(days=7), "state": state,
                "fulfilled_at": at + timedelta(days=3) if state == "fulfilled" else None,
                "on_time": state == "fulfilled" and rng.random() < 0.8,
                "rating": rng.choice(("satisfied", "basically_satisfied", "unsatisfied", "")),
                "rated_at": None, "rework_rounds": rng.choice((0, 0, 0, 1))})
        for _ in range(40):
            day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            activities.append({"kind": "visit", "subject_id": new_id(), "member_id": rng.choice(members),
                               "neighbourhood_id": nb, "quarter": f"{YEAR}-Q{(day.month - 1) // 3 + 1}",
                               "occurred_on": day, "household_id": rng.choice(households)})
        ratings.append({"neighbourhood_id": nb, "year": YEAR, "ratings": 60, "satisfied": rng.randrange(30, 61)})
    with db.write() as tx:
        for table, rows in ((directory_replica, places), (review_commitments, commitments),
                            (member_activities, activities), (neighbourhood_ratings, ratings)):
            for start in range(0, len(rows), 5000):
                tx.conn.execute(table.insert(), rows[start:start + 5000])
    township_of_first = places[1]["entity_id"]
    return county, township_of_first, first_member


def _p50(call: Any, runs: int) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), max(took)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neighbourhoods", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'evaluation.db'}"
        db = Database(url)
        migrations.upgrade(db, "evaluation")
        started = time.perf_counter()
        county, township, member = load_county(db, args.neighbourhoods)
        print(f"loaded {args.neighbourhoods} neighbourhoods in {time.perf_counter() - started:.1f} s")
        clock = FixedClock(datetime(YEAR + 1, 1, 5, tzinfo=UTC))
        servicer = wiring.build(db, Outbox(topics.EVALUATION), clock).registrations[0].servicer
        admin = auth.Principal(subject="bench", role="county_admin", scope=(county,), name="bench")
        token = auth.current.set(admin)
        try:
            started = time.perf_counter()
            servicer.annual.calculate(YEAR)
            servicer.annual.publish(YEAR, 1)
            print(f"calculated the county's year in {time.perf_counter() - started:.2f} s")
            _, rows = servicer.annual.ratings(township, YEAR, 0)
            if len(rows) != max(1, args.neighbourhoods // 10) or not rows[0].score:
                print(f"the township's rankings are wrong: {len(rows)} rows")
                return 1
            reviewed = servicer.reviews.member_review(member, f"{YEAR}-Q2").tally
            print(f"the township has {len(rows)} neighbourhoods; the member's Q2: {reviewed}")
            township_p50, township_max = _p50(lambda: servicer.annual.ratings(township, YEAR, 0), 30)
            review_p50, review_max = _p50(lambda: servicer.reviews.member_review(member, f"{YEAR}-Q2"), 200)
        finally:
            auth.current.reset(token)
        db.engine.dispose()
    results = {"township rankings": (township_p50, township_max), "one member's review": (review_p50, review_max)}
    for what, (p50, worst) in results.items():
        print(f"{what}: p50 {p50:.1f} ms, max {worst:.1f} ms (target p50 < {TARGET_MS:.0f} ms)")
    print(json.dumps({k: round(v[0], 2) for k, v in results.items()}))
    return 0 if all(p50 < TARGET_MS for p50, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
