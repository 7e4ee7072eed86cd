"""`make bench` (part three): the residents' vote (议不议), the hottest write: a whole neighbourhood
voting on one topic in one evening, through the gateway, while the party secretary watches the tally.

    python -m bench.votes [--households 10000] [--clients 16]

One neighbourhood is imported under the demo community CM1 (buildings of households, a party
organisation and its secretary's account), a concern is pooled, drafted into a topic and published.
Every household then votes once from `--clients` keep-alive sessions (about 70% yes), and 1 in 20
votes again with the other choice, so the final tally is known exactly; meanwhile one more client
reads the tally in a loop. Afterwards the tally must equal the final choices sent (exit 1 if not).
Residents' bearer tokens are minted with the local run's signing key (as the gateway would sign
them after an access code): signing in is not what is measured.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench import cpu
from localrun.supervisor import Addresses, LocalSystem
from servicekit import auth

# As the end-to-end tests run it (tests/e2e/conftest.py FAST_KAFKA): consumer groups join in
# seconds; quieter logs.
ENVIRONMENT = {
    "LIANYI_KAFKA_MAX_POLL_INTERVAL_MS": "2000",
    "LIANYI_KAFKA_SESSION_TIMEOUT_MS": "6000",
    "LIANYI_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "LIANYI_LOG_LEVEL": "WARNING",
}
IMPORT_ROWS = 5000  # the import API's limit per request
PER_BUILDING = 100
YES_SHARE, CHANGERS = 0.7, 20  # ~70% yes; 1 household in CHANGERS votes twice
TALLY_TARGET_S = 0.050
# Where the time goes, from the processes' own histograms: deliberation's gRPC handling, and the
# gateway's request handling (neither counts the wait for a free thread before it).
RPCS = {"/lianyi.deliberation.v1.DeliberationService/CastVote": "deliberation CastVote",
        "/lianyi.deliberation.v1.DeliberationService/GetTally": "deliberation GetTally"}
ROUTES = {"/api/v1/topics/<topic_id>/vote": "gateway PUT vote", "/api/v1/topics/<topic_id>/tally": "gateway GET tally"}
ACCOUNT_PASSWORD = "bench password, long enough"


def _percentile(values: list[float], q: int) -> float:
    """Nearest-rank percentile (q in 1..100) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, -(-q * len(ordered) // 100) - 1)]


def _wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f}s")


class Api:
    def __init__(self, gateway: str):
        self.base = f"{gateway}/api/v1"
        self.session = requests.Session()

    def call(self, method: str, path: str, headers: dict | None = None, expect: int | None = 200, **kwargs):
        response = self.session.request(method, f"{self.base}{path}", headers=headers, timeout=120, **kwargs)
        if expect is not None and response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response

    def sign_in(self, username: str, password: str) -> tuple[dict, dict]:
        signed = self.call("POST", "/auth/token", json={"username": username, "password": password}).json()
        return {"Authorization": f"Bearer {signed['access_token']}"}, signed


@dataclass
class Place:
    neighbourhood_id: str = ""
    scope: tuple[str, ...] = ()
    households: list[str] = field(default_factory=list)
    secretary: dict = field(default_factory=dict)  # headers
    topic_id: str = ""


