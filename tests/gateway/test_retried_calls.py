"""The gateway's channels retry a call a service was briefly unavailable for only if the call changes
nothing: a write whose answer was lost may have been done, and doing it again would repeat it."""
from __future__ import annotations

import json

from google.protobuf import descriptor_pool

from lianyi.accounts.v1 import accounts_service_pb2
from lianyi.audit.v1 import audit_service_pb2
from lianyi.deliberation.v1 import deliberation_service_pb2
from lianyi.directory.v1 import directory_service_pb2
from lianyi.dispatch.v1 import dispatch_service_pb2
from lianyi.evaluation.v1 import evaluation_service_pb2
from lianyi.intake.v1 import intake_service_pb2
from lianyi.settings.v1 import settings_pb2
from servicekit.grpc_client import service_config
from services.gateway import clients

READS = clients.READS
_SERVICE_FILES = [module.DESCRIPTOR for module in (
    accounts_service_pb2, audit_service_pb2, deliberation_service_pb2, directory_service_pb2, dispatch_service_pb2,
    evaluation_service_pb2, intake_service_pb2, settings_pb2)]


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


def test_every_read_of_every_service_the_gateway_calls_is_retried():
    """Derived from the services' descriptors, not listed by hand: a read added tomorrow (the three
    rates, the reviews) is retried without anyone remembering to."""
    services = {"IntakeService", "DirectoryService", "AccountsService", "AuditService", "SettingsService",
                "DeliberationService", "DispatchService", "EvaluationService"}
    reads = {f"{service.name}.{method.name}" for file in _SERVICE_FILES for service in file.services_by_name.values()
             if service.name in services for method in service.methods if method.name.startswith(READS)}
    assert reads and set(_retried()) == reads
    assert {"EvaluationService.GetRates", "EvaluationService.GetMemberReview",
            "EvaluationService.GetAnnualRatings", "IntakeService.GetAskingFigures"} <= reads

