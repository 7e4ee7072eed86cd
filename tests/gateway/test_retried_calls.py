"""The gateway's channels retry a call a service was briefly unavailable for only if the call changes
nothing: a write whose answer was lost may have been done, and doing it again would repeat it."""
from __future__ import annotations

import json

from google.protobuf import descriptor_pool

from servicekit.grpc_client import service_config
from services.gateway import clients

# Reads by their names.
READS = ("Get", "List")


def _retried() -> list[str]:
    """Every RPC the service config retries, service-wide entries expanded to their methods."""
    pool = descriptor_pool.Default()
    found = []
    for config in json.loads(service_config(clients._METHOD_CONFIG))["methodConfig"]:
        if "retryPolicy" not in config:
            continue
        for name in config["name"]:
            service = pool.FindServiceByName(name["service"])
            methods = [name["method"]] if "method" in name else [m.name for m in service.methods]
            found += [f"{service.name}.{method}" for method in methods]
    return found


def test_only_calls_that_change_nothing_are_retried():
    retried = _retried()
    assert "DeliberationService.GetTopic" in retried
    assert [rpc for rpc in retried if not rpc.split(".")[1].startswith(READS)] == []


def test_a_rating_is_not_retried_though_evaluations_reads_are():
    retried = _retried()
    assert {"EvaluationService.ListMatters", "EvaluationService.GetMatter"} <= set(retried)
    assert "EvaluationService.RateMatter" not in retried