def _rows(households: int, tag: str) -> list[dict]:
    """The neighbourhood, its party organisation and secretary, buildings, then households:
    parents before children."""
    neighbourhood = f"VN-{tag}"
    rows = [{"kind": "neighbourhood", "external_id": neighbourhood, "parent_external_id": "CM1",
             "name": f"投票小区{tag}"},
            {"kind": "party_org", "external_id": f"VPO-{tag}", "parent_external_id": neighbourhood, "name": "党支部"},
            {"kind": "member", "external_id": f"VM-{tag}-0", "parent_external_id": f"VPO-{tag}", "name": "书记",
             "attributes": {"member_kind": "retired_cadre"}}]
    buildings = -(-households // PER_BUILDING)
    rows += [{"kind": "building", "external_id": f"VB-{tag}-{b}", "parent_external_id": neighbourhood,
              "name": f"{b + 1}号楼"} for b in range(buildings)]
    rows += [{"kind": "household", "external_id": f"VH-{tag}-{i}", "parent_external_id": f"VB-{tag}-{i // PER_BUILDING}",
              "name": f"{i // PER_BUILDING + 1}号楼{i % PER_BUILDING + 1:03d}室"} for i in range(households)]
    return rows


def build(api: Api, admin: dict, community_admin: dict, households: int, phases: dict) -> Place:
    """Import the neighbourhood, give its secretary an account, route its concerns to the pool."""
    tag = uuid.uuid4().hex[:8]
    rows, created = _rows(households, tag), {}
    started = time.perf_counter()
    for first in range(0, len(rows), IMPORT_ROWS):
        chunk = rows[first:first + IMPORT_ROWS]
        report = api.call("POST", "/directory/import", admin, json={"rows": chunk}).json()
        rejected = [o for o in report["outcomes"] if o["outcome"] != "created"]
        if rejected:
            raise RuntimeError(f"import: {len(rejected)} rows not created, e.g. {rejected[:3]}")
        created.update({chunk[o["row"] - 1]["external_id"]: o["entity_id"] for o in report["outcomes"]})
    phases["directory import"] = time.perf_counter() - started
    place = Place(neighbourhood_id=created[f"VN-{tag}"])
    place.households = [created[f"VH-{tag}-{i}"] for i in range(households)]
    entity = api.call("GET", f"/directory/entities/{place.neighbourhood_id}", admin).json()
    place.scope = (*entity["ancestor_ids"], place.neighbourhood_id)  # county, township, community, itself
    username = f"bench.secretary.{tag}"
    api.call("POST", "/accounts", admin, expect=201, json={
        "username": username, "password": ACCOUNT_PASSWORD, "role": "party_secretary",
        "scope_id": place.neighbourhood_id, "entity_id": created[f"VM-{tag}-0"], "display_name": "书记"})
    place.secretary, _ = api.sign_in(username, ACCOUNT_PASSWORD)
    api.call("PUT", "/triage-rules", community_admin,
             json={"scope_id": place.neighbourhood_id, "category": "*", "route": "deliberation"})
    return place


def publish_topic(api: Api, place: Place, households: int, phases: dict) -> None:
    """A concern pooled, a topic drafted from it and published; returns once deliberation's
    replica holds every household (the tally counts them all)."""
    started = time.perf_counter()
    pool = f"/neighbourhoods/{place.neighbourhood_id}/pool"
    _wait_until(lambda: api.call("GET", pool, place.secretary, expect=None).status_code == 200, 300,
                "the neighbourhood in deliberation's replica")
    concern = api.call("POST", "/concerns", place.secretary, expect=201, json={
        "neighbourhood_id": place.neighbourhood_id, "channel": "online", "category": "property_management",
        "description": "小区地面停车位不够, 建议把东侧绿地改建为停车场"}).json()["concern_id"]
    _wait_until(lambda: any(e["concern_id"] == concern
                            for e in api.call("GET", pool, place.secretary).json()["entries"]), 120,
                "the concern in the pool")
    topic = api.call("POST", f"/neighbourhoods/{place.neighbourhood_id}/topics", place.secretary, expect=201, json={
        "title": "东侧绿地改建停车场", "summary": "是否把东侧绿地改建为停车场", "concern_ids": [concern]}).json()
    place.topic_id = topic["topic_id"]
    api.call("POST", f"/topics/{place.topic_id}/publish", place.secretary)
    phases["pool, draft, publish"] = time.perf_counter() - started
    started = time.perf_counter()
    _wait_until(lambda: api.call("GET", f"/topics/{place.topic_id}/tally", place.secretary).json()["households"]
                == households, 600, f"{households} households in deliberation's replica", interval_s=0.5)
    phases["households reach deliberation"] = time.perf_counter() - started


def mint_tokens(system: LocalSystem, place: Place) -> list[dict]:
    """Each household's bearer token, as the gateway signs one after an access code
    (services/intake/accounts/handlers.py authenticate_access_code)."""
    key, now = system.env()["LIANYI_AUTH_SIGNING_KEY"], datetime.now(UTC)
    return [{"Authorization": "Bearer " + auth.sign(
        auth.Principal(subject=f"household:{household}", role="resident", scope=place.scope, entity_id=household),
        key, audience=auth.API_AUDIENCE, now=now, ttl=timedelta(hours=24))} for household in place.households]


@dataclass(frozen=True)
class Ballot:
    household: int
    choice: str
    change: bool  # a second vote, changing the household's first choice


def plan(households: int, clients: int, seed: int = 11) -> tuple[list[Ballot], Counter]:
    """Every household's vote, ~70% yes, and 1 in CHANGERS changing it a little later in the
    evening; and the tally that must result."""
    rng = random.Random(seed)
    first = ["yes" if rng.random() < YES_SHARE else "no" for _ in range(households)]
    changers = set(rng.sample(range(households), households // CHANGERS))
    later = max(100, clients * 8)  # the change comes this many ballots after the first vote
    keyed = [(float(h), Ballot(h, first[h], False)) for h in range(households)]
    keyed += [(h + later + 0.5, Ballot(h, "no" if first[h] == "yes" else "yes", True)) for h in changers]
    final = {h: ("no" if first[h] == "yes" else "yes") if h in changers else first[h] for h in range(households)}
    return [ballot for _, ballot in sorted(keyed, key=lambda pair: pair[0])], Counter(final.values())


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def fail(self, what: str, example: str) -> None:
        self.failures[what] += 1
        if len(self.examples) < 5:
            self.examples.append(example)


def vote_all(gateway: str, topic_id: str, tokens: list[dict], ballots: list[Ballot], clients: int,
             rate: float = 0) -> Run:
    """Cast every ballot from `clients` keep-alive sessions, each as soon as a client is free, or
    (`rate` > 0) the i-th no sooner than i / rate seconds after the start."""
    url = f"{gateway}/api/v1/topics/{topic_id}/vote"
    local, run, lock = threading.local(), Run(), threading.Lock()
    voted = [threading.Event() for _ in tokens]
    begin = time.perf_counter()

    def cast(numbered: tuple[int, Ballot]) -> None:
        number, ballot = numbered
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        if rate > 0:
            time.sleep(max(0.0, begin + number / rate - time.perf_counter()))
        if ballot.change and not voted[ballot.household].wait(60):
            raise RuntimeError(f"household {ballot.household}'s first vote never finished")
        started = time.perf_counter()
        try:
            response = session.put(url, json={"choice": ballot.choice}, headers=tokens[ballot.household], timeout=60)
        except requests.RequestException as exc:
            with lock:
                run.fail(type(exc).__name__, f"household {ballot.household}: {exc}")
            return
        elapsed = time.perf_counter() - started
        with lock:
            run.latencies.append(elapsed)
            if response.status_code != 200:
                run.fail(str(response.status_code), f"household {ballot.household}: {response.status_code} "
                                                    f"{response.text[:300]}")
            elif response.json()["choice"] != ballot.choice:
                run.fail("wrong choice echoed", f"household {ballot.household}: {response.text[:300]}")
        if not ballot.change:
            voted[ballot.household].set()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(cast, enumerate(ballots)))
    run.seconds = time.perf_counter() - begin
    return run


class TallyWatcher(threading.Thread):
    """The party secretary reading the live tally in a loop while the votes arrive."""

    def __init__(self, gateway: str, topic_id: str, headers: dict, pause_s: float):
        super().__init__(name="tally-reader", daemon=True)
        self.url, self.headers, self.pause_s = f"{gateway}/api/v1/topics/{topic_id}/tally", headers, pause_s
        self.stop = threading.Event()
        self.run_ = Run()
        self.votes_seen: list[int] = []

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                response = session.get(self.url, headers=self.headers, timeout=60)
            except requests.RequestException as exc:
                self.run_.fail(type(exc).__name__, str(exc))
                self.stop.wait(max(self.pause_s, 0.1))
                continue
            self.run_.latencies.append(time.perf_counter() - started)
            if response.status_code == 200:
                tally = response.json()
                self.votes_seen.append(tally["yes_votes"] + tally["no_votes"])
            else:
                self.run_.fail(str(response.status_code), f"{response.status_code} {response.text[:300]}")
            self.stop.wait(self.pause_s)


def _histograms(url: str, metric: str, label: str, wanted: set[str]) -> dict[str, dict]:
    """{label value: {"count", "sum", "buckets": {upper bound: cumulative count}}} of a Prometheus
    histogram at `url`, summed over its other labels (status codes)."""
    found: dict[str, dict] = {}
    for family in text_string_to_metric_families(requests.get(url, timeout=30).text):
        if family.name != metric:
            continue
        for sample in family.samples:
            key = sample.labels.get(label)
            if key not in wanted:
                continue
            entry = found.setdefault(key, {"count": 0.0, "sum": 0.0, "buckets": Counter()})
            if sample.name.endswith("_count"):
                entry["count"] += sample.value
            elif sample.name.endswith("_sum"):
                entry["sum"] += sample.value
            elif sample.name.endswith("_bucket"):
                entry["buckets"][float(sample.labels["le"])] += sample.value
    return found


def _handled(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    """Per label value between two scrapes: calls, mean seconds, and the bucket bounds that hold
    the median and the 99th percentile."""
    out = {}
    for key, now in after.items():
        then = before.get(key, {"count": 0.0, "sum": 0.0, "buckets": Counter()})
        count = now["count"] - then["count"]
        if count <= 0:
            continue
        cumulative = sorted((bound, now["buckets"][bound] - then["buckets"][bound]) for bound in now["buckets"])
        p50, p99 = (next(bound for bound, seen in cumulative if seen >= q * count) for q in (0.5, 0.99))
        out[key] = {"count": int(count), "mean": (now["sum"] - then["sum"]) / count, "p50_le": p50, "p99_le": p99}
    return out


def _idle_tally(gateway: str, topic_id: str, headers: dict, reads: int) -> list[float]:
    """The tally read alone, one read at a time, nothing else running."""
    session, latencies = requests.Session(), []
    for _ in range(reads):
        started = time.perf_counter()
        response = session.get(f"{gateway}/api/v1/topics/{topic_id}/tally", headers=headers, timeout=60)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET tally: {response.status_code} {response.text[:300]}")
    return latencies


def _log_evidence(log_dir: Path, limit: int = 20) -> list[str]:
    """Error lines from the processes' logs (for a run that failed)."""
    found = []
    pattern = re.compile(r"Traceback|ERROR|CRITICAL|locked|Exception", re.IGNORECASE)
    for log in sorted(log_dir.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if pattern.search(line):
                found.append(f"{log.name}: {line[:300]}")
                if len(found) >= limit:
                    return found
    return found


def bench_votes(households: int, clients: int, rate: float, tally_pause_s: float, workdir: Path) -> dict:
    phases: dict[str, float] = {}
    system = LocalSystem(workdir / "var", Addresses.free(), ENVIRONMENT)
    try:
        started = time.perf_counter()
        system.start()
        phases["system start"] = time.perf_counter() - started
        gateway = f"http://{system.addresses.gateway}"
        api = Api(gateway)
        demo = json.loads(system.credentials.read_text())
        admin, _ = api.sign_in("county.admin", demo["password"])
        community_admin, _ = api.sign_in("nanmen.admin", demo["password"])
        place = build(api, admin, community_admin, households, phases)
        publish_topic(api, place, households, phases)
        started = time.perf_counter()
        tokens = mint_tokens(system, place)
        phases["mint tokens"] = time.perf_counter() - started
        ballots, expected = plan(households, clients)
        # Warm up: every gateway worker's channel to deliberation, with reads that change nothing.
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: api.call("GET", f"/topics/{place.topic_id}", tokens[i]),
                          range(min(households, clients * 4))))
        idle_before = _idle_tally(gateway, place.topic_id, place.secretary, 50)
        metrics_url = {"deliberation": f"http://{system.addresses.http['deliberation']}/metrics",
                       "gateway": f"http://{system.addresses.gateway_metrics}/metrics"}
        scrape = lambda: (  # noqa: E731
            _histograms(metrics_url["deliberation"], "lianyi_rpc_duration_seconds", "method", set(RPCS)),
            _histograms(metrics_url["gateway"], "lianyi_http_request_duration_seconds", "route", set(ROUTES)))
        metrics_before = scrape()
        processes_ = {**{name: child.pid for name, child in system.children.items()}, "broker": system.broker.pid}
        cpu_before = cpu.snapshot(processes_) if cpu.available() else {}
        watcher = TallyWatcher(gateway, place.topic_id, place.secretary, tally_pause_s)
        watcher.start()
        try:
            votes = vote_all(gateway, place.topic_id, tokens, ballots, clients, rate)
        finally:
            watcher.stop.set()
            watcher.join(60)
        cpu_ms = cpu.per_item_ms(cpu_before, cpu.snapshot(processes_), len(ballots)) if cpu_before else {}
        metrics_after = scrape()
        idle_after = _idle_tally(gateway, place.topic_id, place.secretary, 50)
        final = api.call("GET", f"/topics/{place.topic_id}/tally", place.secretary).json()
        evidence = _log_evidence(system.log_dir) if votes.failures or watcher.run_.failures else []
    finally:
        system.stop()
    return {"phases": phases, "ballots": ballots, "expected": expected, "votes": votes, "reads": watcher.run_,
            "votes_seen": watcher.votes_seen, "final": final, "cpu_ms": cpu_ms, "evidence": evidence,
            "idle_before": idle_before, "idle_after": idle_after,
            "handled": {**_handled(metrics_before[0], metrics_after[0]), **_handled(metrics_before[1], metrics_after[1])}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0,
                        help="votes per second to offer (default 0: as fast as the clients get answers)")
    parser.add_argument("--tally-pause", type=float, default=0.02,
                        help="seconds the tally reader waits between reads (default 0.02)")
    parser.add_argument("--var-dir", type=Path, default=None,
                        help="a new directory to keep the local run's var/ (logs, databases) in afterwards")
    args = parser.parse_args(argv)
    if args.households < 1 or args.clients < 1:
        parser.error("--households and --clients must be at least 1")
    began = time.perf_counter()
    print(f"\nvoting: {args.households} households on one topic with {args.clients} concurrent clients"
          f"{f' offering {args.rate:g} votes/s' if args.rate > 0 else ''} on {os.cpu_count()} cores "
          "(residents' tokens minted with the local signing key, not signed in)",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="lianyi-votes-") as tmp:
        result = bench_votes(args.households, args.clients, args.rate, args.tally_pause, args.var_dir or Path(tmp))
    votes, reads, final, expected = result["votes"], result["reads"], result["final"], result["expected"]
    ballots = result["ballots"]
    changes = sum(ballot.change for ballot in ballots)
    ms = 1000
    print(f"\n{'':40} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    if votes.latencies:
        print(f"{'vote: PUT /topics/<id>/vote':40} {len(ballots) / votes.seconds:8.0f} "
              f"{_percentile(votes.latencies, 50) * ms:8.1f} {_percentile(votes.latencies, 99) * ms:8.1f} "
              f"{max(votes.latencies) * ms:8.1f}")
    if reads.latencies:
        print(f"{'tally: GET /topics/<id>/tally (live)':40} {len(reads.latencies) / votes.seconds:8.0f} "
              f"{_percentile(reads.latencies, 50) * ms:8.1f} {_percentile(reads.latencies, 99) * ms:8.1f} "
              f"{max(reads.latencies) * ms:8.1f}")
    for label, latencies in (("tally alone, before the votes", result["idle_before"]),
                             ("tally alone, after the votes", result["idle_after"])):
        print(f"{label:40} {'':8} {_percentile(latencies, 50) * ms:8.1f} {_percentile(latencies, 99) * ms:8.1f} "
              f"{max(latencies) * ms:8.1f}")
    handled = result["handled"]
    if handled:
        names = {**RPCS, **ROUTES}
        print("handling inside the process (its own histogram; not the wait for a thread): " + "; ".join(
            f"{names[key]} mean {h['mean'] * ms:.1f} ms, p50 ≤{h['p50_le'] * ms:g}, p99 ≤{h['p99_le'] * ms:g}"
            for key, h in sorted(handled.items(), key=lambda item: names[item[0]])))
    print(f"\n{len(ballots)} votes ({args.households} households, {changes} changed their vote) in "
          f"{votes.seconds:.1f}s; the tally read {len(reads.latencies)} times meanwhile")
    if reads.latencies:
        p99 = _percentile(reads.latencies, 99)
        print(f"live tally p99 {p99 * ms:.1f} ms: {'under' if p99 < TALLY_TARGET_S else 'NOT under'} the "
              f"{TALLY_TARGET_S * ms:.0f} ms target")
    if result["cpu_ms"]:
        parts = ", ".join(f"{part} {cpu_ms:.2f}" for part, cpu_ms in sorted(result["cpu_ms"].items(), key=lambda p: -p[1]))
        print(f"CPU ms per vote (tally reads included): {parts}; total {sum(result['cpu_ms'].values()):.2f}")
    print("set-up: " + ", ".join(f"{phase} {seconds:.1f}s" for phase, seconds in result["phases"].items()))
    problems = []
    for what, run in (("votes", votes), ("tally reads", reads)):
        if run.failures:
            problems.append(f"{what} failed: {dict(run.failures)}; e.g. " + " | ".join(run.examples))
    seen = result["votes_seen"]
    if any(later < earlier for earlier, later in itertools.pairwise(seen)):
        problems.append("the live tally's vote count went down between two reads")
    got = {"yes": final["yes_votes"], "no": final["no_votes"], "households": final["households"]}
    wanted = {"yes": expected["yes"], "no": expected["no"], "households": args.households}
    print(f"final tally: {got['yes']} yes, {got['no']} no of {got['households']} households "
          f"({'exact' if got == wanted else 'WRONG: expected ' + str(wanted)})")
    if got != wanted:
        problems.append(f"the tally is {got}, not {wanted}")
    print(f"bench.votes took {time.perf_counter() - began:.1f}s end to end")
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        for line in result["evidence"]:
            print(f"  log: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
