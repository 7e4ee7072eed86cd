"""`make bench`: concerns posted through the gateway (REST, measured until they arrive in
deliberation's pool, and Open311 GeoReport v2), next to a bare Flask+SQLite baseline measured in
the same run on the same machine.

    python -m bench.pipeline [--count 2000] [--clients 16]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

from bench import cpu
from bench.baseline_app import prepare
from localrun import processes
from localrun.supervisor import Addresses, LocalSystem

BODY = {"neighbourhood_id": "", "channel": "online", "category": "noise", "description": "晚上十点后楼上仍有装修噪音"}


def _post_all(url: str, count: int, clients: int, neighbourhood: str, headers: dict | None = None
              ) -> tuple[float, dict[str, float], list[float]]:
    """POST `count` concerns as JSON with `clients` concurrent keep-alive clients.
    Returns (seconds, {concern_id: wall-clock time posted}, request latencies)."""
    body = {**BODY, "neighbourhood_id": neighbourhood}
    return _send_all(count, clients, lambda session: session.post(url, json=body, headers=headers, timeout=60),
                     201, lambda response: response.json()["concern_id"])


def _open311_all(url: str, count: int, clients: int, neighbourhood: str, api_key: str
                 ) -> tuple[float, dict[str, float], list[float]]:
    """POST `count` GeoReport v2 service requests, form-encoded with api_key, as the spec has it."""
    form = {"api_key": api_key, "service_code": BODY["category"], "address_id": neighbourhood,
            "description": BODY["description"], "attribute[urgency]": "normal"}
    return _send_all(count, clients, lambda session: session.post(url, data=form, timeout=60),
                     200, lambda response: response.json()[0]["service_request_id"])


def _send_all(count: int, clients: int, send, expected_status: int, id_of
              ) -> tuple[float, dict[str, float], list[float]]:
    local = threading.local()
    sent: dict[str, float] = {}
    latencies: list[float] = []

    def post(_: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        wall, started = time.time(), time.perf_counter()
        response = send(session)
        latencies.append(time.perf_counter() - started)
        if response.status_code != expected_status:
            raise RuntimeError(f"POST failed: {response.status_code} {response.text[:200]}")
        sent[id_of(response)] = wall

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, range(count)))
    return time.perf_counter() - started, sent, latencies


def _pooled_at(gateway: str, neighbourhood: str, headers: dict) -> dict[str, float]:
    found, token = {}, ""
    while True:
        params = {"page_size": 500, **({"page_token": token} if token else {})}
        response = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/pool", params=params,
                                headers=headers, timeout=30)
        if response.status_code == 404:
            return {}  # the neighbourhood has not reached deliberation's replica yet
        response.raise_for_status()
        page = response.json()
        for entry in page["entries"]:
            found[entry["concern_id"]] = datetime.fromisoformat(entry["pooled_at"]).timestamp()
        token = page["next_page_token"]
        if not token:
            return found


def _wait_until(condition, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"not reached within {timeout_s}s")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def bench_baseline(count: int, clients: int, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "baseline.db"
    prepare(str(db))
    address = f"127.0.0.1:{processes.free_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", address, "--worker-class", "gthread",
         "--workers", os.environ.get("LIANYI_GATEWAY_WORKERS", "2"),
         "--threads", os.environ.get("LIANYI_GATEWAY_THREADS", "8"), "bench.baseline_app:create_app()"],
        env={**os.environ, "BASELINE_DB": str(db)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=processes.die_with_parent,
    )
    try:
        processes.wait_for_port(address, 30, server)
        url = f"http://{address}/api/v1/concerns"
        _post_all(url, min(200, count), clients, "warm-up")
        cpu_before = cpu.snapshot({"baseline server": server.pid}) if cpu.available() else {}
        seconds, _, latencies = _post_all(url, count, clients, "baseline")
        cpu_ms = cpu.per_item_ms(cpu_before, cpu.snapshot({"baseline server": server.pid}), count) if cpu_before else {}
    finally:
        processes.stop(server)
    return {"throughput": count / seconds, "p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99),
            "cpu_ms": cpu_ms}


def _route_to_pool(gateway: str, demo: dict, neighbourhoods: list[str]) -> None:
    """The county administrator sets the measured neighbourhoods' routing tables to send every
    concern to the deliberation pool on arrival (without a rule they would wait for triage)."""
    token = requests.post(f"{gateway}/api/v1/auth/token", timeout=30, json={
        "username": "county.admin", "password": demo["password"]}).json()["access_token"]
    for neighbourhood in neighbourhoods:
        response = requests.put(f"{gateway}/api/v1/triage-rules", headers={"Authorization": f"Bearer {token}"},
                                json={"scope_id": neighbourhood, "category": "*", "route": "deliberation"},
                                timeout=30)
        response.raise_for_status()


def bench_pipeline(count: int, clients: int, workdir: Path) -> dict:
    system = LocalSystem(workdir / "var", Addresses.free(), {"LIANYI_LOG_LEVEL": "WARNING"})
    try:
        system.start()
        gateway = f"http://{system.addresses.gateway}"
        url = f"{gateway}/api/v1/concerns"
        # The county platform's API key, as an integration would post; demo neighbourhoods.
        demo = json.loads(system.credentials.read_text())
        headers = {"X-Api-Key": demo["api_key"]["api_key"]}
        warm, measured = demo["neighbourhoods"]["N2"], demo["neighbourhoods"]["N1"]
        _route_to_pool(gateway, demo, [warm, measured])
        # Warm up end to end: consumer groups finish joining only after the rebalance timeout.
        warm_up = min(200, count)
        _wait_until(lambda: requests.get(f"{gateway}/api/v1/neighbourhoods/{measured}/pool", headers=headers,
                                         timeout=10).status_code == 200, 120)
        _post_all(url, warm_up, clients, warm, headers)
        _wait_until(lambda: len(_pooled_at(gateway, warm, headers)) >= warm_up, 120)
        processes_ = {**{name: child.pid for name, child in system.children.items()}, "broker": system.broker.pid}
        cpu_before = cpu.snapshot(processes_) if cpu.available() else {}
        started = time.time()
        post_seconds, sent, post_latencies = _post_all(url, count, clients, measured, headers)
        pooled = _wait_until(
            lambda: (found := _pooled_at(gateway, measured, headers)) and len(found) >= count and found, 300)
        cpu_ms = cpu.per_item_ms(cpu_before, cpu.snapshot(processes_), count) if cpu_before else {}
        open311_url = f"{gateway}/open311/v2/requests.json"
        _open311_all(open311_url, min(200, count), clients, demo["neighbourhoods"]["N4"], demo["api_key"]["api_key"])
        open311_seconds, _, open311_latencies = _open311_all(
            open311_url, count, clients, demo["neighbourhoods"]["N3"], demo["api_key"]["api_key"])
    finally:
        system.stop()
    if set(pooled) != set(sent):
        raise RuntimeError(f"{len(sent)} posted but {len(pooled)} pooled (or different ids)")
    arrivals = [pooled[cid] - sent[cid] for cid in sent]
    end_to_end_seconds = max(pooled.values()) - started
    return {
        "throughput": count / end_to_end_seconds,
        "post_throughput": count / post_seconds,
        "p50": _percentile(arrivals, 50),
        "p99": _percentile(arrivals, 99),
        "post_p50": _percentile(post_latencies, 50),
        "post_p99": _percentile(post_latencies, 99),
        "open311_throughput": count / open311_seconds,
        "open311_p50": _percentile(open311_latencies, 50),
        "open311_p99": _percentile(open311_latencies, 99),
        "cpu_ms": cpu_ms,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lianyi-bench-") as tmp:
        workdir = Path(tmp)
        print(f"posting {args.count} concerns with {args.clients} concurrent clients on {os.cpu_count()} cores",
              flush=True)
        # The baseline runs before and after the pipeline and its runs are averaged, so drift in
        # the machine's speed during the run does not favour either side.
        before = bench_baseline(args.count, args.clients, workdir / "before")
        pipeline = bench_pipeline(args.count, args.clients, workdir)
        after = bench_baseline(args.count, args.clients, workdir / "after")
        baseline = {key: (before[key] + after[key]) / 2 for key in ("throughput", "p50", "p99")}
        baseline["cpu_ms"] = {name: (ms + after["cpu_ms"][name]) / 2 for name, ms in before["cpu_ms"].items()}
    ratio = pipeline["throughput"] / baseline["throughput"]
    ms = 1000
    print()
    print(f"{'':38} {'concerns/s':>11} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'baseline: Flask + SQLite insert (avg)':38} {baseline['throughput']:11.0f} "
          f"{baseline['p50'] * ms:8.1f} {baseline['p99'] * ms:8.1f}")
    print(f"{'pipeline: POST → deliberation pool':38} {pipeline['throughput']:11.0f} "
          f"{pipeline['p50'] * ms:8.1f} {pipeline['p99'] * ms:8.1f}")
    print(f"{'submission: REST POST /api/v1/concerns':38} {pipeline['post_throughput']:11.0f} "
          f"{pipeline['post_p50'] * ms:8.1f} {pipeline['post_p99'] * ms:8.1f}")
    print(f"{'submission: Open311 POST requests.json':38} {pipeline['open311_throughput']:11.0f} "
          f"{pipeline['open311_p50'] * ms:8.1f} {pipeline['open311_p99'] * ms:8.1f}")
    print(f"{'  (baseline before / after)':38} {before['throughput']:11.0f} / {after['throughput']:.0f}")
    print(f"\npipeline / baseline throughput: {ratio:.2f}x (target ≥ 0.5x)")
    for name, run in (("baseline", baseline), ("pipeline", pipeline)):
        if run["cpu_ms"]:  # the pipeline's until the last concern is pooled, its polling included
            parts = ", ".join(f"{part} {cpu_ms:.2f}"
                              for part, cpu_ms in sorted(run["cpu_ms"].items(), key=lambda p: -p[1]))
            print(f"CPU ms per concern, {name}: {parts}; total {sum(run['cpu_ms'].values()):.2f}")
    print(f"REST submission / baseline: {pipeline['post_throughput'] / baseline['throughput']:.2f}x; "
          f"Open311 submission / baseline: {pipeline['open311_throughput'] / baseline['throughput']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
