"""Domain errors map to one gRPC status each, and gRPC statuses to one HTTP status each."""
import grpc
import pytest

from servicekit import errors
from services.gateway.problems import HTTP_STATUS_OF_GRPC


@pytest.mark.parametrize("error, code", [
    (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound("x"), grpc.StatusCode.NOT_FOUND),
    (errors.Conflict("x"), grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition("x"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED),
])
def test_each_domain_error_has_its_status(error, code):
    assert errors.grpc_status_for(error) == code


def test_a_subclass_takes_its_parents_status():
    class UnknownCategory(errors.InvalidArgument):
        pass

    assert errors.grpc_status_for(UnknownCategory("x")) == grpc.StatusCode.INVALID_ARGUMENT


def test_a_bare_domain_error_is_unknown_rather_than_guessed():
    assert errors.grpc_status_for(errors.DomainError("x")) == grpc.StatusCode.UNKNOWN


def test_every_status_a_service_can_raise_has_an_http_status():
    for code in errors.GRPC_STATUS.values():
        assert 400 <= HTTP_STATUS_OF_GRPC[code] < 500
