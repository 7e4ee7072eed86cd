"""Domain errors, and the one table that maps each to a gRPC status code.

Services raise these; the gRPC interceptor turns them into statuses and the gateway turns
statuses into HTTP problems. Nothing else decides a status code.
"""
from __future__ import annotations

import grpc


class DomainError(Exception):
    """A refusal the caller can understand and act on; `detail` is shown to them."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class InvalidArgument(DomainError):
    """The request is malformed or breaks a rule about its content."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is outside the caller's scope)."""


class Conflict(DomainError):
    """The request clashes with the current state (e.g. a duplicate)."""


class FailedPrecondition(DomainError):
    """The thing exists but is not in a state that allows this."""


class Unauthenticated(DomainError):
    """No valid credentials were presented."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class ChangedMeanwhile(Exception):
    """What a handler read was changed by another transaction before it could write. Not a refusal:
    the attempt fails and the next reads afresh (it counts as one, so a handler that raises it
    every time still ends in the DLQ rather than blocking its partition)."""


GRPC_STATUS: dict[type[DomainError], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
}


def grpc_status_for(error: DomainError) -> grpc.StatusCode:
    """The status code for a domain error (most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in GRPC_STATUS:
            return GRPC_STATUS[cls]
    return grpc.StatusCode.UNKNOWN


class UndecodableEvent(Exception):
    """A message on a topic that is not a valid lianyi event; it goes to the DLQ."""
