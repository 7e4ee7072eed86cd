"""Which service a failed call went to, so that one service's outage is answered as that service's
(503 naming it, problems.py) while the rest of the API goes on serving.

A gRPC error does not say which channel it came from; an interceptor on each service's channel
wraps the errors of the calls made through it."""
from __future__ import annotations

from typing import Any

import grpc


class UpstreamError(grpc.RpcError):
    """A call to `service` failed with gRPC's `error`; its code and details are the error's."""

    def __init__(self, service: str, error: grpc.RpcError):
        super().__init__(f"{service}: {error}")
        self.service, self.error = service, error

    def code(self) -> grpc.StatusCode:
        return self.error.code()  # type: ignore[attr-defined, no-any-return]

    def details(self) -> str | None:
        return self.error.details()  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, name: str) -> Any:  # trailing_metadata(), debug_error_string(), ...
        return getattr(self.error, name)


def service_of(error: grpc.RpcError) -> str | None:
    """The service a failed call went to, when it went through a named channel."""
    return error.service if isinstance(error, UpstreamError) else None


class _NamedCall:
    """A call (or future) whose error, when it is asked for, names the service."""

    def __init__(self, call: Any, service: str):
        self._call, self._service = call, service

    def result(self, timeout: float | None = None) -> Any:
        try:
            return self._call.result(timeout)
        except grpc.RpcError as exc:
            raise UpstreamError(self._service, exc) from None

    def exception(self, timeout: float | None = None) -> Any:
        error = self._call.exception(timeout)
        return UpstreamError(self._service, error) if isinstance(error, grpc.RpcError) else error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class _NamesService(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, service: str):
        self.service = service

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return _NamedCall(continuation(client_call_details, request), self.service)


def named(channel: grpc.Channel, service: str) -> grpc.Channel:
    """`channel`, whose calls' errors name `service` (every API of the gateway's is unary)."""
    return grpc.intercept_channel(channel, _NamesService(service))
