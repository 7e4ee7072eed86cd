"""Errors under /open311/v2 answer in the spec's <errors> format, in the format the path asked for,
never as the REST API's problem+json: GeoReport clients parse only what the spec defines.

The spec: 404 for resources that do not exist, 403 for a wrong or missing api_key, 400 for
anything else the request gets wrong. Failures behind the gateway stay 5xx (the spec would say
400) so that clients and proxies know a retry may help.
"""
from __future__ import annotations

import logging

import grpc
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from servicekit.errors import DomainError, grpc_status_for
from services.gateway.open311.formats import Open311Error, errors_body, format_of, render
from services.gateway.outages import service_of
from services.gateway.problems import ProblemError, upstream_failure

log = logging.getLogger(__name__)

STATUS_OF_GRPC = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.ALREADY_EXISTS: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.UNAUTHENTICATED: 403,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def status_of_grpc(code: grpc.StatusCode) -> int:
    return STATUS_OF_GRPC.get(code, 502)


def error_response(status: int, *descriptions: str) -> Response:
    body, content_type = render(format_of(request.path), "errors", errors_body(status, list(descriptions)))
    response = Response(body, status=status, content_type=content_type)
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unknown(rest: str) -> Response:
    """Anything else under /open311/v2. Routing errors never reach a blueprint's handlers (Flask
    cannot tell the blueprint before a route matches), so this catch-all route answers them:
    405 for a known path with the wrong method, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        response = error_response(405, f"{request.method} is not allowed here; use {' or '.join(allowed)}")
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error_response(404, "no such resource: see discovery.json; every resource ends in .json or .xml")


def install(blueprint: Blueprint) -> None:
    """Register the catch-all route and the handlers on the Open311 blueprint only; the REST API
    keeps problems.py's."""
    blueprint.add_url_rule("/", "unknown", unknown, defaults={"rest": ""}, methods=ANY_METHOD)
    blueprint.add_url_rule("/<path:rest>", "unknown", unknown, methods=ANY_METHOD)

    @blueprint.errorhandler(Open311Error)
    def _open311(exc: Open311Error):
        return error_response(exc.status, *exc.descriptions)

    @blueprint.errorhandler(ProblemError)
    def _problem(exc: ProblemError):
        # Raised by the gateway's authentication; the spec answers every api_key problem with 403.
        return error_response(403 if exc.status == 401 else exc.status, exc.detail)

    @blueprint.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(status_of_grpc(grpc_status_for(exc)), exc.detail)

    @blueprint.errorhandler(grpc.RpcError)
    def _upstream(exc: grpc.RpcError):
        status = status_of_grpc(exc.code())
        if status >= 500:
            log.warning("upstream call failed: %s %s %s", service_of(exc) or "", exc.code().name, exc.details())
            return error_response(status, upstream_failure(exc))
        return error_response(status, exc.details() or "the request cannot be fulfilled")

    # Flask prefers any handler for the exact code, even the app's, to a blueprint's handler for a
    # class, so the codes problems.py names are named here too.
    @blueprint.errorhandler(413)
    def _too_large(exc: HTTPException):
        return error_response(413, f"the request body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes")

    @blueprint.errorhandler(429)
    def _too_many(exc: HTTPException):
        # The limiter adds Retry-After and the X-RateLimit headers to this response.
        return error_response(429, f"too many requests ({exc.description}); try again after Retry-After seconds")

    @blueprint.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or "the request cannot be fulfilled")

    @blueprint.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal error; quote the X-Correlation-Id response header when reporting it")
