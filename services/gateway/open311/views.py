"""/open311/v2: the GeoReport v2 methods, each a translation to intake's gRPC and back."""
from __future__ import annotations

import grpc
from flask import Blueprint, Response, current_app, g, request

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from servicekit.auth import rpc_roles
from services.gateway.auth import credentials
from services.gateway.clients import upstreams
from services.gateway.open311 import errors
from services.gateway.open311.catalogue import definition_of, service_of
from services.gateway.open311.formats import JSON, MIMETYPES, XML, Open311Error, render, w3c_datetime
from services.gateway.open311.mapping import SERVICE_NOTICE, concern_request_of, request_of, submission_from_form
from services.gateway.open311.queries import MAX_REQUESTS, request_query

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")
errors.install(blueprint)
FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A service request is a concern submitted: the same roles, refused here as REST refuses them.
SUBMITTERS = rpc_roles("lianyi.intake.v1.IntakeService.SubmitConcern")



@blueprint.before_request
def _check_jurisdiction() -> None:
    """One jurisdiction is served, so jurisdiction_id may be left out; a different one is unknown."""
    given = (request.values.get("jurisdiction_id") or "").strip()
    if given and given != current_app.config["LIANYI_OPEN311_JURISDICTION"]:
        raise Open311Error(404, f"jurisdiction_id {given[:100]!r} was not found")


def _answer(fmt: str, root: str, body: dict | list) -> Response:
    content, content_type = render(fmt, root, body)
    return Response(content, content_type=content_type)


def _service_names() -> dict[str, str]:
    stubs = upstreams()
    found = stubs.intake.ListCategories(intake_pb.ListCategoriesRequest(), **stubs.call_options())
    return {c.code: c.name_zh for c in found.categories}


def _public(**filters) -> list:
    stubs = upstreams()
    return list(stubs.intake.ListPublicConcerns(intake_pb.ListPublicConcernsRequest(**filters),
                                                **stubs.call_options(anonymous=True)).concerns)


@blueprint.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    # The categories behind services.[format] can change at any time without our knowing when,
    # so the changeset is always "now": clients re-read a short list rather than keep a stale one.
    now = w3c_datetime(credentials().clock.now())
    return _answer(fmt, "discovery", {
        "changeset": now,
        "contact": "联系县联议平台管理员 (the county's lianyi administrators)",
        "key_service": ("API 密钥由县级管理员签发 "
                        "(API keys are issued by a county administrator: POST /api/v1/api-keys)"),
        "endpoints": [{"specification": SPECIFICATION, "url": request.url_root.rstrip("/") + blueprint.url_prefix,
                       "changeset": now, "type": "production", "formats": [MIMETYPES[XML], MIMETYPES[JSON]]}],
    })


@blueprint.get(f"/services.{FMT}")
def list_services(fmt: str):
    stubs = upstreams()
    found = stubs.intake.ListCategories(intake_pb.ListCategoriesRequest(), **stubs.call_options())
    return _answer(fmt, "services", [service_of(c) for c in found.categories])


@blueprint.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str):
    if service_code not in _service_names():
        raise Open311Error(404, f"service_code {service_code[:100]!r} was not found (see services.{fmt})")
    return _answer(fmt, "service_definition", definition_of(service_code))


@blueprint.post(f"/requests.{FMT}")
def create_request(fmt: str):
    if request.mimetype not in FORM_TYPES:
        raise Open311Error(400, "send the service request as application/x-www-form-urlencoded")
    _authenticate()
    submission = submission_from_form(request.form)
    if submission.service_code not in _service_names():
        raise Open311Error(404, f"service_code {submission.service_code[:100]!r} was not found (see services.{fmt})")
    stubs = upstreams()
    concern = stubs.intake.SubmitConcern(concern_request_of(submission), **stubs.call_options())
    # Created synchronously, so the id comes back at once and no token is needed.
    return _answer(fmt, "service_requests", [{"service_request_id": concern.concern_id,
                                               "service_notice": SERVICE_NOTICE, "account_id": None}])


def _authenticate() -> None:
    """The caller as the gateway authenticated it (services/gateway/auth.py): the spec's api_key
    form field, or the gateway's own X-Api-Key / Bearer headers."""
    error = g.get("auth_error")
    if isinstance(error, grpc.RpcError) and error.code() in (grpc.StatusCode.UNAUTHENTICATED,
                                                            grpc.StatusCode.PERMISSION_DENIED):
        raise Open311Error(403, "invalid api_key; the service request was not created")
    if error is not None:
        raise error
    principal = g.get("principal")
    if principal is None:
        raise Open311Error(403, "api_key is required to create a service request")
    if principal.role not in SUBMITTERS:
        raise Open311Error(403, f"a {principal.role} may not create a service request")


@blueprint.get(f"/requests.{FMT}")
def list_requests(fmt: str):
    query = request_query(request.args, credentials().clock.now())
    names = _service_names()
    if query.ids:
        found = _public(concern_ids=list(query.ids), limit=MAX_REQUESTS)
    else:
        unknown = [code for code in query.service_codes if code not in names]
        if unknown:
            raise Open311Error(404, *(f"service_code {code[:100]!r} was not found" for code in unknown))
        found = _public(categories=list(query.service_codes), states=list(query.states), limit=MAX_REQUESTS,
                        received_from=query.start, received_to=query.end)
    return _answer(fmt, "service_requests", [request_of(c, names) for c in found[:MAX_REQUESTS]])


@blueprint.get(f"/requests/<service_request_id>.{FMT}")
def get_request(service_request_id: str, fmt: str):
    found = _public(concern_ids=[service_request_id], limit=1)
    if not found:
        raise Open311Error(404, f"service_request_id {service_request_id[:100]!r} was not found")
    return _answer(fmt, "service_requests", [request_of(found[0], _service_names())])


@blueprint.get(f"/tokens/<token>.{FMT}")
def token(token: str, fmt: str):
    # Requests are created synchronously, so each request's token is its own id.
    if not _public(concern_ids=[token], limit=1):
        raise Open311Error(404, f"token {token[:100]!r} was not found")
    return _answer(fmt, "service_requests", [{"service_request_id": token, "token": token}])

