"""A stand-in for the services behind the gateway: the attributes of
`services.gateway.clients.Upstreams`, with stubs that record every call (made any way grpcio's
are: blocking, `.with_call` or `.future`) and answer what the test set (a message, a function of
the request, or a gRPC error), so the real Flask app runs in-process with nothing behind it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message

from lianyi.accounts.v1 import accounts_service_pb2
from lianyi.audit.v1 import audit_service_pb2
from lianyi.deliberation.v1 import deliberation_service_pb2
from lianyi.directory.v1 import directory_service_pb2
from lianyi.dispatch.v1 import dispatch_service_pb2
from lianyi.evaluation.v1 import evaluation_service_pb2
from lianyi.intake.v1 import intake_service_pb2
from lianyi.settings.v1 import settings_pb2
from servicekit.auth import Principal
from services.gateway.clients import Upstreams
from tests.gateway.fake_calls import FakeCall, FakeRpcError

# Calls that change nothing; everything else is a write, which refused input must never reach.
READ_PREFIXES = ("Get", "List", "Authenticate")
AUDITED = ("intake", "deliberation", "dispatch", "evaluation")


@dataclass(frozen=True)
class Call:
    service: str  # e.g. "IntakeService", or "AuditService@deliberation"
    method: str
    request: Message
    metadata: dict[str, str]
    timeout: float | None

    @property
    def is_write(self) -> bool:
        return not self.method.startswith(READ_PREFIXES)


class FakeMethod:
    """One RPC of a fake stub. Unless the test said how to answer, a call is recorded as
    unanswered and fails (the gateway then answers 500)."""

    def __init__(self, service: str, descriptor, journal: list[Call], unanswered: list[Call]):
        self.service, self.name = service, descriptor.name
        self._input, self._output = descriptor.input_type.full_name, descriptor.output_type.full_name
        self._journal, self._unanswered = journal, unanswered
        self._answer: Message | Callable | grpc.RpcError | None = None
        self.calls: list[Call] = []

    def returns(self, answer: Message | Callable[[Message], Message]) -> FakeMethod:
        """Answer every call with this message, or with what this function makes of the request
        (the function may raise FakeRpcError)."""
        self._answer = answer
        return self

    def fails(self, code: grpc.StatusCode, details: str = "") -> FakeMethod:
        self._answer = FakeRpcError(code, details)
        return self

    # The three ways grpcio's stubs call a unary RPC, with the same parameters.
    def __call__(self, request: Message, timeout: float | None = None, metadata=None, credentials=None,
                 wait_for_ready: bool | None = None, compression=None) -> Message:
        return self.future(request, timeout, metadata, credentials, wait_for_ready, compression).result()

    def with_call(self, request: Message, timeout: float | None = None, metadata=None, credentials=None,
                  wait_for_ready: bool | None = None, compression=None) -> tuple[Message, FakeCall]:
        call = self.future(request, timeout, metadata, credentials, wait_for_ready, compression)
        return call.result(), call

    def future(self, request: Message, timeout: float | None = None, metadata=None, credentials=None,
               wait_for_ready: bool | None = None, compression=None) -> FakeCall:
        """The call, already answered: its result() is the answer, or raises the call with the
        status the test set."""
        assert request.DESCRIPTOR.full_name == self._input, (
            f"{self.service}.{self.name} takes {self._input}, not {request.DESCRIPTOR.full_name}")
        call = Call(self.service, self.name, request, dict(metadata or ()), timeout)
        self.calls.append(call)
        self._journal.append(call)
        if self._answer is None:
            self._unanswered.append(call)
            raise AssertionError(f"{self.service}.{self.name} was called, but the test gave it no answer")
        if isinstance(self._answer, grpc.RpcError):
            return FakeCall(error=self._answer)
        try:
            response = self._answer(request) if callable(self._answer) else self._answer
        except grpc.RpcError as refusal:
            return FakeCall(error=refusal)
        assert response.DESCRIPTOR.full_name == self._output, (
            f"{self.service}.{self.name} answers {self._output}, not {response.DESCRIPTOR.full_name}")
        return FakeCall(response)


class FakeStub:
    """Every RPC of one gRPC service, as FakeMethods; a name the service lacks is an AttributeError."""

    def __init__(self, descriptor, journal: list[Call], unanswered: list[Call], label: str = ""):
        self.methods = [FakeMethod(label or descriptor.name, m, journal, unanswered) for m in descriptor.methods]
        for method in self.methods:
            setattr(self, method.name, method)


class FakeUpstreams:
    """Upstreams' attributes, faked. `call_options` is the real one, so the metadata each call
    carries (correlation id, the caller's signed principal) is exactly what the services would get."""

    timeout = 5.0
    call_options = Upstreams.call_options

    def __init__(self):
        self.calls: list[Call] = []
        self.unanswered: list[Call] = []
        self.closed = False
        # What each service's health check answers (the real ones: SERVING, NOT_SERVING, or the
        # status code of a check that failed).
        self.states = dict.fromkeys(AUDITED, "SERVING")
        journal = (self.calls, self.unanswered)
        self.intake = FakeStub(_service(intake_service_pb2, "IntakeService"), *journal)
        self.directory = FakeStub(_service(directory_service_pb2, "DirectoryService"), *journal)
        self.accounts = FakeStub(_service(accounts_service_pb2, "AccountsService"), *journal)
        self.audit = {name: FakeStub(_service(audit_service_pb2, "AuditService"), *journal,
                                     label=f"AuditService@{name}") for name in AUDITED}
        self.settings = {name: FakeStub(_service(settings_pb2, "SettingsService"), *journal,
                                        label=f"SettingsService@{name}") for name in AUDITED}
        self.deliberation = FakeStub(_service(deliberation_service_pb2, "DeliberationService"), *journal)
        self.dispatch = FakeStub(_service(dispatch_service_pb2, "DispatchService"), *journal)
        self.evaluation = FakeStub(_service(evaluation_service_pb2, "EvaluationService"), *journal)
        # Like intake: a key it issued names its principal; any other key is not valid.
        self.api_keys: dict[str, Principal] = {}
        self.accounts.AuthenticateApiKey.returns(self._principal_of_key)

    def upstream_states(self) -> dict[str, str]:
        return dict(self.states)

    def close(self) -> None:
        self.closed = True

    def stubs(self) -> list[FakeStub]:
        return [self.intake, self.directory, self.accounts, *self.audit.values(), *self.settings.values(),
                self.deliberation, self.dispatch, self.evaluation]

    def answer_everything(self, code: grpc.StatusCode, details: str) -> None:
        """Every RPC (but API-key authentication) fails with this status: shows that a request got
        through the gateway without needing a realistic answer for each."""
        for stub in self.stubs():
            for method in stub.methods:
                if method is not self.accounts.AuthenticateApiKey:
                    method.fails(code, details)

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.is_write]

    def _principal_of_key(self, request):
        principal = self.api_keys.get(request.api_key)
        if principal is None:
            raise FakeRpcError(grpc.StatusCode.UNAUTHENTICATED, "the API key is not valid")
        return accounts_service_pb2.Principal(subject=principal.subject, role=principal.role,
                                              scope=list(principal.scope), entity_id=principal.entity_id,
                                              name=principal.name)


def _service(module, name: str):
    return module.DESCRIPTOR.services_by_name[name]
