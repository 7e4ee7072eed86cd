"""`make bench` (part two): the door-visit coverage query over 100,000 visits in the demo county.

    python -m bench.coverage [--visits 100000] [--database-url sqlite:///...]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from servicekit import migrations, topics
from servicekit.clock import SystemClock
from servicekit.database import Database
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from services.intake import demo
from services.intake.directory.storage import directory_entities
from services.intake.visits.storage import visits as visits_table
from services.intake.wiring import assemble


def load_visits(db: Database, count: int, year: int) -> None:
    """`count` visits spread over the demo county's households and members across a year."""
    with db.read() as conn:
        households = conn.execute(sa.select(directory_entities.c.entity_id, directory_entities.c.parent_id,
                                            directory_entities.c.scope_path)
                                  .where(directory_entities.c.kind == "household")).all()
        members = conn.execute(sa.select(directory_entities.c.entity_id, directory_entities.c.scope_path)
                               .where(directory_entities.c.kind == "member")).all()
    members_of = {}
    for member in members:
        members_of.setdefault(member.scope_path.split("/")[4], []).append(member.entity_id)
    rng, start, now = random.Random(7), date(year, 1, 1), SystemClock().now()
    rows = []
    for _ in range(count):
        household = rng.choice(households)
        neighbourhood = household.scope_path.split("/")[4]
        rows.append({"visit_id": new_id(), "household_id": household.entity_id, "building_id": household.parent_id,
                     "neighbourhood_id": neighbourhood, "member_id": rng.choice(members_of[neighbourhood]),
                     "party_group_id": "", "visited_on": start + timedelta(days=rng.randrange(365)), "notes": "",
                     "concerns_raised": rng.choice((0, 0, 0, 1)), "recorded_at": now})
    for chunk in range(0, len(rows), 5000):
        with db.write() as tx:
            tx.conn.execute(visits_table.insert(), rows[chunk:chunk + 5000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lianyi-coverage-") as tmp:
        db = Database(args.database_url or f"sqlite:///{Path(tmp) / 'intake.db'}")
        migrations.upgrade(db, "intake")
        clock = SystemClock()
        demo.seed(db, clock, Path(tmp) / "credentials.json")
        year = clock.now().year
        loaded = time.perf_counter()
        load_visits(db, args.visits, year)
        load_seconds = time.perf_counter() - loaded
        with db.read() as conn:
            n1 = conn.execute(sa.select(directory_entities.c.entity_id).where(
                directory_entities.c.kind == "neighbourhood", directory_entities.c.external_id == "N1")).scalar_one()
        visits = assemble(db, Outbox(topics.INTAKE), clock).visits
        timings = {}
        for label, start, end in (("one month", f"{year}-03-01", f"{year}-03-31"),
                                  ("whole year", f"{year}-01-01", f"{year}-12-31")):
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                coverage = visits.coverage(n1, start, end)
                samples.append(time.perf_counter() - started)
            timings[label] = (statistics.median(samples), max(samples), coverage)
        db.dispose()
    print(f"\nvisit coverage over {args.visits} visits ({db.backend}; loaded in {load_seconds:.1f}s), "
          f"neighbourhood N1, {args.repeat} runs each:")
    for label, (median, worst, coverage) in timings.items():
        print(f"  {label:10}  p50 {median * 1000:6.1f} ms  max {worst * 1000:6.1f} ms   "
              f"({coverage.households_visited}/{coverage.households} households, {coverage.visits} visits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
