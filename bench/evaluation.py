"""`make bench` (part four): evaluation at a county's scale, as issue 12 sets it. One county of
`--neighbourhoods` neighbourhoods and a year of tasks carrying `--ratings` ratings, seen by every
part of evaluation (bench/evaluation_county.py: the rates' facts, members' commitments, decided
actions, door visits and panels), is bulk-inserted into evaluation's own database; then, timed:

- the rebuild of every rate cell from those facts (`python -m services.evaluation
  rebuild-aggregates` does the same);
- one calculation of the county's year for the annual rating (CalculateAnnualRatings), published;
- the queries registered with `timed`, each through the handler evaluation's gRPC servicer calls
  for its RPC (the servicer's own object graph from services/evaluation/wiring.py, in process, as
  the county's administrator; no network or protobuf translation): the three rates of the county
  for a year, a township's rankings, one member's quarterly review.

    python -m bench.evaluation [--neighbourhoods 1000] [--ratings 1000000] [--repeat 50]
                               [--database-url sqlite:///...]

Exit 1 if the rebuild takes 60 s or more, or a query's p50 is 200 ms or more.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.evaluation_county import YEAR, County, load_activities, load_directory, load_tasks
from servicekit import auth, migrations, topics
from servicekit.clock import FixedClock
from servicekit.database import Database
from servicekit.outbox import Outbox
from services.contract import COUNTY_ADMIN
from services.evaluation import wiring
from services.evaluation.grpc_api import EvaluationServicer
from services.evaluation.rates import handlers
from services.evaluation.rates.storage import rate_cells

REBUILD_LIMIT_S, QUERY_LIMIT_S = 60.0, 0.200
QUARTER = f"{YEAR}-Q2"
# The day the bench reads as: early in the next year, the year calculated.
TODAY = datetime(YEAR + 1, 1, 5, tzinfo=UTC)


# Given the loaded county and the servicer, the call to time.
MakeCall = Callable[[County, EvaluationServicer], Callable[[], Any]]


@dataclass(frozen=True)
class Timed:
    rpc: str  # the RPC whose handler is timed, and the handler: the output names both
    make: MakeCall


# name -> what to time over the loaded county. Each part of evaluation registers its own.
TIMED: dict[str, Timed] = {}


def timed(name: str, rpc: str) -> Callable[[MakeCall], MakeCall]:
    """Register a query to time over the loaded county (p50 over --repeat calls, under 200 ms)."""
    def register(make: MakeCall) -> MakeCall:
        TIMED[name] = Timed(rpc, make)
        return make
    return register


@timed("the three rates of the county for a year", "GetRates: RateQueries.rates")
def _county_year(county: County, servicer: EvaluationServicer) -> Callable[[], Any]:
    return lambda: servicer.rate_queries.rates(str(YEAR), place_id=county.county_id)


@timed("the three rates of one member for a year", "GetRates: RateQueries.rates")
def _member_year(county: County, servicer: EvaluationServicer) -> Callable[[], Any]:
    return lambda: servicer.rate_queries.rates(str(YEAR), member_id=_member(county))


@timed("a township's rankings", "GetAnnualRatings: AnnualRatings.ratings")
def _township_rankings(county: County, servicer: EvaluationServicer) -> Callable[[], Any]:
    return lambda: servicer.annual.ratings(county.township_ids[0], YEAR, 0)  # 0: the latest published


@timed("one member's review", "GetMemberReview: Reviews.member_review")
def _member_review(county: County, servicer: EvaluationServicer) -> Callable[[], Any]:
    return lambda: servicer.reviews.member_review(_member(county), QUARTER)


def _member(county: County) -> str:
    return next(iter(county.member_ids.values()))[0]


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
    county, report = _load(db, args)
    started = time.perf_counter()
    read = handlers.rebuild(db)
    rebuild = time.perf_counter() - started
    with db.read() as conn:
        report["cells"] = conn.execute(sa.select(sa.func.count()).select_from(rate_cells)).scalar_one()
    report["rebuild_s"] = round(rebuild, 1)
    tasks = report["tasks"]
    servicer = _servicer(db)
    token = auth.current.set(auth.Principal(subject="bench", role=COUNTY_ADMIN, scope=(county.county_id,),
                                            name="bench"))
    try:
        started = time.perf_counter()
        version = servicer.annual.calculate(YEAR)
        report["calculation_s"] = round(time.perf_counter() - started, 2)
        servicer.annual.publish(YEAR, version.version)
        wrong = [f"the rebuild read {read} tasks of {tasks}"] if read != tasks else []
        wrong += _wrong_answers(county, servicer, tasks)
        failed = rebuild >= REBUILD_LIMIT_S or bool(wrong)
        for name, query in TIMED.items():
            p50, p90 = p50_of(query.make(county, servicer), args.repeat)
            report[name] = {"through": query.rpc, "p50_ms": round(p50 * 1000, 2), "p90_ms": round(p90 * 1000, 2)}
            failed |= p50 >= QUERY_LIMIT_S
    finally:
        auth.current.reset(token)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print("queries timed through the handlers evaluation's gRPC servicer calls (its wiring, in process, as the "
          "county's administrator; no network or protobuf translation)")
    for problem in wrong:
        print(f"wrong: {problem}")
    print(f"rebuild limit {REBUILD_LIMIT_S:.0f} s, query p50 limit {QUERY_LIMIT_S * 1000:.0f} ms: "
          f"{'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


def _load(db: Database, args: argparse.Namespace) -> tuple[County, dict[str, Any]]:
    """The county, and what was loaded in how long."""
    marks = [time.perf_counter()]
    county = load_directory(db, args.neighbourhoods)
    marks.append(time.perf_counter())
    tasks, ratings = load_tasks(county, args.ratings)
    marks.append(time.perf_counter())
    activities = load_activities(county)
    marks.append(time.perf_counter())
    parts = ("directory", "tasks, ratings, commitments, actions", "visits and panels")
    return county, {
        "backend": db.backend, "neighbourhoods": args.neighbourhoods, "tasks": tasks, "ratings": ratings,
        "commitments": sum(county.commitments.values()), "visits and panels": activities,
        "load_s": round(marks[-1] - marks[0], 1),
        "load_s by part": {part: round(after - before, 1)
                           for part, (before, after) in zip(parts, pairwise(marks), strict=True)}}


def _servicer(db: Database) -> EvaluationServicer:
    """The servicer as evaluation's process wires it (its handlers, replica and settings)."""
    servicer = wiring.build(db, Outbox(topics.EVALUATION), FixedClock(TODAY)).registrations[0].servicer
    if not isinstance(servicer, EvaluationServicer):
        raise TypeError(f"evaluation's first registration is {type(servicer).__name__}, not its servicer")
    return servicer


