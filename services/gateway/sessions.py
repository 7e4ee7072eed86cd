"""/api/v1/auth/token: staff, members and residents sign in for a bearer token."""
from __future__ import annotations

from flask import Blueprint, g

from lianyi.accounts.v1 import accounts_service_pb2 as accounts_pb
from services.gateway.auth import bearer_token, credentials, principal_from_proto
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.limits import limiter, sign_in_limit
from services.gateway.schemas import TokenRequest, TokenResponse

blueprint = Blueprint("sessions", __name__, url_prefix="/api/v1/auth")


@blueprint.post("/token")
@limiter.limit(sign_in_limit)
def issue_token():
    """Sign in.
    ---
    post:
      summary: Exchange a username and password (or a household's access code) for an expiring bearer token
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: TokenRequest
      responses:
        200:
          description: Signed in
          content:
            application/json:
              schema: TokenResponse
    """
    if g.get("auth_error") is not None:
        raise g.auth_error
    body = json_body(TokenRequest)
    stubs = upstreams()
    if body.access_code is not None:
        found = stubs.accounts.AuthenticateAccessCode(
            accounts_pb.AuthenticateAccessCodeRequest(access_code=body.access_code),
            **stubs.call_options(anonymous=True))
    else:
        found = stubs.accounts.Authenticate(
            accounts_pb.AuthenticateRequest(username=body.username, password=body.password),
            **stubs.call_options(anonymous=True))
    principal = principal_from_proto(found)
    return TokenResponse(
        access_token=bearer_token(principal), expires_in=int(credentials().token_ttl.total_seconds()),
        role=principal.role,
        scope=list(principal.scope), name=principal.name,
    ).model_dump(mode="json")
