"""gRPC channels to the domain services, one per upstream per worker process: balanced over the
replicas and over TLS when configured (servicekit.grpc_client)."""
from __future__ import annotations

import grpc
from flask import current_app, g
from google.protobuf import descriptor_pool
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

# The services the gateway calls, and by the API's naming rule (Google's AIP-131/132) the reads
# among their methods: Get* and List* change nothing.
_SERVICES = ("lianyi.intake.v1.IntakeService", "lianyi.directory.v1.DirectoryService",
             "lianyi.accounts.v1.AccountsService", "lianyi.audit.v1.AuditService", "lianyi.settings.v1.SettingsService",
             "lianyi.deliberation.v1.DeliberationService", "lianyi.dispatch.v1.DispatchService",
             "lianyi.evaluation.v1.EvaluationService")
READS = ("Get", "List")


def _reads() -> list[dict[str, str]]:
    pool = descriptor_pool.Default()
    return [{"service": name, "method": method.name} for name in _SERVICES
            for method in pool.FindServiceByName(name).methods if method.name.startswith(READS)]


# Reads are retried by gRPC itself when a service is briefly unavailable (a restart, a rollout).
# Writes are not: one whose answer was lost may have been done, and again would be done twice (a
# concern recorded twice), or refused as a step out of order or done already (claiming, resolving,
# rating once per round) though the caller's first attempt did it.
_METHOD_CONFIG = [{
    "name": _reads(),
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
