"""gRPC server wiring: health and reflection on every server, and one interceptor that maps
domain errors to status codes, carries the correlation id and records per-method latency.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from servicekit import auth, logs, metrics
from servicekit.caching import TtlCache
from servicekit.clock import Clock, SystemClock
from servicekit.errors import DomainError, InvalidArgument, PermissionDenied, grpc_status_for
from servicekit.grpc_tls import GrpcTls
from servicekit.ids import new_id

log = logging.getLogger(__name__)

CORRELATION_HEADER = "x-correlation-id"
if TYPE_CHECKING:  # generic in its stubs only
    Handler = grpc.RpcMethodHandler[Any, Any]


@dataclass(frozen=True)
class Registration:
    """A servicer and how to add it: `add(servicer, server)` from the generated *_pb2_grpc module."""

    service_name: str  # fully qualified, e.g. "lianyi.intake.v1.IntakeService"
    servicer: object
    add: Callable[[object, grpc.Server], None]


def _metadata(context: grpc.ServicerContext, key: str) -> str:
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return value if isinstance(value, str) else value.decode()
    return ""


def declared_roles(registrations: list[Registration]) -> dict[str, frozenset[str]]:
    """Who may call each RPC of these services, as their protos declare; an RPC that declares
    nobody stops the server from starting (refused by default is not enough: say so)."""
    allowed = {}
    for registration in registrations:
        service = descriptor_pool.Default().FindServiceByName(registration.service_name)
        for method in service.methods:
            allowed[f"/{service.full_name}/{method.name}"] = auth.rpc_roles(method.full_name)
    return allowed


@dataclass(frozen=True)
class _Undecodable:
    """A request whose bytes are not its message: refused once the caller is known."""

    reason: str


class DomainErrorInterceptor(grpc.ServerInterceptor):
    """Verifies the caller and their role, turns DomainError into its status, hides unexpected
    errors behind INTERNAL, and times every call."""

    def __init__(self, allowed: dict[str, frozenset[str]], signing_key: str, clock: Clock):
        self.allowed, self.signing_key, self.clock = allowed, signing_key, clock
        # The gateway reuses a caller's token for a while; verifying it once per reuse is enough.
        self._verified: TtlCache[str, auth.Principal] = TtlCache(clock, timedelta(minutes=1), max_entries=1000)

    def _principal(self, token: str) -> auth.Principal:
        principal = self._verified.get(token)
        if principal is not None:
            return principal
        principal, expires = auth.verify_with_expiry(token, self.signing_key, audience=auth.INTERNAL_AUDIENCE,
                                                     now=self.clock.now())
        self._verified.put(token, principal, expires_at=datetime.fromtimestamp(expires, UTC))
        return principal

    def _authorise(self, method: str, context: grpc.ServicerContext) -> auth.Principal | None:
        roles = self.allowed.get(method)
        if roles is None:
            if method.startswith("/lianyi."):
                raise PermissionDenied("this call is not open to anyone")
            return None  # standard services: health checks and reflection
        token = _metadata(context, auth.PRINCIPAL_HEADER)
        principal = self._principal(token) if token else None
        auth.check_role(roles, principal)
        return principal

    def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
                          handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # streaming health/reflection calls pass through untouched
        method = handler_call_details.method
        inner = handler.unary_unary
        decode = handler.request_deserializer

        def deserialize(data: bytes) -> Any:
            # grpcio answers INTERNAL for bytes it cannot decode (e.g. a Struct nested deeper than
            # protobuf's 100 levels); that is the caller's request, so it is theirs to hear about.
            try:
                return decode(data) if decode is not None else data
            except DecodeError as exc:
                return _Undecodable(str(exc))

        def unary_unary(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            token = logs.correlation_id.set(_metadata(context, CORRELATION_HEADER)[:100] or new_id())
            principal_token = auth.current.set(None)
            try:
                auth.current.set(self._authorise(method, context))
                if isinstance(request, _Undecodable):
                    raise InvalidArgument(f"the request cannot be decoded: {request.reason[:200]}")
                return inner(request, context)
            except DomainError as exc:
                code = grpc_status_for(exc)
                context.abort(code, exc.detail)
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("unhandled error in %s", method)
                context.abort(code, "internal error; see the service log for the correlation id")
            finally:
                metrics.rpc_duration.labels(method, code.name).observe(time.perf_counter() - started)
                auth.current.reset(principal_token)
                logs.correlation_id.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=deserialize,
            response_serializer=handler.response_serializer,
        )


def connection_age_options(max_age_s: float | None, grace_s: float) -> list[tuple[str, int]]:
    """Server options that close each connection after `max_age_s` (None: never), letting its
    calls finish within `grace_s`: clients then resolve the service's name again and balance over
    the replicas it returns now (servicekit.grpc_client)."""
    if max_age_s is None:
        return []
    return [("grpc.max_connection_age_ms", round(max_age_s * 1000)),
            ("grpc.max_connection_age_grace_ms", round(grace_s * 1000))]


class GrpcServer:
    """A started-on-demand gRPC server with health and reflection; over TLS when given `tls`."""

    def __init__(self, address: str, registrations: list[Registration], signing_key: str, max_workers: int = 4,
                 clock: Clock | None = None, *, tls: GrpcTls | None = None,
                 max_connection_age_s: float | None = None, max_connection_age_grace_s: float = 0):
        self.address = address
        self.tls = tls
        self.health = health.HealthServicer()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            interceptors=[DomainErrorInterceptor(declared_roles(registrations), signing_key, clock or SystemClock())],
            options=[("grpc.so_reuseport", 0),
                     *connection_age_options(max_connection_age_s, max_connection_age_grace_s)],
        )
        for registration in registrations:
            registration.add(registration.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.names = [r.service_name for r in registrations]
        reflection.enable_server_reflection(
            [*self.names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )

    def start(self) -> None:
        port = (self.server.add_secure_port(self.address, self.tls.server_credentials()) if self.tls
                else self.server.add_insecure_port(self.address))
        if port == 0:
            raise OSError(f"cannot bind gRPC on {self.address}")
        self.server.start()
        for name in ["", *self.names]:
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def stop(self, grace_s: float = 5.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_s).wait()
