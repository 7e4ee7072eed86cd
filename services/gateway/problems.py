"""Every error the gateway returns is an RFC 9457 problem; this is the one place that decides
its status code (including the gRPC-status-to-HTTP table)."""
from __future__ import annotations

import logging
from http import HTTPStatus

import grpc
from flask import Flask, Response, g, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from servicekit.errors import DomainError, grpc_status_for
from services.gateway import outages
from services.gateway.schemas import Problem

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

HTTP_STATUS_OF_GRPC = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


# Only an outage may tell a client to try again: for anything else (a service's bug, answered as
# INTERNAL or UNKNOWN) the same request would fail the same way, and a client told to retry would
# retry it forever.
OUTAGES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def upstream_failure(exc: grpc.RpcError) -> str:
    """What a caller is told when a service behind the gateway failed (a 5xx): which service, when
    the call went through its named channel (outages.py), so a caller sees that one part of the
    API is down, not all of it."""
    service = outages.service_of(exc)
    which = f"the {service} service" if service else "a service behind the gateway"
    if exc.code() in OUTAGES:
        return f"{which} is unavailable; try again shortly"
    return f"{which} failed; quote the correlation id when reporting it"


class ProblemError(Exception):
    """Raise from a view to answer with a problem."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors


def problem(status: int, detail: str, errors: list[dict] | None = None) -> Response:
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        correlation_id=g.get("correlation_id"),
        errors=errors,
    )
    response = Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_JSON)
    if status == 503:
        response.headers["Retry-After"] = "1"
    if status == 401:  # RFC 9110 15.5.2: a 401 says how to authenticate, whoever refused
        response.headers["WWW-Authenticate"] = 'Bearer realm="lianyi"'
    return response


def field_errors(exc: ValidationError) -> list[dict]:
    """Pydantic's errors as {field, message}, without echoing the submitted values."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def install(app: Flask) -> None:
    """Register handlers so no error leaves the gateway as HTML or a stack trace."""

    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError):
        return problem(exc.status, exc.detail, exc.errors)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return problem(HTTP_STATUS_OF_GRPC.get(grpc_status_for(exc), 500), exc.detail)

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        return problem(422, "the request does not match the schema", field_errors(exc))

    @app.errorhandler(grpc.RpcError)
    def _upstream(exc: grpc.RpcError):
        code = exc.code()
        status = HTTP_STATUS_OF_GRPC.get(code, 502)
        if status >= 500:
            log.warning("upstream call failed: %s %s %s", outages.service_of(exc) or "", code.name, exc.details())
            detail = upstream_failure(exc)
        else:
            detail = exc.details() or HTTPStatus(status).phrase
        return problem(status, detail)

    @app.errorhandler(429)
    def _too_many(exc: HTTPException):
        # The limiter adds Retry-After and the X-RateLimit headers to this response.
        return problem(429, f"too many requests ({exc.description}); try again after Retry-After seconds")

    @app.errorhandler(413)
    def _too_large(exc: HTTPException):
        return problem(413, f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes")

    @app.errorhandler(MethodNotAllowed)
    def _wrong_method(exc: MethodNotAllowed):
        # RFC 9110 15.5.6: a 405 lists the methods the path serves; werkzeug's routing knows them.
        allowed = sorted(exc.valid_methods or ())
        served = [method for method in allowed if method not in ("HEAD", "OPTIONS")]
        response = problem(405, f"{request.method} is not allowed here; use {' or '.join(served)}" if served
                           else f"{request.method} is not allowed here")
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.description or HTTPStatus(exc.code or 500).phrase)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem(500, "internal error; quote the correlation id when reporting it")