def _wrong_answers(county: County, servicer: EvaluationServicer, tasks: int) -> list[str]:
    """What the timed queries answer, against what was loaded: a fast wrong answer is no answer."""
    wrong = []
    answer = TIMED["the three rates of the county for a year"].make(county, servicer)()
    if answer.tally.tasks != tasks:
        wrong.append(f"the county's year counts {answer.tally.tasks} tasks of {tasks}")
    _, rows = TIMED["a township's rankings"].make(county, servicer)()
    township = [p for p in county.neighbourhood_paths if p[1] == county.township_ids[0]]
    if sorted(r.rank_township for r in rows) != list(range(1, len(township) + 1)) or \
            {r.neighbourhood_id for r in rows} != {p[3] for p in township}:
        wrong.append(f"the township's rankings rank {len(rows)} neighbourhoods of {len(township)}")
    if not all(json.loads(r.counts)["ratings"] and r.score for r in rows):
        wrong.append("a neighbourhood of the township is ranked without its ratings or its score")
    member = _member(county)
    tally = TIMED["one member's review"].make(county, servicer)().tally
    expected = (county.commitments[member, QUARTER], county.visits[member, QUARTER])
    if (tally.committed, tally.door_visits) != expected:
        wrong.append(f"the member's review counts {tally.committed} commitments and {tally.door_visits} visits, "
                     f"not {expected[0]} and {expected[1]}")
    return wrong


if __name__ == "__main__":
    sys.exit(main())
