"""How a faked RPC ends, in the shapes grpcio's own stubs use, so the gateway cannot tell the fake
from a service: a refusal is a grpc.RpcError with its code() and details(), and a call made with
`.future()` or `.with_call()` is a grpc.Call and grpc.Future that is already done."""
from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType

import grpc
from google.protobuf.message import Message


class FakeRpcError(grpc.RpcError):
    """A service's refusal, as a test sets it: the status and the service's reason."""

    def __init__(self, code: grpc.StatusCode, details: str = ""):
        super().__init__(f"{code.name}: {details}")
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class FakeCall(grpc.RpcError, grpc.Call, grpc.Future):
    """One finished call. As with grpcio's (_MultiThreadedRendezvous from `.future()`,
    _InactiveRpcError from a failed blocking call), a refused call's result() raises the call
    itself, which is the grpc.RpcError carrying the status; exception() returns it."""

    def __init__(self, response: Message | None = None, error: grpc.RpcError | None = None):
        self._response, self._error = response, error
        super().__init__(f"{self.code().name}: {self.details()}")

    # grpc.Call
    def code(self) -> grpc.StatusCode:
        return self._error.code() if self._error is not None else grpc.StatusCode.OK

    def details(self) -> str:
        return self._error.details() if self._error is not None else ""

    def initial_metadata(self) -> tuple:
        return ()

    def trailing_metadata(self) -> tuple:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False  # grpc: False once the call has ended, and the callback is never called

    def cancel(self) -> bool:
        return False  # an ended call cannot be cancelled

    # grpc.Future: answered at once, so every wait is already over.
    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def result(self, timeout: float | None = None) -> Message:
        if self._error is not None:
            raise self
        assert self._response is not None
        return self._response

    def exception(self, timeout: float | None = None) -> grpc.RpcError | None:
        return self if self._error is not None else None

    def traceback(self, timeout: float | None = None) -> TracebackType | None:
        if self._error is None:
            return None
        try:
            raise self
        except grpc.RpcError:
            return sys.exc_info()[2]

    def add_done_callback(self, fn: Callable[[grpc.Future], None]) -> None:
        fn(self)
