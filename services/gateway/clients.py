"""gRPC channels to the domain services, one per upstream per worker process: balanced over the
replicas and over TLS when configured (servicekit.grpc_client)."""
from __future__ import annotations

import grpc
from flask import current_app, g
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lianyi.accounts.v1.accounts_service_pb2_grpc import AccountsServiceStub
from lianyi.audit.v1.audit_service_pb2_grpc import AuditServiceStub
from lianyi.deliberation.v1.deliberation_service_pb2_grpc import DeliberationServiceStub
from lianyi.directory.v1.directory_service_pb2_grpc import DirectoryServiceStub
from lianyi.dispatch.v1.dispatch_service_pb2_grpc import DispatchServiceStub
from lianyi.evaluation.v1.evaluation_service_pb2_grpc import EvaluationServiceStub
from lianyi.intake.v1.intake_service_pb2_grpc import IntakeServiceStub
from lianyi.settings.v1.settings_pb2_grpc import SettingsServiceStub
from servicekit.auth import PRINCIPAL_HEADER
from servicekit.config import GatewaySettings
from servicekit.grpc_client import open_channel
from servicekit.grpc_server import CORRELATION_HEADER
from servicekit.grpc_tls import GrpcTls
from services.gateway import outages
from services.gateway.auth import internal_token

# Reads are retried by gRPC itself when a service is briefly unavailable (a restart, a rollout).
# SubmitConcern is not: a retry could record a concern twice until Idempotency-Key exists.
_METHOD_CONFIG = [{
    "name": [
        {"service": "lianyi.intake.v1.IntakeService", "method": "GetConcern"},
        {"service": "lianyi.intake.v1.IntakeService", "method": "GetAskingFigures"},
        {"service": "lianyi.directory.v1.DirectoryService", "method": "GetEntity"},
        {"service": "lianyi.directory.v1.DirectoryService", "method": "ListEntities"},
        # Deliberation's reads only: a write retried after its answer was lost would be done twice, or
        # refused as a step out of order (the topic has moved on), though it was done.
        *({"service": "lianyi.deliberation.v1.DeliberationService", "method": method}
          for method in ("ListPool", "GetTopic", "ListTopics", "GetAgenda", "GetTally", "GetPanelProposal",
                         "GetFigures")),
        # Dispatch's too: claiming, resolving or escalating twice is refused as done already, though the
        # caller's first attempt did it.
        *({"service": "lianyi.dispatch.v1.DispatchService", "method": method}
          for method in ("GetTask", "ListDecidedActions", "ListTasks", "GetLedger", "ListDeliveries",
                         "GetDispatchFigures")),
        # Evaluation's too: a rating retried after its answer was lost would be refused as given already
        # (once per round), though the caller's first attempt gave it.
        *({"service": "lianyi.evaluation.v1.EvaluationService", "method": method}
          for method in ("ListMatters", "GetMatter", "GetIntakeFigures")),
        {"service": "lianyi.audit.v1.AuditService"},
        {"service": "lianyi.settings.v1.SettingsService", "method": "ListSettings"},
    ],
    "retryPolicy": {
        "maxAttempts": 3,
        "initialBackoff": "0.05s",
        "maxBackoff": "0.5s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    },
}]

# Readiness asks every upstream's health at once, and waits this long at most.
HEALTH_CHECK_TIMEOUT_S = 1.0

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 1),
]


class Upstreams:
    """Stubs for every service; channels connect lazily, on first use."""

    def __init__(self, settings: GatewaySettings, tls: GrpcTls | None = None):
        self.timeout = settings.rpc_timeout_s
        self._channels = {
            name: open_channel(address, tls, method_config=_METHOD_CONFIG, options=_CHANNEL_OPTIONS)
            for name, address in settings.upstreams.items()
        }
        # The API's calls go through channels that name their service in errors (outages.py).
        named = {name: outages.named(channel, name) for name, channel in self._channels.items()}
        self.intake = IntakeServiceStub(named["intake"])
        self.directory = DirectoryServiceStub(named["intake"])
        self.accounts = AccountsServiceStub(named["intake"])
        self.audit = {name: AuditServiceStub(channel) for name, channel in named.items()}
        # Every service serves its own county settings.
        self.settings = {name: SettingsServiceStub(channel) for name, channel in named.items()}
        self.deliberation = DeliberationServiceStub(named["deliberation"])
        self.dispatch = DispatchServiceStub(named["dispatch"])
        self.evaluation = EvaluationServiceStub(named["evaluation"])

    def call_options(self, *, anonymous: bool = False, timeout: float | None = None) -> dict:
        """Deadline, correlation id and (unless anonymous) the caller's signed principal for a
        call made while handling the current request."""
        metadata = [(CORRELATION_HEADER, g.correlation_id)]
        principal = None if anonymous else g.get("principal")
        if principal is not None:
            metadata.append((PRINCIPAL_HEADER, internal_token(principal)))
        return {"timeout": timeout or self.timeout, "metadata": metadata}

    def upstream_states(self) -> dict[str, str]:
        """Each upstream's state: its health service's answer (SERVING, NOT_SERVING), or the code
        of the check that failed (UNAVAILABLE: nothing answers). Asked of all at once, so a silent
        one costs HEALTH_CHECK_TIMEOUT_S in all, within a readiness probe's timeout."""
        checks = {name: health_pb2_grpc.HealthStub(channel).Check.future(health_pb2.HealthCheckRequest(),
                                                                         timeout=HEALTH_CHECK_TIMEOUT_S)
                  for name, channel in self._channels.items()}
        states = {}
        for name, check in checks.items():
            try:
                states[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(check.result().status)
            except grpc.RpcError as exc:
                states[name] = exc.code().name
        return states

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


def upstreams() -> Upstreams:
    """The current app's upstream stubs."""
    return current_app.extensions["lianyi.upstreams"]
